"""The hidden-label database of ``--method auto`` on a partly labelled library.

Measured on the tuning sets (docs/benchmarks.md, "What --method auto picks"): ranked
against the labelled pairs the supervised candidates were fitted on, validation put BATCH
above LPIH on emoji multi-label at 25 % labelled, where LPIH is 29 % better on the test
queries. These tests pin the split, the rows each kind of method learns from, and the
score against hidden pairs.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from core.hashing import PairedFeatures, create_hasher
from core.hashing.selection import select_method
from core.hashing.validation import (
    HIDDEN_SHARE,
    MIN_VALIDATION,
    ValidationSplit,
    draw_split,
    score,
    subset,
)
from tests.core.hashing.clustered import Clustered, clustered_pairs

N = 600
BITS = 16


@cache
def pairs() -> Clustered:
    return clustered_pairs(N, seed=3)


def partly_labelled(share: float = 0.5) -> PairedFeatures:
    d = pairs()
    mask = np.random.default_rng(0).random(N) < share
    return PairedFeatures(d.image, d.text, d.labels, mask)


def test_a_partly_labelled_split_hides_a_share_of_the_labelled_fitting_pairs() -> None:
    data = partly_labelled()
    split = draw_split(data, BITS, 0, need_labels=True, hide_labels=True)
    known = data.known_labels()
    labelled_fit = split.fit[known[split.fit]]
    assert split.hidden.size >= MIN_VALIDATION
    assert set(split.hidden) <= set(labelled_fit)  # hidden pairs are labelled and fitted on
    assert not set(split.hidden) & set(split.validation)
    assert abs(split.hidden.size - HIDDEN_SHARE * labelled_fit.size) <= 1
    # the same split without hiding draws the same fit and validation rows
    plain = draw_split(data, BITS, 0, need_labels=True)
    assert plain.hidden.size == 0
    assert np.array_equal(plain.fit, split.fit)
    assert np.array_equal(plain.validation, split.validation)


def test_nothing_is_hidden_where_every_pair_is_labelled_or_none_is() -> None:
    d = pairs()
    full = draw_split(PairedFeatures(d.image, d.text, d.labels), BITS, 0, True, hide_labels=True)
    bare = draw_split(PairedFeatures(d.image, d.text), BITS, 0, False, hide_labels=True)
    assert full.hidden.size == 0
    assert bare.hidden.size == 0


def test_hiding_never_leaves_the_candidates_fewer_labelled_pairs_than_a_split_needs() -> None:
    data = partly_labelled(0.25)  # about 135 labelled pairs at 16 bits: little to spare
    split = draw_split(data, BITS, 0, need_labels=True, hide_labels=True)
    labelled_fit = int(data.known_labels()[split.fit].sum())
    needed = max(2 * BITS, 4 * MIN_VALIDATION)  # draw_split's own floor, less the validation
    assert 0 < split.hidden.size < round(HIDDEN_SHARE * labelled_fit)  # the floor binds
    assert labelled_fit - split.hidden.size >= needed


def test_hidden_pairs_are_unlabelled_to_every_method() -> None:
    data = partly_labelled()
    split = draw_split(data, BITS, 0, need_labels=True, hide_labels=True)
    supervised = subset(data, split.fit, "supervised", split.hidden)
    semi = subset(data, split.fit, "semi-supervised", split.hidden)
    unsupervised = subset(data, split.fit, "unsupervised", split.hidden)
    known = data.known_labels()
    labelled_fit = int(known[split.fit].sum())
    assert supervised.n_items == labelled_fit - split.hidden.size
    assert semi.n_items == unsupervised.n_items == split.fit.size
    assert semi.label_mask is not None
    hidden_at = np.isin(split.fit, split.hidden)
    assert not semi.label_mask[hidden_at].any()
    assert np.array_equal(semi.label_mask[~hidden_at], known[split.fit][~hidden_at])
    assert unsupervised.labels is None


def test_a_query_is_not_its_own_answer_in_the_hidden_database() -> None:
    d = pairs()
    labels = np.zeros((N, 40), np.uint8)
    labels[:, 0] = 1  # every pair shares class 0 ...
    validation = np.arange(0, 30)
    labels[validation, 0] = 0
    labels[validation, 1 + np.arange(30)] = 1  # ... but each query is alone in its class
    data = PairedFeatures(d.image, d.text, labels)
    hasher = create_hasher("cca-itq", BITS).fit(PairedFeatures(d.image, d.text))
    hidden = np.arange(30, 90)
    fit = np.arange(30, N)
    alone = ValidationSplit(fit, validation, "labels", N, hidden)
    assert score(hasher, data, alone) == 0.0  # only its own pair would have been relevant
    labels[validation[::2], 0] = 1  # half the queries now share class 0 with the hidden pairs
    assert score(hasher, PairedFeatures(d.image, d.text, labels), alone) > 0.0


def test_auto_on_a_partly_labelled_library_ranks_against_hidden_pairs_and_says_so() -> None:
    selection = select_method(partly_labelled(), BITS)
    assert selection.situation == "partly labelled"
    assert "whose labels no method saw" in selection.reason
    scored = [c for c in selection.candidates if c.score is not None]
    assert {c.key for c in scored} >= {"lpih", "hpseh", "batch"}
    assert selection.key == max(scored, key=lambda c: c.score or 0.0).key
