"""The self-tuning fit (core/hashing/tuning.py): one search, the same for every method."""

from __future__ import annotations

import logging
from functools import cache

import numpy as np
import pytest

import core.hashing.tuning as tuning_module
from core.errors import HashingInputError
from core.hashing import Hasher, PairedFeatures, create_hasher, list_hashers, tunable
from core.hashing.base import FitContext
from core.hashing.models.batch import BATCHParams
from core.hashing.models.hpseh import HPsEHParams
from core.hashing.models.lpih import LPIH
from core.hashing.registry import resolve
from core.hashing.tunable import ANCHOR_LADDER, ANCHOR_SHARE, refit_anchor_cap
from core.hashing.tuning import TuningReport
from core.hashing.validation import MIN_LABELLED, draw_split
from tests.core.hashing.clustered import Clustered, clustered_pairs

N = 600


@cache
def pairs() -> Clustered:
    return clustered_pairs(N, seed=5)


def train_set(n: int = N) -> PairedFeatures:
    d = pairs()
    return PairedFeatures(d.image[:n], d.text[:n], d.labels[:n])


@cache
def tuned(key: str = "batch") -> Hasher:
    return create_hasher(key, 16).fit(train_set())


@pytest.mark.parametrize("key", ["batch", "hpseh"])
def test_the_fit_chooses_anchors_and_ridge_by_validation_and_uses_them(key: str) -> None:
    hasher = tuned(key)
    report = hasher.tuning
    assert report is not None
    assert report.status == "tuned"
    assert report.relevance == "labels"
    assert report.fit_rows + report.validation_rows == N
    assert 1 < len(report.trials) <= 7  # 1 + 2 per group, three groups
    best = max(report.trials, key=lambda t: t.score or -1.0)
    params = hasher.get_params()
    ridge = "xi" if key == "batch" else "gamma_d"
    assert params[ridge] == best.params[ridge] == report.chosen[ridge]
    anchor = "anchors_image" if key == "batch" else "anchors"
    # anchors never above a share of the pairs a candidate saw, then scaled to n
    assert all(t.params[anchor] <= ANCHOR_SHARE * report.fit_rows for t in report.trials)
    scaled = round(best.params[anchor] * N / report.fit_rows)
    assert params[anchor] == report.chosen[anchor] == scaled
    if key == "batch":
        assert params["anchors_text"] == params["anchors_image"]  # one capacity for both


def test_a_small_set_tries_as_many_anchors_as_fitting_pairs_then_a_half_and_a_quarter() -> None:
    report = tuned("hpseh").tuning
    assert report is not None
    k = report.fit_rows
    assert k < max(ANCHOR_LADDER)
    assert [t.params["anchors"] for t in report.trials[:3]] == [k, k // 2, k // 4]


def test_same_seed_same_choice_and_codes() -> None:
    again = create_hasher("batch", 16).fit(train_set())
    first = tuned("batch")
    assert again.tuning is not None
    assert first.tuning is not None
    assert again.tuning.chosen == first.tuning.chosen
    d = pairs()
    assert np.array_equal(again.encode_image(d.image), first.encode_image(d.image))


def test_the_tuned_model_equals_a_fit_with_the_chosen_settings_given_explicitly() -> None:
    first = tuned("batch")
    assert first.tuning is not None
    explicit = create_hasher("batch", 16, **first.tuning.chosen).fit(train_set())
    assert explicit.tuning is not None
    assert explicit.tuning.status == "explicit"
    d = pairs()
    assert np.array_equal(explicit.encode_text(d.text), first.encode_text(d.text))


def test_explicit_settings_are_not_tuned() -> None:
    hasher = create_hasher("batch", 16, anchors_image=120, anchors_text=90).fit(train_set())
    assert hasher.tuning is not None
    assert set(hasher.tuning.chosen) == {"xi", "eta1", "eta2"}
    assert all(t.params["anchors_image"] == 120 for t in hasher.tuning.trials)
    assert hasher.get_params()["anchors_text"] == 90


def test_tune_false_keeps_the_documented_defaults() -> None:
    hasher = create_hasher("hpseh", 16, tune=False).fit(train_set())
    assert hasher.tuning is None
    assert hasher.get_params()["anchors"] == HPsEHParams().anchors


def test_raw_features_leave_the_anchors_alone() -> None:
    hasher = create_hasher("cca-itq", 16).fit(train_set())
    assert hasher.tuning is not None
    assert set(hasher.tuning.chosen) == {"reg"}


def test_methods_without_settings_are_not_searched() -> None:
    hasher = create_hasher("itq", 16).fit(train_set())
    assert hasher.tuning is None


def test_the_choice_is_saved_and_loaded_with_the_model() -> None:
    first = tuned("hpseh")
    again = Hasher.from_bytes(first.to_bytes())
    assert again.tuning == first.tuning
    assert again.get_params() == first.get_params()


def test_unlabelled_rows_do_not_change_a_supervised_search() -> None:
    d = pairs()
    labels = d.labels.copy()
    labels[::5] = 0
    with_unlabelled = create_hasher("batch", 16).fit(PairedFeatures(d.image, d.text, labels))
    keep = labels.any(axis=1)
    only = create_hasher("batch", 16).fit(PairedFeatures(d.image[keep], d.text[keep], labels[keep]))
    assert with_unlabelled.tuning is not None
    assert only.tuning is not None

    def scored(h: Hasher) -> list[tuple[object, float | None]]:
        assert h.tuning is not None
        return [(t.params, t.score) for t in h.tuning.trials]

    assert scored(with_unlabelled) == scored(only)


def test_the_split_is_stratified_by_label_and_keeps_unlabelled_rows_for_fitting() -> None:
    d = pairs()
    mask = np.arange(N) % 3 != 0
    split = draw_split(PairedFeatures(d.image, d.text, d.labels, mask), 16, 0, need_labels=True)
    assert mask[split.validation].all()  # validation queries all carry labels
    assert not set(split.fit) & set(split.validation)
    assert set(np.flatnonzero(~mask)) <= set(split.fit)
    first = np.argmax(d.labels, axis=1)
    for cls in np.unique(first[mask]):
        assert (first[split.validation] == cls).any()
        assert (first[split.fit] == cls).any()


def test_too_few_pairs_fall_back_to_the_defaults_and_say_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="core.hashing.tuning"):
        hasher = create_hasher("batch", 16).fit(train_set(90))
    report = hasher.tuning
    assert report is not None
    assert report.status == "defaults"
    assert "too few" in report.message
    assert "documented defaults kept" in caplog.text
    assert hasher.get_params()["anchors_image"] == BATCHParams().anchors_image
    assert not report.trials


