"""benchmarks/auto_pick.py and auto_extra.py score ``--method auto``'s candidates on test."""

from __future__ import annotations

from functools import cache

import numpy as np

from benchmarks.auto_extra import score_variant
from benchmarks.auto_pick import rows_for, run_cell
from benchmarks.lpih_protocol import Evaluator
from core.hashing import PairedFeatures
from hashlens_bench.splits import labelled_mask
from hashlens_bench.synthetic import make_synthetic

DATA = make_synthetic(400, 24, 16, 5, seed=3, noise=0.8, query_fraction=0.2)
BITS = 16


def train(fraction: float) -> PairedFeatures:
    rows = DATA.train
    mask = labelled_mask(rows.size, fraction, 0) if fraction < 1 else None
    return PairedFeatures(DATA.image[rows], DATA.text[rows], DATA.labels[rows], mask)


@cache
def cell(fraction: float) -> dict[str, object]:
    return run_cell(Evaluator(DATA), train(fraction), BITS, 0)


def test_each_kind_of_method_is_refitted_on_the_rows_the_trainer_gives_it() -> None:
    semi = train(0.5)
    assert semi.label_mask is not None
    supervised = rows_for("supervised", semi)
    assert supervised.n_items == int(semi.label_mask.sum())
    assert supervised.label_mask is None
    assert rows_for("unsupervised", semi).labels is None
    assert rows_for("semi-supervised", semi) is semi
    full = train(1.0)
    assert rows_for("supervised", full) is full


def test_a_labelled_cell_scores_both_candidates_and_measures_the_regret_of_the_pick() -> None:
    result = cell(1.0)
    test = result["test"]
    validation = result["validation"]
    assert isinstance(test, dict)
    assert isinstance(validation, dict)
    assert result["situation"] == "labelled"
    assert set(test) == {"batch", "hpseh"}
    assert result["pick"] == max(validation, key=lambda k: validation[k])
    best = max(test.values())
    assert result["oracle_test"] == best
    assert result["regret"] == best - test[result["pick"]] >= 0.0
    assert all(0.2 < v <= 1.0 for v in test.values())  # five separable classes


def test_a_partly_labelled_cell_offers_no_method_fitted_on_the_labels_alone() -> None:
    result = cell(0.5)
    test = result["test"]
    assert isinstance(test, dict)
    assert result["situation"] == "partly labelled"
    assert "lpih" in test
    assert not {"batch", "hpseh"} & set(test)
    ranked = sorted(test, key=lambda k: -test[k])
    regret = result["regret"]
    assert isinstance(regret, float)
    assert result["pick_rank"] == ranked.index(result["pick"]) + 1
    assert np.isclose(regret, test[ranked[0]] - test[result["pick"]])


def test_a_variant_scored_as_a_candidate_matches_the_same_method_inside_auto() -> None:
    result = cell(0.5)
    validation, test = result["validation"], result["test"]
    assert isinstance(validation, dict)
    assert isinstance(test, dict)
    extra = score_variant(Evaluator(DATA), train(0.5), BITS, 0, "lpih")
    assert extra["validation"] == validation["lpih"]
    assert extra["test"] == test["lpih"]
    stage0 = score_variant(
        Evaluator(DATA), train(0.5), BITS, 0, "lpih(relearn=objective,iterations=0,self_training=0)"
    )
    assert stage0["test"] is not None
    assert stage0["test"] != test["lpih"]  # a different model, scored the same way


def test_a_variant_is_not_scored_where_auto_would_compare_nothing() -> None:
    rows = DATA.train[:120]
    mask = labelled_mask(rows.size, 0.5, 0)  # 60 labelled pairs: too few to hold some out
    small = PairedFeatures(DATA.image[rows], DATA.text[rows], DATA.labels[rows], mask)
    extra = score_variant(Evaluator(DATA), small, BITS, 0, "lpih")
    assert extra == {"validation": None, "test": None}
