"""Run hashing methods on a feature dataset and measure them in one process.

For every method × code length: fit on the training split (labels given to
supervised methods only), encode query and database items of both modalities, and
score four directions — I→T (image queries, text database), T→I, I→I and T→T — with
the metrics of ``core.hashing.metrics`` (mAP over the whole database, skipped
queries without relevant items counted and reported, precision@k, interpolated PR).
Fit time and encode time per item are wall-clock medians over the run's own calls.

The unhashed reference sits in the same table: cosine over the raw features where
a direction compares vectors of one space (I→I, T→T, and cross-modal directions when
both modalities share a space such as CLIP), and otherwise cosine in a real-valued
CCA space fitted on the training split (the best a linear map does before any bit is
thrown away), marked as such.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

from core.errors import CoreError
from core.hashing import Hasher, PairedFeatures, create_hasher
from core.hashing.base import check_n_bits
from core.hashing.metrics import (
    RankingMetrics,
    cosine_distance_matrix,
    evaluate_ranking,
    hamming_matrix,
    relevance,
)
from core.hashing.models.cca_itq import CCAITQ
from core.hashing.registry import resolve
from core.progress import CancelToken, Progress, ProgressCallback
from core.types import FloatArray
from hashlens_bench.dataset import FeatureDataset
from hashlens_bench.method_variant import MethodVariant, parse_variant

Direction = Literal["i2t", "t2i", "i2i", "t2t"]
DIRECTIONS: tuple[Direction, ...] = ("i2t", "t2i", "i2i", "t2t")
DIRECTION_TITLES = {"i2t": "I→T", "t2i": "T→I", "i2i": "I→I", "t2t": "T→T"}
REFERENCE = "float"


@dataclass(frozen=True)
class BenchRow:
    """One method at one code length in one direction (``n_bits`` 0 for the reference)."""

    method: str
    n_bits: int
    direction: Direction
    metrics: RankingMetrics
    fit_seconds: float
    encode_us_per_item: float
    note: str = ""
    given_labels: bool = False
    """Whether the method was fitted with the training labels (it uses them)."""


@dataclass(frozen=True)
class BenchResult:
    """Everything one run measured, plus what it was run on."""

    dataset: str
    n_train: int
    n_query: int
    n_database: int
    n_classes: int
    rows: list[BenchRow] = field(default_factory=list)
    failures: list[tuple[str, int, str]] = field(default_factory=list)


@dataclass(frozen=True)
class BenchOptions:
    """Methods (keys or variants such as ``hpseh(beta=10)``), code lengths, directions, seed."""

    methods: Sequence[str]
    bits: Sequence[int]
    directions: Sequence[Direction] = DIRECTIONS
    seed: int = 0
    reference: bool = True


def run_benchmark(
    data: FeatureDataset,
    options: BenchOptions,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> BenchResult:
    """Fit and evaluate every requested method × code length on ``data``."""
    variants = [parse_variant(method) for method in options.methods]
    for variant in variants:  # unknown keys, settings and bad lengths fail before any work
        create_hasher(variant.key, 8, **variant.params)
    for n_bits in options.bits:
        check_n_bits(n_bits)
    result = BenchResult(
        data.name, len(data.train), len(data.query), len(data.database), data.n_classes
    )
    relevant = relevance(data.labels[data.query], data.labels[data.database])
    total = len(options.methods) * len(options.bits) + int(options.reference)
    done = 0
    if options.reference:
        result.rows.extend(_reference_rows(data, relevant, options))
        done += 1
    for variant in variants:
        for n_bits in options.bits:
            if cancel is not None:
                cancel.raise_if_cancelled()
            if progress is not None:
                progress(Progress("bench", done, total, f"{variant.label} {n_bits} bits"))
            try:
                result.rows.extend(_method_rows(data, relevant, variant, n_bits, options))
            except CoreError as exc:  # e.g. ITQ on unaligned modalities: report, go on
                result.failures.append((variant.label, n_bits, exc.user_message))
            done += 1
    if progress is not None:
        progress(Progress("bench", total, total))
    return result


def _method_rows(
    data: FeatureDataset,
    relevant: npt.NDArray[np.bool_],
    variant: MethodVariant,
    n_bits: int,
    options: BenchOptions,
) -> list[BenchRow]:
    # every method that learns from labels gets them, including the unsupervised ones
    # that use them when given (FPO-CMH's pseudo-labeller); the table says which did
    given_labels = resolve(variant.key).learns_from_labels()
    train = data.train
    paired = PairedFeatures(
        data.image[train], data.text[train], data.labels[train] if given_labels else None
    )
    hasher = create_hasher(variant.key, n_bits, seed=options.seed, **variant.params)
    started = time.perf_counter()
    hasher.fit(paired)
    fit_seconds = time.perf_counter() - started
    codes, encode_us = _encode_all(hasher, data)
    rows = []
    for direction in options.directions:
        q_side, d_side = _sides(direction)
        distances = hamming_matrix(codes[q_side][0], codes[d_side][1], n_bits)
        metrics = evaluate_ranking(distances, relevant)
        rows.append(
            BenchRow(
                variant.label,
                n_bits,
                direction,
                metrics,
                fit_seconds,
                encode_us,
                given_labels=given_labels,
            )
        )
    return rows


def _encode_all(
    hasher: Hasher, data: FeatureDataset
) -> tuple[dict[str, tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]], float]:
    """Codes of (query, database) rows per modality and the mean encode time per item."""
    out = {}
    seconds, items = 0.0, 0
    for side, features, encode in (
        ("image", data.image, hasher.encode_image),
        ("text", data.text, hasher.encode_text),
    ):
        pair = []
        for rows in (data.query, data.database):
            started = time.perf_counter()
            pair.append(encode(features[rows]))
            seconds += time.perf_counter() - started
            items += len(rows)
        out[side] = (pair[0], pair[1])
    return out, 1e6 * seconds / max(items, 1)


def _sides(direction: Direction) -> tuple[str, str]:
    names = {"i": "image", "t": "text"}
    return names[direction[0]], names[direction[2]]


def _reference_rows(
    data: FeatureDataset, relevant: npt.NDArray[np.bool_], options: BenchOptions
) -> list[BenchRow]:
    shared = data.image.shape[1] == data.text.shape[1]
    spaces: dict[str, Callable[[npt.NDArray[np.int64]], FloatArray]] = {
        "image": lambda rows: data.image[rows],
        "text": lambda rows: data.text[rows],
    }
    cca_spaces = None if shared else _cca_spaces(data, options.seed)
    rows = []
    for direction in options.directions:
        q_side, d_side = _sides(direction)
        note = "cosine"
        if q_side == d_side or cca_spaces is None:
            queries, database = spaces[q_side](data.query), spaces[d_side](data.database)
        else:
            queries = cca_spaces[q_side](data.query)
            database = cca_spaces[d_side](data.database)
            note = "cosine after real-valued CCA (features of different spaces)"
        metrics = evaluate_ranking(cosine_distance_matrix(queries, database), relevant)
        rows.append(BenchRow(REFERENCE, 0, direction, metrics, 0.0, 0.0, note))
    return rows


def _cca_spaces(
    data: FeatureDataset, seed: int
) -> dict[str, Callable[[npt.NDArray[np.int64]], FloatArray]]:
    dims = min(data.image.shape[1], data.text.shape[1], 128)
    cca = CCAITQ(dims - dims % 8, seed=seed, power=1.0, reg=1.0)
    cca.fit(PairedFeatures(data.image[data.train], data.text[data.train]))
    return {
        "image": lambda rows: cca.project_image(data.image[rows]),
        "text": lambda rows: cca.project_text(data.text[rows]),
    }
