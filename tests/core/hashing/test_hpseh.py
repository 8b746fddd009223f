"""HPsEH: the implicit semantic matrix, the alternating updates and bad supervision."""

from __future__ import annotations

import itertools
import logging

import numpy as np
import pytest

from core.errors import HashingInputError
from core.hashing import PairedFeatures, create_hasher
from core.hashing.base import FitContext
from core.hashing.metrics import evaluate_ranking, hamming_matrix, relevance
from core.hashing.models.hpseh import HPsEH, Iterate
from core.hashing.models.preprocess import fit_paired_feature_maps
from core.hashing.models.semantic import (
    FeatureSimilarity,
    label_factor,
    normalised_labels,
    prior_omega,
    self_expression_omega,
    semantic_matrix,
)
from tests.core.hashing.clustered import Clustered, clustered_pairs

N_TRAIN = 500


def pairs(seed: int = 0, n: int = N_TRAIN + 150) -> Clustered:
    return clustered_pairs(n, seed=seed, p_second=0.3)


def train(d: Clustered) -> PairedFeatures:
    return PairedFeatures(d.image[:N_TRAIN], d.text[:N_TRAIN], d.labels[:N_TRAIN])


def centred_features() -> tuple[np.ndarray, np.ndarray]:
    """(Φ, labels) of the training items: both modalities stacked and centred."""
    d = pairs()
    Phi = np.hstack([d.image, d.text])[:N_TRAIN]
    return Phi - Phi.mean(axis=0), d.labels[:N_TRAIN]


def cross_map(hasher: HPsEH, d: Clustered) -> float:
    q, db = slice(N_TRAIN, None), slice(0, N_TRAIN)
    rel = relevance(d.labels[q], d.labels[db])
    bits = hasher.n_bits
    i2t = hamming_matrix(hasher.encode_image(d.image[q]), hasher.encode_text(d.text[db]), bits)
    t2i = hamming_matrix(hasher.encode_text(d.text[q]), hasher.encode_image(d.image[db]), bits)
    return (evaluate_ranking(i2t, rel).map + evaluate_ranking(t2i, rel).map) / 2


def test_prior_products_equal_the_dense_signed_label_similarity() -> None:
    labels = pairs().labels[:N_TRAIN]
    S = semantic_matrix(labels)
    L_hat = normalised_labels(labels)
    dense = 2 * L_hat @ L_hat.T - 1
    P = np.random.default_rng(0).standard_normal((N_TRAIN, 16))
    np.testing.assert_allclose(S.times(P), dense @ P, atol=1e-9)
    np.testing.assert_allclose(S.transpose_times(P), dense.T @ P, atol=1e-9)
    np.testing.assert_allclose(S.diagonal(), np.ones(N_TRAIN), atol=1e-12)
    same = labels @ labels.T
    assert dense[same == 0].max() == pytest.approx(-1.0)


def test_self_expression_solves_its_normal_equations() -> None:
    Phi, labels = centred_features()
    A = label_factor(labels)
    n, c1 = A.shape
    omega = self_expression_omega([Phi], A, alpha0=0.5)
    H = Phi.T @ A / n
    P1, P2 = H.T @ H, A.T @ A
    alpha = 0.5 * np.trace(P1) * np.trace(P2) / c1**2
    lhs = P1 @ omega @ P2 + alpha * omega
    rhs = n * P1 + alpha * prior_omega(c1 - 1)
    np.testing.assert_allclose(lhs, rhs, rtol=1e-4, atol=1e-5 * np.abs(rhs).max())


def test_self_expression_keeps_dissimilar_pairs_negative_and_tends_to_the_prior() -> None:
    Phi, labels = centred_features()
    dense_prior = semantic_matrix(labels).dense()
    disjoint = (labels @ labels.T) == 0
    identical = (labels[:, None, :] == labels[None, :, :]).all(axis=2)
    learned = semantic_matrix(labels, (Phi,), alpha0=1.0).dense()
    assert learned[disjoint].mean() < -0.3
    assert learned[identical].mean() > 0.9
    assert not np.allclose(learned, dense_prior, atol=0.05)
    strong = semantic_matrix(labels, (Phi,), alpha0=1e6).dense()
    np.testing.assert_allclose(strong, dense_prior, atol=1e-3)


