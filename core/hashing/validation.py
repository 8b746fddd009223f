"""The held-out split that self-tuning and ``--method auto`` score candidates on.

One split of the training pairs is drawn per fit (seeded): at most ``TUNING_ROWS``
pairs, a fifth of them held out for validation, stratified by each pair's first label
so that every class with two or more pairs appears on both sides. Candidates are
fitted on the rest and scored by the mean of image→text and text→image mAP:

* with labels (at least ``MIN_LABELLED`` labelled pairs and two classes): the
  labelled validation pairs query the labelled fitting pairs, relevance = a shared
  label (the protocol of docs/benchmarks.md);
* without labels: each validation image queries the validation captions and its own
  caption is the one relevant item (and the other way round).

Unlabelled pairs (semi-supervised data) only ever sit on the fitting side.

Data with ``validation_labels`` (LPIH's relearning: pseudo-labels to learn from, true
labels on some rows) is scored by those instead: only rows that have one are validation
queries or the database ("validation-labels"). Where they are too few for a split, the
training labels score it as above, and the log says so.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from core.hashing.base import Hasher, Supervision
from core.hashing.data import PairedFeatures
from core.hashing.metrics import evaluate_ranking, hamming_matrix, relevance

logger = logging.getLogger(__name__)

Rows = npt.NDArray[np.intp]
Relevance = Literal["labels", "validation-labels", "pairs"]

TUNING_ROWS = 4000
"""Pairs the search looks at (a seeded subsample above this): bounds its cost."""

VALIDATION_SHARE = 0.2
MIN_VALIDATION = 20
"""Fewer validation queries than this: too few to tell settings apart."""

MIN_LABELLED = 50
"""Fewer labelled pairs than this: validation by labels is not attempted."""


@dataclass(frozen=True)
class ValidationSplit:
    """Row indices into the training data.

    Attributes:
        fit: Pairs the candidates are fitted on.
        validation: Held-out query pairs.
        relevance: "labels" (shared label), "validation-labels" (a shared validation
            label, among the rows that have one) or "pairs" (a pair's own other half).
        total_rows: Pairs in the whole training set (the refit sees all of them).
    """

    fit: Rows
    validation: Rows
    relevance: Relevance
    total_rows: int


class SplitRefused(Exception):  # noqa: N818 - a reason, not an error: tuning falls back
    """No usable split: ``str(exc)`` says why in words for the user."""


def draw_split(data: PairedFeatures, n_bits: int, seed: int, need_labels: bool) -> ValidationSplit:
    """The validation split of ``data``, or SplitRefused saying why there is none.

    Args:
        data: All training pairs.
        n_bits: Code length (the fitting side must have well over this many pairs).
        seed: The hasher's seed.
        need_labels: The caller learns from labels, so validation must use them.
    """
    rng = np.random.default_rng([seed, 14])
    n = data.n_items
    needed = max(2 * n_bits, 4 * MIN_VALIDATION) + MIN_VALIDATION
    too_few = SplitRefused(
        f"{n} pairs are too few to hold some out for validation at {n_bits} bits "
        f"(at least {needed} are needed)"
    )
    if n < needed:
        raise too_few
    known = data.known_labels() if data.labels is not None else np.zeros(n, np.bool_)
    labelled = np.flatnonzero(known & _has_label(data))
    by_labels = data.labels is not None and len(labelled) >= MIN_LABELLED
    if by_labels and _class_count(data, labelled) < 2:
        if need_labels:
            raise SplitRefused(
                "every labelled pair has the same label, so validation cannot tell settings apart"
            )
        by_labels = False
    if need_labels and not by_labels:
        raise SplitRefused(
            f"only {len(labelled)} pairs are labelled, fewer than the {MIN_LABELLED} "
            "needed to hold some out for validation"
        )
    rows = rng.permutation(n)[:TUNING_ROWS]
    if data.validation_labels is not None:
        try:
            return _split_by_validation_labels(data, rows, needed, seed)
        except SplitRefused as exc:
            logger.info("validation by the training labels instead: %s", exc)
    if by_labels:
        assert data.labels is not None
        validation = _stratified(rows[known[rows] & _has_label(data)[rows]], data.labels, rng)
    else:
        validation = rows[: int(len(rows) * VALIDATION_SHARE)]
    fit = np.setdiff1d(rows, validation)
    fitting_pairs = int((known[fit]).sum()) if need_labels else len(fit)
    if len(validation) < MIN_VALIDATION or fitting_pairs < needed - MIN_VALIDATION:
        if need_labels and len(labelled) < n:  # the labelled pairs are what is short
            raise SplitRefused(
                f"{len(labelled)} labelled pairs are too few to hold some out for validation "
                f"at {n_bits} bits (at least {needed} are needed)"
            )
        raise too_few
    return ValidationSplit(np.sort(fit), np.sort(validation), "labels" if by_labels else "pairs", n)


def _split_by_validation_labels(
    data: PairedFeatures, rows: Rows, needed: int, seed: int
) -> ValidationSplit:
    """The split whose queries and database are the rows with validation labels."""
    judge = data.validation_labels
    assert judge is not None
    judged = rows[judge[rows].any(axis=1)]
    classes = int(judge[judged].any(axis=0).sum())
    if len(judged) < MIN_LABELLED or classes < 2:
        raise SplitRefused(
            f"{len(judged)} pairs with validation labels in {classes} classes are too few"
        )
    validation = _stratified(judged, judge, np.random.default_rng([seed, 14, 1]))
    fit = np.setdiff1d(rows, validation)
    if len(validation) < MIN_VALIDATION or len(fit) < needed - MIN_VALIDATION:
        raise SplitRefused(f"{len(validation)} validation queries are too few")
    return ValidationSplit(np.sort(fit), np.sort(validation), "validation-labels", data.n_items)


def subset(data: PairedFeatures, rows: Rows, supervision: Supervision) -> PairedFeatures:
    """The pairs ``rows`` as a method of ``supervision`` is trained on them.

    Supervised methods get only the labelled rows; semi-supervised ones keep the mask;
    unsupervised ones get no labels.
    """
    if supervision == "unsupervised" or data.labels is None:
        return PairedFeatures(data.image[rows], data.text[rows])
    if supervision == "supervised":
        return data.take(rows[data.known_labels()[rows]])
    return data.take(rows, data.known_labels()[rows])


def score(hasher: Hasher, data: PairedFeatures, split: ValidationSplit) -> float:
    """Mean of image→text and text→image validation mAP of a fitted hasher."""
    val, r = split.validation, hasher.n_bits
    if split.relevance == "labels":
        assert data.labels is not None
        database = split.fit[data.known_labels()[split.fit]]
        relevant = relevance(data.labels[val], data.labels[database])
    elif split.relevance == "validation-labels":
        judge = data.validation_labels
        assert judge is not None
        database = split.fit[judge[split.fit].any(axis=1)]
        relevant = relevance(judge[val], judge[database])
    else:
        database = val
        relevant = np.eye(len(val), dtype=np.bool_)
    image_db, text_db = data.image[database], data.text[database]
    i2t = hamming_matrix(hasher.encode_image(data.image[val]), hasher.encode_text(text_db), r)
    t2i = hamming_matrix(hasher.encode_text(data.text[val]), hasher.encode_image(image_db), r)
    return (evaluate_ranking(i2t, relevant).map + evaluate_ranking(t2i, relevant).map) / 2


def _has_label(data: PairedFeatures) -> npt.NDArray[np.bool_]:
    if data.labels is None:
        return np.zeros(data.n_items, np.bool_)
    return np.asarray(data.labels.any(axis=1), dtype=np.bool_)


def _class_count(data: PairedFeatures, rows: Rows) -> int:
    assert data.labels is not None
    return int(data.labels[rows].any(axis=0).sum())


def _stratified(rows: Rows, labels: npt.NDArray[np.uint8], rng: np.random.Generator) -> Rows:
    """A ``VALIDATION_SHARE`` of ``rows`` from every class (by first label) of two or more."""
    first = np.argmax(labels[rows], axis=1)
    held: list[Rows] = []
    for cls in np.unique(first):
        members = rows[first == cls]
        take = round(len(members) * VALIDATION_SHARE)
        if len(members) >= 2 and take >= 1:
            held.append(rng.permutation(members)[:take])
    return np.concatenate(held) if held else np.zeros(0, np.intp)
