"""``--method auto`` (core/hashing/selection.py): the best method by the same validation."""

from __future__ import annotations

from functools import cache

import numpy as np

from core.hashing import PairedFeatures, create_hasher
from core.hashing.selection import FALLBACK, Selection, candidate_specs, select_method
from tests.core.hashing.clustered import Clustered, clustered_pairs

N = 500


@cache
def pairs() -> Clustered:
    return clustered_pairs(N, seed=7)


@cache
def labelled_selection() -> Selection:
    d = pairs()
    return select_method(PairedFeatures(d.image, d.text, d.labels), 16)


def test_a_labelled_library_compares_the_supervised_methods_and_keeps_the_best() -> None:
    selection = labelled_selection()
    assert selection.situation == "labelled"
    assert [c.key for c in selection.candidates] == ["batch", "hpseh"]
    scores = {c.key: c.score for c in selection.candidates}
    assert all(s is not None for s in scores.values())
    assert selection.key == max(scores, key=lambda k: scores[k] or 0.0)
    assert selection.key in selection.reason
    assert "validation mAP" in selection.reason
    assert selection.tuning is not None
    assert selection.tuning.status == "tuned"


def test_the_winner_is_refitted_with_its_search_not_searched_again() -> None:
    selection = labelled_selection()
    assert selection.tuning is not None
    d = pairs()
    hasher = create_hasher(selection.key, 16)
    hasher.use_tuning(selection.tuning)
    hasher.fit(PairedFeatures(d.image, d.text, d.labels))
    assert hasher.tuning is selection.tuning
    for name, value in selection.tuning.chosen.items():
        assert hasher.get_params()[name] == value


def test_an_unlabelled_library_compares_the_offline_unsupervised_methods_by_pairs() -> None:
    d = pairs()
    selection = select_method(PairedFeatures(d.image, d.text), 16)
    assert selection.situation == "unlabelled"
    keys = [c.key for c in selection.candidates]
    assert keys == ["lsh", "itq", "cca-itq", "cmfh"]  # fpo-cmh learns online: chosen by name
    assert all(c.tuning.relevance == "pairs" for c in selection.candidates)
    best = max(selection.candidates, key=lambda c: c.score or 0.0)
    assert selection.key == best.key != "lsh"


def test_a_partly_labelled_library_tries_the_semi_supervised_and_unsupervised_methods() -> None:
    specs = candidate_specs("partly labelled")
    assert "lpih" in [s.key for s in specs]
    assert {s.supervision for s in specs} == {"semi-supervised", "unsupervised"}


def test_a_partly_labelled_library_never_tries_a_method_fitted_on_its_labels_alone() -> None:
    d = pairs()
    mask = np.random.default_rng(0).random(N) < 0.4
    selection = select_method(PairedFeatures(d.image, d.text, d.labels, mask), 16)
    assert selection.situation == "partly labelled"
    keys = [c.key for c in selection.candidates]
    assert "lpih" in keys
    assert not {"hpseh", "batch"} & set(keys)
    assert selection.key == max(selection.candidates, key=lambda c: c.score or 0.0).key


def test_labels_on_a_handful_of_pairs_count_as_an_unlabelled_library() -> None:
    d = pairs()
    mask = np.zeros(N, dtype=bool)
    mask[:10] = True
    selection = select_method(PairedFeatures(d.image, d.text, d.labels, mask), 16)
    assert selection.situation == "unlabelled"
    assert selection.candidates[0].key == "lsh"


def test_too_few_pairs_fall_back_to_the_documented_method_and_say_so() -> None:
    d = pairs()
    selection = select_method(PairedFeatures(d.image[:60], d.text[:60], d.labels[:60]), 16)
    assert selection.key == FALLBACK["labelled"]
    assert selection.candidates == ()
    assert selection.tuning is None
    assert "could not be compared" in selection.reason