def test_labels_on_a_handful_of_pairs_fall_back_for_semi_supervised_lpih() -> None:
    d = pairs()
    mask = np.zeros(N, dtype=bool)
    mask[:12] = True
    hasher = create_hasher("lpih", 16).fit(PairedFeatures(d.image, d.text, d.labels, mask))
    assert hasher.tuning is not None
    assert hasher.tuning.status == "defaults"
    assert f"only 12 pairs are labelled, fewer than the {MIN_LABELLED}" in hasher.tuning.message


def test_too_few_labelled_pairs_are_named_as_such_not_as_too_few_pairs() -> None:
    d = pairs()
    mask = np.zeros(N, dtype=bool)
    mask[:120] = True  # enough to try (>= MIN_LABELLED), too few to split at 64 bits
    hasher = create_hasher("lpih", 64).fit(PairedFeatures(d.image, d.text, d.labels, mask))
    assert hasher.tuning is not None
    assert hasher.tuning.status == "defaults"
    assert hasher.tuning.message.startswith("120 labelled pairs are too few"), hasher.tuning.message


def test_one_class_cannot_be_validated_and_says_so() -> None:
    d = pairs()
    one = np.zeros((N, 1), dtype=np.uint8) + 1
    hasher = create_hasher("batch", 16).fit(PairedFeatures(d.image, d.text, one))
    assert hasher.tuning is not None
    assert hasher.tuning.status == "defaults"
    assert "same label" in hasher.tuning.message
    with pytest.raises(HashingInputError, match="at least two different labels"):
        create_hasher("hpseh", 16).fit(PairedFeatures(d.image, d.text, one))


def test_a_time_budget_too_small_to_compare_is_refused_with_a_clear_message() -> None:
    hasher = create_hasher("batch", 16, tune_seconds=1e-6)
    with pytest.raises(HashingInputError, match="time budget of 1e-06 s is too small"):
        hasher.fit(train_set())
    assert not hasher.is_fitted


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf"), "10", True])
def test_a_time_budget_must_be_a_positive_number(bad: object) -> None:
    with pytest.raises(HashingInputError, match="positive number of seconds"):
        create_hasher("batch", 16, tune_seconds=bad)


def half_labelled() -> PairedFeatures:
    d = pairs()
    return PairedFeatures(d.image, d.text, d.labels, np.arange(N) % 2 == 0)


