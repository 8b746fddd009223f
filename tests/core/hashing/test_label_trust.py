"""Trust-weighted labels: PairedFeatures.label_weights, HPsEH's weighted semantics and
LPIH's estimate of how far each pseudo-label can be trusted (session 22)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from core.errors import HashingInputError
from core.hashing import PairedFeatures, create_hasher
from core.hashing.models.lpih import LPIH
from core.hashing.models.lpih_labels import trust_curve
from core.hashing.models.semantic import semantic_matrix
from core.hashing.validation import subset
from tests.core.hashing.clustered import clustered_pairs


def _pairs(n: int = 300, seed: int = 0) -> tuple[Any, np.ndarray]:
    d = clustered_pairs(n, p_second=0.0, noise=1.2, seed=seed)
    return d, np.argmax(d.labels, axis=1)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        (np.ones(5), "one number per item"),
        (np.full(6, 1.5), "between 0 and 1"),
        (np.array([0, 1, 1, np.nan, 1, 1.0]), "between 0 and 1"),
        (np.array(["a"] * 6), "one number per item"),
    ],
)
def test_label_weights_of_the_wrong_shape_or_range_are_refused(
    weights: np.ndarray, message: str
) -> None:
    labels = np.eye(2, dtype=np.uint8)[[0, 1, 0, 1, 0, 1]]
    with pytest.raises(HashingInputError, match=message):
        PairedFeatures(np.zeros((6, 3)), np.zeros((6, 3)), labels, label_weights=weights)


def test_label_weights_need_labels_and_are_frozen_float32() -> None:
    with pytest.raises(HashingInputError, match="without labels"):
        PairedFeatures(np.zeros((2, 3)), np.zeros((2, 3)), label_weights=np.ones(2))
    data = PairedFeatures(
        np.zeros((2, 3)), np.zeros((2, 3)), np.eye(2, dtype=np.uint8), label_weights=[0.5, 1]
    )
    assert data.label_weights is not None
    assert data.label_weights.dtype == np.float32
    assert not data.label_weights.flags.writeable


def test_validation_subsets_keep_each_row_s_weight() -> None:
    d, _ = _pairs(40)
    weights = np.linspace(0.0, 1.0, 40)
    data = PairedFeatures(d.image, d.text, d.labels, label_weights=weights)
    rows = np.array([3, 7, 30])
    part = subset(data, rows, "supervised")
    assert part.label_weights is not None
    np.testing.assert_allclose(part.label_weights, weights[rows], rtol=1e-6)


def test_row_weights_scale_each_pair_of_the_semantic_matrix_by_both_trusts() -> None:
    rng = np.random.default_rng(0)
    labels = (rng.random((12, 4)) < 0.4).astype(np.uint8)
    labels[np.arange(12), rng.integers(0, 4, 12)] = 1
    w = rng.uniform(0.1, 1.0, 12)
    plain = semantic_matrix(labels).dense()
    weighted = semantic_matrix(labels, row_weights=w).dense()
    expected = np.outer(w, w) * plain
    expected *= 1.0 / np.mean(np.diag(expected))  # mean diagonal 1, as S always has
    np.testing.assert_allclose(weighted, expected, atol=1e-10)


def _hpseh(data: PairedFeatures) -> Any:
    return create_hasher("hpseh", 16, seed=0, tune=False, anchors=100).fit(data)


def test_hpseh_with_full_trust_everywhere_codes_as_without_weights() -> None:
    d, _ = _pairs()
    plain = _hpseh(PairedFeatures(d.image, d.text, d.labels))
    trusted = _hpseh(PairedFeatures(d.image, d.text, d.labels, label_weights=np.ones(300)))
    np.testing.assert_array_equal(plain.encode_image(d.image), trusted.encode_image(d.image))


def test_hpseh_ignores_the_labels_of_rows_it_does_not_trust_at_all() -> None:
    d, _ = _pairs()
    untrusted = np.arange(0, 300, 3)
    swapped = d.labels.copy()
    swapped[untrusted] = np.roll(d.labels[untrusted], 1, axis=1)  # every one wrong
    trust = np.ones(300)
    trust[untrusted] = 0.0
    true = _hpseh(PairedFeatures(d.image, d.text, d.labels, label_weights=trust))
    wrong = _hpseh(PairedFeatures(d.image, d.text, swapped, label_weights=trust))
    np.testing.assert_array_equal(true.encode_image(d.image), wrong.encode_image(d.image))
    # ... while without the weights the wrong labels change the codes
    fooled = _hpseh(PairedFeatures(d.image, d.text, swapped))
    assert (fooled.encode_image(d.image) != true.encode_image(d.image)).any()


def test_the_trust_curve_rises_with_the_score_and_stays_finite_when_all_are_right() -> None:
    rng = np.random.default_rng(0)
    scores = rng.random(400)
    right = (rng.random(400) < scores).astype(np.float64)  # chance of being right = score
    a, b = trust_curve(scores, right)
    chance = 1.0 / (1.0 + np.exp(-(a + b * np.array([0.1, 0.5, 0.9]))))
    assert b > 0
    np.testing.assert_allclose(chance, [0.1, 0.5, 0.9], atol=0.08)
    a, b = trust_curve(scores, np.ones(400))
    assert np.isfinite([a, b]).all()
    assert 1.0 / (1.0 + np.exp(-(a + b * 0.5))) > 0.95


def test_the_trust_curve_never_falls_as_the_score_rises() -> None:
    rng = np.random.default_rng(1)
    scores = rng.random(60)
    right = (rng.random(60) > scores).astype(np.float64)  # a reversed, noisy ranking
    a, b = trust_curve(scores, right)
    assert b == 0.0
    assert 1.0 / (1.0 + np.exp(-a)) == pytest.approx((right.sum() + 1) / 62)


def test_lpih_trusts_its_right_pseudo_labels_more_than_its_wrong_ones() -> None:
    d = clustered_pairs(800, p_second=0.0, noise=2.2, seed=1)
    mask = np.zeros(800, dtype=bool)
    mask[np.random.default_rng(1).choice(800, 40, replace=False)] = True
    lpih = create_hasher("lpih", 16, seed=0, pseudo_trust="calibrated", tune=False)
    lpih.fit(PairedFeatures(d.image, d.text, d.labels, mask))
    assert isinstance(lpih, LPIH)
    report = lpih.report
    assert report is not None
    assert report.pseudo is not None
    trust = report.pseudo.trust
    assert trust is not None
    best = report.classes[np.argmax(report.pseudo.scores, axis=1)]
    right = d.labels[~mask][np.arange(best.size), best].astype(bool)
    assert 0.2 < right.mean() < 0.95  # some right, some wrong: the test can tell them apart
    assert ((trust > 0) & (trust < 1)).all()
    assert trust[right].mean() > trust[~right].mean() + 0.1
    weights = lpih._trust(mask, report.pseudo)
    assert weights is not None
    np.testing.assert_array_equal(weights[mask], 1.0)
    np.testing.assert_allclose(weights[~mask], trust, rtol=1e-6)


def test_rank_trust_orders_the_pseudo_labels_by_their_best_score() -> None:
    d = clustered_pairs(400, p_second=0.0, noise=2.2, seed=1)
    mask = np.zeros(400, dtype=bool)
    mask[::10] = True
    lpih = create_hasher("lpih", 16, seed=0, pseudo_trust="rank", tune=False)
    lpih.fit(PairedFeatures(d.image, d.text, d.labels, mask))
    assert isinstance(lpih, LPIH)
    assert lpih.report is not None
    assert lpih.report.pseudo is not None
    weights = lpih._trust(mask, lpih.report.pseudo)
    assert weights is not None
    np.testing.assert_array_equal(weights[mask], 1.0)
    best = lpih.report.pseudo.scores.max(axis=1)
    order = np.argsort(best, kind="stable")
    assert (np.diff(weights[~mask][order]) >= 0).all()  # a surer row is never trusted less
    assert weights[~mask].max() == 1.0
    assert weights[~mask].min() == pytest.approx(1 / 360, abs=1e-6)


def test_an_unknown_trust_kind_is_refused() -> None:
    with pytest.raises(HashingInputError, match="pseudo_trust"):
        create_hasher("lpih", 16, pseudo_trust="sometimes")


def test_lpih_without_pseudo_trust_relearns_with_full_trust() -> None:
    d = clustered_pairs(400, p_second=0.0, noise=2.2, seed=3)
    mask = np.zeros(400, dtype=bool)
    mask[:40] = True
    lpih = create_hasher("lpih", 16, seed=0, tune=False)
    lpih.fit(PairedFeatures(d.image, d.text, d.labels, mask))
    assert isinstance(lpih, LPIH)
    assert lpih.report is not None
    assert lpih.report.pseudo is not None
    assert lpih._trust(mask, lpih.report.pseudo) is None


def test_batch_also_ignores_the_labels_of_rows_it_does_not_trust_at_all() -> None:
    d, _ = _pairs()
    untrusted = np.arange(0, 300, 3)
    swapped = d.labels.copy()
    swapped[untrusted] = np.roll(d.labels[untrusted], 1, axis=1)
    trust = np.ones(300)
    trust[untrusted] = 0.0

    def batch(labels: np.ndarray, weights: np.ndarray | None) -> Any:
        data = PairedFeatures(d.image, d.text, labels, label_weights=weights)
        return create_hasher("batch", 16, seed=0, tune=False).fit(data)

    true, wrong = batch(d.labels, trust), batch(swapped, trust)
    np.testing.assert_array_equal(true.encode_text(d.text), wrong.encode_text(d.text))
    assert (batch(swapped, None).encode_text(d.text) != true.encode_text(d.text)).any()
