"""Validation labels: a search scored on labels other than the ones a method learns from.

LPIH relearns its wrapped hasher from pseudo-labels; with ``tune_scored="labelled"`` that
hasher's search is scored on the true labels of the labelled rows only
(core/hashing/validation.py, docs/methods/lpih.md).
"""

from __future__ import annotations

import logging
from functools import cache

import numpy as np
import pytest

from core.errors import HashingInputError
from core.hashing import Hasher, PairedFeatures, create_hasher
from core.hashing.models.lpih import LPIH
from core.hashing.validation import draw_split, score
from tests.core.hashing.clustered import Clustered, clustered_pairs

N = 600
JUDGED = np.arange(N) < N // 2  # the rows whose labels are the truth


@cache
def pairs() -> Clustered:
    return clustered_pairs(N, seed=11)


def with_guesses(seed: int) -> PairedFeatures:
    """Labels right on the judged half and shuffled on the rest; truth on the judged half."""
    d = pairs()
    labels = d.labels.copy()
    rest = np.flatnonzero(~JUDGED)
    labels[rest] = labels[np.random.default_rng(seed).permutation(rest)]
    truth = np.where(JUDGED[:, None], d.labels, 0).astype(np.uint8)
    return PairedFeatures(d.image, d.text, labels, validation_labels=truth)


@cache
def fitted() -> Hasher:
    d = pairs()
    return create_hasher("batch", 16, tune=False).fit(PairedFeatures(d.image, d.text, d.labels))


def test_only_rows_with_validation_labels_are_queries_and_the_rest_are_fitted_on() -> None:
    split = draw_split(with_guesses(0), 16, 0, need_labels=True)
    assert split.relevance == "validation-labels"
    assert JUDGED[split.validation].all()
    assert set(np.flatnonzero(~JUDGED)) <= set(split.fit)
    assert not set(split.fit) & set(split.validation)
    assert len(split.fit) + len(split.validation) == N


def test_the_score_ignores_the_guessed_labels_but_plain_validation_does_not() -> None:
    a, b = with_guesses(0), with_guesses(1)
    split_a = draw_split(a, 16, 0, need_labels=True)
    split_b = draw_split(b, 16, 0, need_labels=True)
    assert np.array_equal(split_a.validation, split_b.validation)
    assert score(fitted(), a, split_a) == score(fitted(), b, split_b)
    # Without validation labels the shuffled guesses are the database's relevance.
    plain_a = PairedFeatures(a.image, a.text, a.labels)
    plain_b = PairedFeatures(b.image, b.text, b.labels)
    split = draw_split(plain_a, 16, 0, need_labels=True)
    assert split.relevance == "labels"
    assert score(fitted(), plain_a, split) != score(fitted(), plain_b, split)


def test_too_few_rows_with_validation_labels_fall_back_to_the_training_labels(
    caplog: pytest.LogCaptureFixture,
) -> None:
    d = pairs()
    truth = np.zeros_like(d.labels)
    truth[:30] = d.labels[:30]
    data = PairedFeatures(d.image, d.text, d.labels, validation_labels=truth)
    with caplog.at_level(logging.INFO, logger="core.hashing.validation"):
        split = draw_split(data, 16, 0, need_labels=True)
    assert split.relevance == "labels"
    assert "validation by the training labels instead: 30 pairs" in caplog.text
    # The fallback is the very split drawn without validation labels.
    plain = draw_split(PairedFeatures(d.image, d.text, d.labels), 16, 0, need_labels=True)
    assert np.array_equal(split.validation, plain.validation)


def test_validation_labels_are_checked_and_travel_with_a_subset() -> None:
    d = pairs()
    with pytest.raises(HashingInputError, match="Validation labels were given without labels"):
        PairedFeatures(d.image, d.text, validation_labels=d.labels)
    with pytest.raises(HashingInputError, match="one row per item"):
        PairedFeatures(d.image, d.text, d.labels, validation_labels=d.labels[:10])
    with pytest.raises(HashingInputError, match="must be 0 or 1"):
        PairedFeatures(d.image, d.text, d.labels, validation_labels=2 * d.labels)
    part = with_guesses(0).take(np.arange(5))
    assert part.validation_labels is not None
    assert np.array_equal(part.validation_labels, pairs().labels[:5])


@pytest.mark.parametrize(
    ("scored", "relevance"), [("labelled", "validation-labels"), ("all", "labels")]
)
def test_lpih_scores_its_relearned_search_on_the_true_labels_when_asked(
    scored: str, relevance: str
) -> None:
    d = pairs()
    mask = np.arange(N) % 4 == 0  # 150 labelled pairs
    lpih = create_hasher("lpih", 16, tune_scored=scored, self_training=0)
    lpih.fit(PairedFeatures(d.image, d.text, d.labels, mask))
    assert isinstance(lpih, LPIH)
    assert lpih.report is not None
    report = lpih.report.base_tuning["relearned"]
    assert report.status == "tuned"
    assert report.relevance == relevance
    # held out from the labelled quarter, or from every row (a fifth of each)
    assert report.validation_rows <= (0.25 if scored == "labelled" else 1) * N * 0.2 + 10