def test_fusion_mixes_the_learned_semantics_with_the_label_prior() -> None:
    Phi, labels = centred_features()
    prior = semantic_matrix(labels).dense()
    learned = semantic_matrix(labels, (Phi,), alpha0=0.1).dense()
    assert not np.allclose(learned, prior, atol=0.05)
    np.testing.assert_allclose(
        semantic_matrix(labels, (Phi,), alpha0=0.1, fusion=1.0).dense(), learned
    )
    np.testing.assert_allclose(
        semantic_matrix(labels, (Phi,), alpha0=0.1, fusion=0.0).dense(), prior
    )
    half = semantic_matrix(labels, (Phi,), alpha0=0.1, fusion=0.5).dense()
    mix = 0.5 * learned + 0.5 * prior  # each at mean diagonal 1, rescaled again
    np.testing.assert_allclose(half, mix / np.mean(np.diag(mix)), atol=1e-9)
    assert np.mean(np.diag(half)) == pytest.approx(1.0)


@pytest.mark.parametrize("bad", [-0.1, 1.5, float("nan")])
def test_a_fusion_weight_outside_zero_to_one_is_refused(bad: float) -> None:
    with pytest.raises(HashingInputError, match="fusion weight must be between 0"):
        create_hasher("hpseh", 16, fusion=bad)


def test_the_fusion_weight_reaches_the_codes() -> None:
    data = train(pairs())
    codes = {
        mu: HPsEH(16, tune=False, fusion=mu).fit(data).encode_image(pairs().image)
        for mu in (1.0, 0.0)
    }
    prior = HPsEH(16, tune=False, self_expression=False).fit(data).encode_image(pairs().image)
    assert np.array_equal(codes[0.0], prior)  # μ = 0 is the label prior alone
    assert not np.array_equal(codes[1.0], codes[0.0])