def count_searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record the method of every self-tuning search that runs from now on."""
    searched: list[str] = []
    real = tuning_module.tune_settings

    def spy(hasher: Hasher, data: PairedFeatures, context: FitContext) -> TuningReport:
        searched.append(hasher.name)
        return real(hasher, data, context)

    monkeypatch.setattr(tuning_module, "tune_settings", spy)
    return searched


def test_with_tune_base_none_only_lpih_itself_tunes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    searched = count_searches(monkeypatch)
    lpih = create_hasher("lpih", 16, tune_base="none").fit(half_labelled())
    assert isinstance(lpih, LPIH)
    assert lpih.tuning is not None
    assert lpih.tuning.status == "tuned"
    assert {"anchors", "gamma"} == set(lpih.tuning.chosen)
    assert searched == ["lpih"]
    assert lpih.report is not None
    assert lpih.report.base_tuning == {}


def test_lpih_can_let_its_wrapped_hashers_tune_and_reports_what_they_chose(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    searched = count_searches(monkeypatch)
    lpih = create_hasher("lpih", 16, tune_base="both", self_training=1).fit(half_labelled())
    assert isinstance(lpih, LPIH)
    # LPIH's own search, stage 0 on the labelled half, then one search for relearning:
    # the self-training round reuses its choice instead of searching again.
    assert searched == ["lpih", "hpseh", "hpseh"]
    assert lpih.report is not None
    chosen = lpih.report.base_tuning
    assert set(chosen) == {"stage 0", "relearned"}
    assert all(report.status == "tuned" for report in chosen.values())
    assert set(chosen["relearned"].chosen) == {"anchors", "gamma_c", "gamma_d", "alpha0"}
    base = lpih._base
    assert base is not None
    assert base.params.anchors == chosen["relearned"].chosen["anchors"]


@pytest.mark.parametrize(("tune_base", "expected"), [("relearned", 1), ("none", 0)])
def test_only_the_asked_for_wrapped_hashers_tune(
    monkeypatch: pytest.MonkeyPatch, tune_base: str, expected: int
) -> None:
    searched = count_searches(monkeypatch)
    lpih = create_hasher("lpih", 16, tune_base=tune_base, self_training=0)
    lpih.fit(half_labelled())
    assert searched.count("hpseh") == expected


def test_wrapped_hashers_never_tune_inside_an_untuned_fit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The candidates of LPIH's own search are fitted with tune=False: a search inside
    # every candidate would multiply the search's cost by seven.
    searched = count_searches(monkeypatch)
    lpih = create_hasher("lpih", 16, tune=False, tune_base="both").fit(half_labelled())
    assert searched == []
    assert isinstance(lpih, LPIH)
    assert lpih.report is not None
    assert lpih.report.base_tuning == {}


@pytest.mark.parametrize("key", list_hashers())
def test_every_method_gets_the_same_search_budget(key: str) -> None:
    groups = resolve(key).tunable
    assert len(groups) <= 3  # at most 1 + 2 + 2 + 2 = 7 trial fits, whatever the method
    assert sum(g.kind == "anchors" for g in groups) <= 1
    assert all(len(g.values) == 3 for g in groups if g.kind == "ridge")


def test_the_refit_anchor_cap_keeps_the_work_within_its_share_of_the_defaults() -> None:
    # BATCH's 500 + 1,000 default anchors on 100,000 pairs: 4/3 of that work is
    # 1,000 per modality; HPsEH's 2,000 shared anchors are never held back.
    assert refit_anchor_cap(1500, 2, 100_000) == 1000
    assert refit_anchor_cap(2000, 1, 100_000) >= max(ANCHOR_LADDER)
    # Small libraries get the floor: 20,000 pairs may use 2 × 2,000 anchors.
    assert refit_anchor_cap(1500, 2, 20_000) == 2000
    assert refit_anchor_cap(1500, 2, 2_000) > max(ANCHOR_LADDER)
    # The cap falls as the library grows, never below the defaults' own work share.
    caps = [refit_anchor_cap(1500, 2, n) for n in (30_000, 60_000, 1_000_000)]
    assert caps == sorted(caps, reverse=True)
    assert caps[-1] == 1000


def test_the_refit_time_budget_holds_the_anchors_and_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    free = tuned("batch")
    assert free.tuning is not None
    assert free.tuning.budget_note == ""
    assert "time budget" not in free.tuning.summary()
    # A tiny budget share makes the cap bind on this small set: 0.1 × 1,500 / 2 = 75.
    monkeypatch.setattr(tunable, "REFIT_WORK_SHARE", 0.1)
    monkeypatch.setattr(tunable, "REFIT_WORK_FLOOR", 0)
    held = create_hasher("batch", 16).fit(train_set())
    report = held.tuning
    assert report is not None
    assert report.status == "tuned"
    assert report.chosen["anchors_image"] == report.chosen["anchors_text"] == 75
    assert held.get_params()["anchors_image"] == held.get_params()["anchors_text"] == 75
    assert free.get_params()["anchors_image"] > 75  # the same search, unbudgeted
    assert [t.params for t in report.trials] == [t.params for t in free.tuning.trials]
    assert "holds the anchors at 75" in report.budget_note
    assert report.budget_note in report.summary()
    assert report.budget_note in report.message
    assert Hasher.from_bytes(held.to_bytes()).tuning == report  # saved with the model
