"""Retrieval quality: mAP, mAP@k, precision@k and precision–recall curves.

Protocol (docs/design/research/hpseh-lpih.md §3): a database item is relevant to a query when
they share at least one label. The database is ranked by Hamming distance for codes,
or by negative cosine for the float reference, with a **stable** sort, so ties keep
database order (as MATLAB ``sort`` does in the reference codes).

AP_q = (1/R_q) Σ_i P@i · rel_i over the ranked list, where R_q is the number of
relevant items in the whole database (mAP) or in the first k positions (mAP@k, the
convention of the deep-hashing codes). Queries without any relevant item are
**skipped** (the ``perf_metric4Label`` convention) unless ``empty="zero"`` counts
them as AP = 0 (the ``mAP.m`` convention); results report how many there were.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from core.errors import HashingInputError
from core.hashing.codes import unpack_bits
from core.types import FloatArray, PackedCodes

EmptyPolicy = Literal["skip", "zero"]
_QUERY_CHUNK = 256


@dataclass(frozen=True)
class RankingMetrics:
    """Metrics of one query set against one database.

    Attributes:
        map: Mean average precision over the whole ranking (or @k, see ``at``).
        at: k of mAP@k, or None for the whole database.
        precision_at: {k: mean precision of the first k results}.
        recall_grid: Recall levels of the precision–recall curve.
        precision_curve: Interpolated precision at each recall level.
        n_queries: Queries evaluated.
        n_without_relevant: Queries with no relevant database item.
    """

    map: float
    at: int | None
    precision_at: dict[int, float]
    recall_grid: npt.NDArray[np.float64]
    precision_curve: npt.NDArray[np.float64]
    n_queries: int
    n_without_relevant: int


def hamming_matrix(queries: PackedCodes, database: PackedCodes, n_bits: int) -> FloatArray:
    """(m, n) Hamming distances via one ±1 matrix product (exact in float32 up to 2^24)."""
    q = unpack_bits(queries, n_bits).astype(np.float32) * 2 - 1
    d = unpack_bits(database, n_bits).astype(np.float32) * 2 - 1
    distances: FloatArray = ((n_bits - q @ d.T) * np.float32(0.5)).astype(np.float32)
    return distances


def cosine_distance_matrix(queries: FloatArray, database: FloatArray) -> FloatArray:
    """(m, n) negative cosine similarities (smaller is closer) for the float reference."""

    def unit(rows: FloatArray) -> FloatArray:
        rows = np.asarray(rows, dtype=np.float32)
        scaled: FloatArray = rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)
        return scaled

    distances: FloatArray = -(unit(queries) @ unit(database).T)
    return distances


def relevance(
    query_labels: npt.NDArray[Any], database_labels: npt.NDArray[Any]
) -> npt.NDArray[np.bool_]:
    """(m, n) True where query and database item share at least one label."""
    if query_labels.ndim != 2 or database_labels.ndim != 2:
        raise HashingInputError("Labels must be matrices (items × classes).")
    if query_labels.shape[1] != database_labels.shape[1]:
        raise HashingInputError(
            "Query and database labels must use the same classes.",
            f"{query_labels.shape[1]} vs {database_labels.shape[1]} columns",
        )
    shared = query_labels.astype(np.float32) @ database_labels.astype(np.float32).T
    relevant: npt.NDArray[np.bool_] = shared > 0
    return relevant


def evaluate_ranking(
    distances: npt.NDArray[Any],
    relevant: npt.NDArray[np.bool_],
    *,
    at: int | None = None,
    precision_ks: tuple[int, ...] = (1, 10, 100),
    recall_points: int = 21,
    empty: EmptyPolicy = "skip",
) -> RankingMetrics:
    """Rank each query's database by ``distances`` (m, n) and score against ``relevant``."""
    if distances.shape != relevant.shape:
        raise HashingInputError(
            "Distances and relevance must have the same shape.",
            f"{distances.shape} vs {relevant.shape}",
        )
    m = distances.shape[0]
    if m == 0:
        raise HashingInputError("There are no queries to evaluate.")
    grid = np.linspace(0.0, 1.0, recall_points)
    aps, empties = [], 0
    precision_sums = dict.fromkeys(precision_ks, 0.0)
    curve_sum = np.zeros(recall_points)
    curve_count = 0
    for hits in _ranked_hits(distances, relevant):
        total = hits[:, -1]
        empties += int((total == 0).sum())
        aps.append(_average_precision(hits, at, empty))
        for k in precision_ks:
            column = min(k, hits.shape[1]) - 1
            precision_sums[k] += float((hits[:, column] / (column + 1)).sum())
        curve, counted = _interpolated_pr(hits, grid)
        curve_sum += curve
        curve_count += counted
    ap = np.concatenate(aps)
    kept = ap[~np.isnan(ap)]
    return RankingMetrics(
        map=float(kept.mean()) if kept.size else 0.0,
        at=at,
        precision_at={k: v / m for k, v in precision_sums.items()},
        recall_grid=grid,
        precision_curve=curve_sum / max(curve_count, 1),
        n_queries=m,
        n_without_relevant=empties,
    )


def _ranked_hits(
    distances: npt.NDArray[Any], relevant: npt.NDArray[np.bool_]
) -> Iterator[npt.NDArray[np.int64]]:
    """Per chunk of queries: cumulative relevant counts along the stable ranking."""
    for start in range(0, distances.shape[0], _QUERY_CHUNK):
        block = distances[start : start + _QUERY_CHUNK]
        order = np.argsort(block, axis=1, kind="stable")
        ranked = np.take_along_axis(relevant[start : start + _QUERY_CHUNK], order, axis=1)
        yield np.cumsum(ranked, axis=1, dtype=np.int64)


def _average_precision(
    hits: npt.NDArray[np.int64], at: int | None, empty: EmptyPolicy
) -> npt.NDArray[np.float64]:
    """AP per query from cumulative hits; NaN marks a skipped query."""
    if at is not None:
        hits = hits[:, :at]
    ranks = np.arange(1, hits.shape[1] + 1)
    is_hit = np.diff(hits, axis=1, prepend=0) > 0
    precision_sum = np.where(is_hit, hits / ranks, 0.0).sum(axis=1)
    found = hits[:, -1].astype(np.float64)
    ap: npt.NDArray[np.float64] = np.divide(
        precision_sum, found, out=np.zeros_like(found), where=found > 0
    )
    if empty == "skip":
        ap[found == 0] = np.nan
    return ap


def _interpolated_pr(
    hits: npt.NDArray[np.int64], grid: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], int]:
    """Sum over queries of interpolated precision (max precision at recall ≥ level)."""
    total = hits[:, -1]
    usable = hits[total > 0]
    if usable.shape[0] == 0:
        return np.zeros(grid.shape[0]), 0
    ranks = np.arange(1, usable.shape[1] + 1)
    precision = usable / ranks
    recall = usable / total[total > 0, None]
    # running max of precision from the end gives the interpolated envelope
    envelope = np.maximum.accumulate(precision[:, ::-1], axis=1)[:, ::-1]
    out = np.zeros(grid.shape[0])
    for i, level in enumerate(grid):
        first = np.argmax(recall >= level - 1e-12, axis=1)
        out[i] = envelope[np.arange(usable.shape[0]), first].sum()
    return out, int(usable.shape[0])