def test_feature_similarity_products_equal_the_dense_weighted_kernels() -> None:
    rng = np.random.default_rng(0)
    blocks = (
        rng.standard_normal((60, 20)).astype(np.float32),
        3 * rng.standard_normal((60, 30)).astype(np.float32),
    )
    K = FeatureSimilarity.of(blocks, nu=0.2)
    X, Y = (b.astype(np.float64) for b in blocks)
    dense = 0.1 * X @ X.T / np.mean(np.sum(X**2, axis=1))
    dense += 0.1 * Y @ Y.T / np.mean(np.sum(Y**2, axis=1))
    P = rng.standard_normal((60, 8))
    np.testing.assert_allclose(K.times(P), dense @ P, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(K.dense(), dense, rtol=1e-4, atol=1e-6)
    assert np.mean(np.diag(K.dense())) == pytest.approx(0.2, rel=1e-4)  # each block weighs ν/2


@pytest.mark.parametrize("bad", [-0.01, float("nan"), float("inf")])
def test_a_negative_or_unbounded_feature_weight_is_refused(bad: float) -> None:
    with pytest.raises(HashingInputError, match="feature-similarity weight"):
        create_hasher("hpseh", 16, nu=bad)


def test_the_feature_weight_reaches_the_codes_and_zero_is_the_labels_alone() -> None:
    data = train(pairs())
    images = pairs().image

    def codes(**settings: float) -> np.ndarray:
        return HPsEH(16, tune=False, **settings).fit(data).encode_image(images)

    assert np.array_equal(codes(nu=0.0), codes())
    assert not np.array_equal(codes(nu=0.3), codes())


@pytest.mark.parametrize("nu", [0.0, 0.05])
def test_objective_never_increases_over_the_iterations(nu: float) -> None:
    d = pairs()
    data = train(d)
    hasher = HPsEH(32, iterations=8, nu=nu)
    p = hasher.params
    maps, Phi = fit_paired_feature_maps(data, p.features, np.random.default_rng(0), p.anchors)
    for m, X in enumerate((data.image, data.text)):
        np.testing.assert_allclose(maps[m].transform(X), Phi[m], atol=1e-6)
    assert data.labels is not None
    L_hat = normalised_labels(data.labels)
    S = semantic_matrix(data.labels, Phi, p.alpha0)
    dense = S.dense() + FeatureSimilarity.of(Phi, nu).dense()
    n, r = N_TRAIN, 32
    Phi64 = [m.astype(np.float64) for m in Phi]

    def objective(it: Iterate) -> float:
        value = np.sum((r * dense - it.B @ it.V.T) ** 2) / n
        value += p.beta * np.sum((L_hat - it.V @ it.G) ** 2) + p.theta * np.sum((it.B - it.V) ** 2)
        for m in (0, 1):
            value += p.lam * np.sum((it.V - Phi64[m] @ (it.C + it.D[m])) ** 2)
        return float(value)

    trace: list[Iterate] = []
    hasher._solve(Phi, L_hat, S, FitContext(np.random.default_rng(1)), trace.append)
    assert len(trace) == p.iterations
    last = trace[-1]
    np.testing.assert_allclose(last.V.mean(axis=0), 0, atol=1e-8)
    np.testing.assert_allclose(last.V.T @ last.V, n * np.eye(r), atol=1e-6 * n)
    values = [objective(it) for it in trace]
    # the ridge penalties on C, D and G are left out above; they are tiny at these weights,
    # so allow for them with a small relative slack
    for before, after in itertools.pairwise(values):
        assert after <= before * (1 + 1e-3)
    assert values[-1] < values[0]


@pytest.mark.parametrize(
    "settings",
    [
        {},
        {"self_expression": False},
        {"fusion": 0.5},
        {"nu": 0.03},
        {"semantics": "per-modality"},
        {"projections": "specific"},
        {"projections": "shared"},
        {"final": "ridge"},
        {"features": "raw"},
    ],
)
def test_every_variant_learns_codes_better_than_random(settings: dict[str, object]) -> None:
    d = pairs()
    hasher = create_hasher("hpseh", 32, **settings).fit(train(d))
    assert isinstance(hasher, HPsEH)
    lsh = create_hasher("lsh", 32).fit(train(d))
    assert cross_map(hasher, d) > cross_map(lsh, d) + 0.1  # type: ignore[arg-type]


def test_raw_features_of_different_sizes_drop_the_shared_projection() -> None:
    d = pairs()
    data = PairedFeatures(d.image[:N_TRAIN], d.text[:N_TRAIN, :60], d.labels[:N_TRAIN])
    hasher = create_hasher("hpseh", 16, features="raw").fit(data)
    assert hasher.dims == (96, 60)
    assert hasher.encode_text(d.text[:5, :60]).shape == (5, 2)


def test_unlabelled_items_are_left_out_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    d = pairs()
    labels = d.labels[:N_TRAIN].copy()
    labels[::4] = 0
    with caplog.at_level(logging.WARNING, logger="core.hashing.models.hpseh"):
        hasher = create_hasher("hpseh", 32).fit(
            PairedFeatures(d.image[:N_TRAIN], d.text[:N_TRAIN], labels)
        )
    assert "125 of 500 pairs carry no label" in caplog.text
    reference = create_hasher("hpseh", 32).fit(
        PairedFeatures(
            d.image[:N_TRAIN][labels.any(axis=1)],
            d.text[:N_TRAIN][labels.any(axis=1)],
            labels[labels.any(axis=1)],
        )
    )
    assert np.array_equal(hasher.encode_image(d.image), reference.encode_image(d.image))


def test_no_labelled_item_points_to_lpih() -> None:
    d = pairs()
    labels = np.zeros_like(d.labels[:N_TRAIN])
    with pytest.raises(HashingInputError, match="LPIH"):
        create_hasher("hpseh", 32).fit(PairedFeatures(d.image[:N_TRAIN], d.text[:N_TRAIN], labels))


def test_a_single_class_is_refused() -> None:
    d = pairs()
    labels = np.zeros_like(d.labels[:N_TRAIN])
    labels[:, 2] = 1
    with pytest.raises(HashingInputError, match="at least two different labels"):
        create_hasher("hpseh", 32).fit(PairedFeatures(d.image[:N_TRAIN], d.text[:N_TRAIN], labels))


def test_classes_without_members_change_nothing() -> None:
    d = pairs()
    data = train(d)
    assert data.labels is not None
    padded = np.hstack([np.zeros((N_TRAIN, 3), np.uint8), data.labels, np.zeros((N_TRAIN, 2))])
    with_empty = create_hasher("hpseh", 32).fit(PairedFeatures(data.image, data.text, padded))
    plain = create_hasher("hpseh", 32).fit(data)
    assert np.array_equal(with_empty.encode_text(d.text), plain.encode_text(d.text))


def test_duplicated_items_train_as_well_as_distinct_ones() -> None:
    d = pairs()
    half = N_TRAIN // 2
    twice = PairedFeatures(
        np.vstack([d.image[:half]] * 2),
        np.vstack([d.text[:half]] * 2),
        np.vstack([d.labels[:half]] * 2),
    )
    # more anchors than distinct items: the kernel features repeat columns exactly
    hasher = create_hasher("hpseh", 32, anchors=400).fit(twice)
    W = hasher.functions.weights  # type: ignore[attr-defined]
    assert all(np.isfinite(w).all() for w in W)
    single = create_hasher("hpseh", 32, anchors=400).fit(
        PairedFeatures(d.image[:half], d.text[:half], d.labels[:half])
    )
    assert cross_map(hasher, d) > cross_map(single, d) - 0.03  # type: ignore[arg-type]
