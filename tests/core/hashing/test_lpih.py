"""LPIH: label functions, pseudo-labels, stage 3 and bad supervision."""

from __future__ import annotations

import logging
from functools import cache
from typing import Any

import numpy as np
import pytest

from core.errors import HashingInputError, TaskCancelled
from core.hashing import Hasher, PairedFeatures, create_hasher
from core.hashing.metrics import evaluate_ranking, hamming_matrix, relevance
from core.hashing.models.lpih import LPIH, _inherited_codes
from core.hashing.models.lpih_labels import (
    PseudoLabels,
    _loo_prototype_scores,
    class_prototypes,
    f1_thresholds,
    hard_labels,
    ridge_with_loo,
    soft_labels,
    widened_labels,
)
from core.hashing.models.lpih_objective import (
    Stage3,
    prepare_stage3,
    procrustes,
    stage3_weights,
)
from core.hashing.models.lpih_settings import LPIHParams, base_settings
from core.hashing.models.preprocess import fit_paired_feature_maps
from core.hashing.models.semantic import SemanticMatrix, label_factor, prior_omega
from core.progress import CancelToken
from tests.core.hashing.clustered import Clustered, clustered_pairs

N = 800


def pairs(seed: int) -> Clustered:
    return clustered_pairs(N + 200, seed=seed, p_second=0.2, noise=1.5)


def labelled(seed: int, count: int = 40) -> np.ndarray:
    mask = np.zeros(N, dtype=bool)
    mask[np.random.default_rng(seed).choice(N, count, replace=False)] = True
    return mask


@cache
def fitted(seed: int) -> LPIH:
    lpih = create_hasher("lpih", 32).fit(semi(pairs(seed), labelled(seed)))
    assert isinstance(lpih, LPIH)
    return lpih


@cache
def fitted_mu_1(seed: int, **settings: Any) -> Hasher:
    """LPIH with μ = 1 in its bases (the default until session 17), where the two cases of
    relearning from poor pseudo-labels below were found; shared, since both fit the same."""
    return create_hasher("lpih", 32, base_fusion=1.0, **settings).fit(
        semi(pairs(seed), labelled(seed))
    )


#: LPIH's settings that keep stage 0 alone: the inherited codes, never relearned.
STAGE_0 = {"relearn": "objective", "iterations": 0, "self_training": 0}


def lpih_base(bits: int, **settings: Any) -> Hasher:
    """HPsEH as LPIH builds its base 𝓜 (μ = ``base_fusion``, 0.5 since session 17)."""
    return create_hasher("hpseh", bits, seed=0, **base_settings(LPIHParams()), **settings)


def semi(d: Clustered, mask: np.ndarray) -> PairedFeatures:
    return PairedFeatures(d.image[:N], d.text[:N], d.labels[:N], mask)


def cross_map(hasher: Hasher, d: Clustered) -> float:
    q, db = slice(N, None), slice(0, N)
    rel = relevance(d.labels[q], d.labels[db])
    bits = hasher.n_bits
    i2t = hamming_matrix(hasher.encode_image(d.image[q]), hasher.encode_text(d.text[db]), bits)
    t2i = hamming_matrix(hasher.encode_text(d.text[q]), hasher.encode_image(d.image[db]), bits)
    return (evaluate_ranking(i2t, rel).map + evaluate_ranking(t2i, rel).map) / 2


# ----------------------------------------------------------------- stage 1 pieces
@pytest.mark.parametrize("k", [5, 40])  # dual form (n < k) and primal form
def test_ridge_leave_one_out_equals_refitting_without_each_row(k: int) -> None:
    rng = np.random.default_rng(0)
    X, T = rng.standard_normal((12, k)), rng.standard_normal((12, 3))
    W, loo = ridge_with_loo(X, T, 0.1)
    lam = 0.1 * float((X**2).sum()) / k
    np.testing.assert_allclose(W, np.linalg.solve(X.T @ X + lam * np.eye(k), X.T @ T), atol=1e-8)
    for i in range(12):
        keep = np.arange(12) != i
        Xi, Ti = X[keep], T[keep]
        Wi = np.linalg.solve(Xi.T @ Xi + lam * np.eye(k), Xi.T @ Ti)  # same λ, as in the formula
        np.testing.assert_allclose(loo[i], X[i] @ Wi, atol=1e-8)


def test_f1_threshold_separates_where_f1_is_best() -> None:
    scores = np.array([[0.9], [0.8], [0.6], [0.5], [0.2]])
    truth = np.array([[True], [True], [False], [True], [False]])
    # taking 4 (F1 = 6/7) beats taking 2 (F1 = 0.8) and 5 (0.75): threshold between 0.5 and 0.2
    assert f1_thresholds(scores, truth)[0] == pytest.approx(0.35)
    assert f1_thresholds(scores, np.zeros_like(truth))[0] == 1.0


def test_hard_labels_keep_the_top_class_and_respect_the_cap() -> None:
    scores = np.array([[0.1, 0.2, 0.05], [0.9, 0.8, 0.7]])
    hard = hard_labels(scores, np.array([0.5, 0.5, 0.5]), max_labels=2)
    np.testing.assert_array_equal(hard, [[0, 1, 0], [1, 1, 0]])


def test_widened_labels_add_the_runners_up_that_score_close_to_the_best() -> None:
    scores = np.array([[0.9, 0.3, 0.8, 0.0], [0.2, 0.8, 0.1, 0.4], [0.5, 0.6, 0.7, 0.1]])
    hard = np.array([[1, 0, 0, 0], [0, 1, 0, 0], [1, 0, 1, 0]], dtype=np.uint8)

    np.testing.assert_array_equal(widened_labels(hard, scores, top=1), hard)
    np.testing.assert_array_equal(
        widened_labels(hard, scores, top=2), [[1, 0, 1, 0], [0, 1, 0, 1], [1, 1, 1, 0]]
    )
    np.testing.assert_array_equal(  # 0.4 < 0.75 · 0.8: row 1's runner-up stays off
        widened_labels(hard, scores, top=2, ratio=0.75), [[1, 0, 1, 0], [0, 1, 0, 0], [1, 1, 1, 0]]
    )
    np.testing.assert_array_equal(  # Ỹ's own classes are never dropped
        widened_labels(hard, scores, top=3, ratio=0.75), [[1, 0, 1, 0], [0, 1, 0, 0], [1, 1, 1, 0]]
    )
    assert hard[0].tolist() == [1, 0, 0, 0]  # the input is left alone


def test_soft_labels_keep_the_top_classes_weighted_by_sharpened_scores() -> None:
    scores = np.array([[0.9, 0.3, 0.6, 0.0], [0.0, 0.0, 0.0, 0.0], [0.2, 0.8, 0.1, 0.4]])

    soft = soft_labels(scores, top=2, power=2.0)

    np.testing.assert_allclose(soft[0], [0.81, 0.0, 0.36, 0.0])
    np.testing.assert_allclose(soft[2], [0.0, 0.64, 0.0, 0.16])
    assert soft[1].tolist() == [1.0, 0.0, 0.0, 0.0]  # no evidence: the arg-max, never empty
    np.testing.assert_allclose(soft_labels(scores, top=1, power=1.0)[0], [0.9, 0, 0, 0])


def test_soft_pseudo_labels_give_graded_similarities_where_hard_ones_give_two_values() -> None:
    labels = np.array([[1, 0, 0], [0, 1, 0], [0, 0, 0], [0, 0, 0]], dtype=np.uint8)
    known = np.array([True, True, False, False])
    scores = np.array([[0.9, 0.5, 0.1], [0.2, 0.7, 0.6]])
    pseudo = PseudoLabels(hard_labels(scores, np.ones(3), 1), np.ones(2), scores)

    def similarities(kind: str) -> np.ndarray:
        lpih = create_hasher("lpih", 16, pseudo=kind, weighting="none", soft_power=1.0)
        assert isinstance(lpih, LPIH)
        return lpih._semantics(known, labels, pseudo).dense()

    hard, soft = similarities("hard"), similarities("soft")
    assert set(np.round(hard, 9).ravel().tolist()) == {-1.0, 1.0}
    assert hard[0, 2] == 1.0  # all or nothing
    assert hard[1, 2] == -1.0
    assert -1 < soft[1, 2] < soft[0, 2] < 1  # row 2 is mostly class 0, partly class 1
    assert soft[1, 2] > hard[1, 2]
    assert -1 < soft[2, 3] < 1
    np.testing.assert_allclose(soft[:2, :2], hard[:2, :2])  # true labels are unchanged


def test_prototypes_and_their_leave_one_out_scores() -> None:
    rng = np.random.default_rng(4)
    U = np.sign(rng.standard_normal((10, 8)))
    L = (rng.random((10, 3)) < 0.4).astype(float)
    L[:, 0] = 1 - L[:, 1]
    prototypes = class_prototypes(U, L)
    np.testing.assert_array_equal(prototypes[:, 2], np.where(U.T @ L[:, 2] > 0, 1, -1))
    loo = _loo_prototype_scores(U, L)
    for i in range(10):
        keep = np.arange(10) != i
        rebuilt = class_prototypes(U[keep], L[keep])
        np.testing.assert_allclose(loo[i], (1 + U[i] @ rebuilt / 8) / 2)


def test_asymmetric_semantic_matrix_products_match_the_dense_matrix() -> None:
    rng = np.random.default_rng(1)
    labels = (rng.random((9, 3)) < 0.5).astype(np.uint8)
    labels[:, 0] |= ~labels.any(axis=1)
    A = label_factor(labels)
    right = A.copy()
    right[:, :-1] *= rng.random(9)[:, None]
    S = SemanticMatrix(A, prior_omega(3), right)
    P = rng.standard_normal((9, 4))
    np.testing.assert_allclose(S.times(P), S.dense() @ P)
    np.testing.assert_allclose(S.transpose_times(P), S.dense().T @ P)
    np.testing.assert_allclose(S.diagonal(), np.diag(S.dense()))
    assert not np.allclose(S.dense(), S.dense().T)


# ----------------------------------------------------------------- stage 3 pieces
def test_w_step_is_the_exact_minimiser_of_its_subproblem() -> None:
    rng = np.random.default_rng(2)
    Phi = rng.standard_normal((30, 6)).astype(np.float32)
    K = Phi.T.astype(np.float64) @ Phi
    rho, gamma = 0.3, 0.05
    inverse = np.linalg.inv(K + (rho + gamma) * np.eye(6))
    W0 = rng.standard_normal((6, 8))
    s = Stage3(
        (Phi, Phi), np.sign(rng.standard_normal((30, 8))), (W0, W0), (inverse, inverse), (rho, rho)
    )
    V, R = rng.standard_normal((30, 4)), procrustes(s.U, np.sign(rng.standard_normal((30, 4))))
    W = stage3_weights(s, V, R)[0]
    gradient = Phi.T @ (Phi @ W - V) + rho * (W - W0 @ R) + gamma * W
    np.testing.assert_allclose(gradient, 0, atol=1e-5)  # float32 products of Φ


def test_procrustes_is_semi_orthogonal_and_maximises_alignment() -> None:
    rng = np.random.default_rng(3)
    U = np.sign(rng.standard_normal((50, 16)))
    B = np.sign(rng.standard_normal((50, 8)))
    R = procrustes(U, B)
    np.testing.assert_allclose(R.T @ R, np.eye(8), atol=1e-10)
    best = np.trace(B.T @ U @ R)
    for _ in range(20):
        Q, _ = np.linalg.qr(rng.standard_normal((16, 8)))
        assert np.trace(B.T @ U @ Q) <= best + 1e-9


# ----------------------------------------------------------------- whole method
@pytest.mark.parametrize("seed", [0, 1])
def test_lpih_beats_its_base_trained_on_the_labelled_rows(seed: int) -> None:
    d, mask = pairs(seed), labelled(seed)
    lpih = fitted(seed)
    base = lpih_base(32).fit(
        PairedFeatures(d.image[:N][mask], d.text[:N][mask], d.labels[:N][mask])
    )
    assert cross_map(lpih, d) > cross_map(base, d) + 0.05


def test_pseudo_labels_are_mostly_right_and_reported() -> None:
    d, mask = pairs(1), labelled(1)
    report = fitted(1).report
    assert report is not None
    assert report.pseudo is not None
    np.testing.assert_array_equal(report.labelled, mask)
    hidden = d.labels[:N][~mask][:, report.classes]
    hits = int((hidden & report.pseudo.hard).sum())
    # Precision 0.625 when the relearned base kept its defaults, 0.600 since it tunes
    # (session 12; recall 0.860 → 0.865); a random class is right for about 0.15.
    assert hits / report.pseudo.hard.sum() > 0.55
    assert hits / hidden.sum() > 0.6
    assert ((report.pseudo.confidence >= 0) & (report.pseudo.confidence <= 1)).all()
    assert set(report.seconds) == {"base", "graph", "features", "labels", "hash functions"}


def test_the_oracle_ablation_learns_from_the_hidden_labels_and_does_better() -> None:
    d, mask = pairs(1), labelled(1)
    oracle = create_hasher("lpih", 32, oracle=True).fit(semi(d, mask))
    assert isinstance(oracle, LPIH)
    report = oracle.report
    assert report is not None
    assert report.pseudo is not None
    np.testing.assert_array_equal(report.pseudo.hard, d.labels[:N][~mask][:, report.classes])
    np.testing.assert_array_equal(report.pseudo.confidence, 1.0)
    assert cross_map(oracle, d) > cross_map(fitted(1), d)


def test_wraps_batch_too_and_round_trips() -> None:
    d, mask = pairs(0), labelled(0, 120)
    lpih = create_hasher("lpih", 16, base="batch").fit(semi(d, mask))
    again = Hasher.from_bytes(lpih.to_bytes())
    np.testing.assert_array_equal(lpih.encode_text(d.text), again.encode_text(d.text))
    assert cross_map(lpih, d) > 0.5


def test_fewer_labelled_rows_than_bits_shrinks_the_base_code() -> None:
    d, mask = pairs(0), labelled(0, 30)
    lpih = create_hasher("lpih", 64, anchors=200).fit(semi(d, mask))
    assert isinstance(lpih, LPIH)
    assert lpih.report is not None
    assert lpih.report.base_bits == 24
    assert lpih.encode_image(d.image[:3]).shape == (3, 8)


def test_cancelling_stops_training() -> None:
    d, mask = pairs(0), labelled(0)
    token = CancelToken()
    token.cancel()
    with pytest.raises(TaskCancelled):
        create_hasher("lpih", 16).fit(semi(d, mask), cancel=token)


# ----------------------------------------------------------------- bad supervision
def test_no_labelled_row_is_refused() -> None:
    d = pairs(0)
    with pytest.raises(HashingInputError, match="none of these photos has a label"):
        create_hasher("lpih", 16).fit(semi(d, np.zeros(N, dtype=bool)))


def test_rows_marked_known_without_a_label_count_as_unlabelled() -> None:
    d = pairs(0)
    labels = d.labels[:N].copy()
    labels[:400] = 0
    mask = np.zeros(N, dtype=bool)
    mask[:440] = True  # 400 known-but-empty rows, 40 really labelled
    lpih = create_hasher("lpih", 16, anchors=200).fit(
        PairedFeatures(d.image[:N], d.text[:N], labels, mask)
    )
    assert isinstance(lpih, LPIH)
    assert lpih.report is not None
    assert int(lpih.report.labelled.sum()) == 40


def test_labels_of_one_class_only_are_refused() -> None:
    d, mask = pairs(0), labelled(0)
    labels = np.zeros_like(d.labels[:N])
    labels[:, 2] = 1
    with pytest.raises(HashingInputError, match="at least two different labels"):
        create_hasher("lpih", 16).fit(PairedFeatures(d.image[:N], d.text[:N], labels, mask))


def test_too_few_labelled_rows_for_any_base_code_is_refused() -> None:
    d = pairs(0)
    mask = labelled(0, 8)
    labels = d.labels[:N].copy()
    labels[np.flatnonzero(mask)[:4], 0] = 1
    labels[np.flatnonzero(mask)[4:], 1] = 1
    with pytest.raises(HashingInputError, match="at least 9 labelled"):
        create_hasher("lpih", 16).fit(PairedFeatures(d.image[:N], d.text[:N], labels, mask))


def test_almost_everything_labelled_falls_back_to_the_base(
    caplog: pytest.LogCaptureFixture,
) -> None:
    d, n = pairs(0), 300
    mask = np.ones(n, dtype=bool)
    mask[:2] = False  # 99.3 % labelled
    image, text, labels = d.image[:n], d.text[:n], d.labels[:n]
    with caplog.at_level(logging.WARNING):
        lpih = create_hasher("lpih", 16).fit(PairedFeatures(image, text, labels, mask))
    assert "nothing to predict" in caplog.text
    base = lpih_base(16, tune=False)  # a base inside LPIH's fit is not tuned
    base.fit(PairedFeatures(image[mask], text[mask], labels[mask]))
    np.testing.assert_array_equal(lpih.encode_image(d.image), base.encode_image(d.image))
    again = Hasher.from_bytes(lpih.to_bytes())
    np.testing.assert_array_equal(again.encode_text(d.text), base.encode_text(d.text))
    unmasked = create_hasher("lpih", 16).fit(PairedFeatures(image, text, labels))
    assert isinstance(unmasked, LPIH)
    assert unmasked.report is not None
    assert unmasked.report.fallback


@pytest.mark.parametrize("mu", [1.0, 0.5])
def test_an_hpseh_base_gets_lpih_s_fusion_weight_not_hpseh_s_default(mu: float) -> None:
    d, n = pairs(0), 300
    mask = np.ones(n, dtype=bool)
    mask[:2] = False  # falls back to 𝓜 on the labelled rows, whose codes show its settings
    image, text, labels = d.image[:n], d.text[:n], d.labels[:n]
    lpih = create_hasher("lpih", 16, base_fusion=mu).fit(PairedFeatures(image, text, labels, mask))
    labelled_only = PairedFeatures(image[mask], text[mask], labels[mask])
    codes = {
        fusion: create_hasher("hpseh", 16, tune=False, fusion=fusion)
        .fit(labelled_only)
        .encode_image(d.image)
        for fusion in (1.0, 0.5)
    }
    assert not np.array_equal(codes[1.0], codes[0.5])  # the weight shows in the codes
    np.testing.assert_array_equal(lpih.encode_image(d.image), codes[mu])


@pytest.mark.parametrize(
    ("base", "message"),
    [("cca-itq", "'cca-itq' is not one"), ("lpih", "'lpih' is not one"), ("nope", "Unknown")],
)
def test_the_wrapped_method_must_be_a_registered_supervised_one(base: str, message: str) -> None:
    with pytest.raises(HashingInputError, match=message):
        create_hasher("lpih", 16, base=base)


def test_code_similarity_fuses_the_inherited_codes_into_the_semantic_matrix() -> None:
    labels = np.array([[1, 0], [0, 1], [0, 0]], dtype=np.uint8)
    known = np.array([True, True, False])
    pseudo = PseudoLabels(np.array([[1, 0]], np.uint8), np.ones(1), np.array([[0.9, 0.1]]))
    codes = np.array([[1, 1, -1, 1], [1, -1, -1, 1], [-1, -1, 1, 1]], dtype=np.float64)

    def similarities(alpha: float) -> np.ndarray:
        lpih = create_hasher("lpih", 16, weighting="none", code_similarity=alpha)
        assert isinstance(lpih, LPIH)
        return lpih._semantics(known, labels, pseudo, codes).dense()

    np.testing.assert_allclose(similarities(1.0), codes @ codes.T / 4, atol=1e-12)
    mixed = (similarities(0.0) + codes @ codes.T / 4) / 2
    np.testing.assert_allclose(similarities(0.5), mixed, atol=1e-12)


@pytest.mark.parametrize("params", [{"soft_top": 0}, {"soft_power": 0.0}, {"code_similarity": 1.5}])
def test_soft_label_settings_out_of_range_are_refused(params: dict[str, Any]) -> None:
    with pytest.raises(HashingInputError, match=r"soft pseudo-labels|is a share"):
        create_hasher("lpih", 16, **params)


def test_soft_pseudo_labels_beat_the_base_trained_on_the_labelled_rows() -> None:
    d, mask = pairs(0), labelled(0)
    soft = create_hasher("lpih", 32, pseudo="soft").fit(semi(d, mask))
    base = lpih_base(32).fit(
        PairedFeatures(d.image[:N][mask], d.text[:N][mask], d.labels[:N][mask])
    )
    assert cross_map(soft, d) > cross_map(base, d) + 0.05


def test_a_base_code_length_that_is_no_multiple_of_8_is_refused() -> None:
    with pytest.raises(HashingInputError, match="multiple of 8"):
        create_hasher("lpih", 16, base_bits=12)


def test_fit_context_is_used_for_progress() -> None:
    d, mask = pairs(0), labelled(0)
    stages: list[str] = []
    create_hasher("lpih", 16, anchors=200).fit(
        semi(d, mask), progress=lambda p: stages.append(p.stage)
    )
    assert "training the base method" in stages
    assert "self-training" in stages


def top_class_precision(lpih: Hasher, d: Clustered, mask: np.ndarray) -> float:
    assert isinstance(lpih, LPIH)
    report = lpih.report
    assert report is not None
    assert report.pseudo is not None
    hidden = d.labels[:N][~mask][:, report.classes]
    top = np.argmax(report.pseudo.scores, axis=1)
    return float(hidden[np.arange(top.size), top].mean())


def test_label_propagation_over_all_rows_makes_the_pseudo_labels_more_precise() -> None:
    gains = []
    for seed in range(3):
        d, mask = pairs(seed), labelled(seed)
        precision = [
            top_class_precision(
                create_hasher("lpih", 32, graph_weight=weight, iterations=0, self_training=0).fit(
                    semi(d, mask)
                ),
                d,
                mask,
            )
            for weight in (0.0, 0.5)
        ]
        gains.append(precision[1] - precision[0])
    assert np.mean(gains) > 0.03, gains


def test_the_graph_scorer_is_reported_and_can_be_turned_off() -> None:
    report = fitted(0).report
    assert report is not None
    assert report.graph is not None
    assert report.graph.space in {"image", "text", "both"}
    assert set(report.graph.accuracy) == {"image", "text", "both"}
    d, mask = pairs(0), labelled(0)
    off = create_hasher("lpih", 32, graph_weight=0).fit(semi(d, mask))
    assert isinstance(off, LPIH)
    assert off.report is not None
    assert off.report.graph is None
    assert "graph" not in off.report.seconds


@pytest.mark.parametrize("params", [{"graph_weight": 1.5}, {"graph_alpha": 1.0}])
def test_graph_settings_out_of_range_are_refused(params: dict[str, Any]) -> None:
    with pytest.raises(HashingInputError, match="graph_weight is a share"):
        create_hasher("lpih", 16, **params)


def test_relearning_with_perfect_pseudo_labels_is_the_base_trained_on_every_label() -> None:
    """relearn="base": stage 3 is the wrapped method refitted on 𝓛 ∪ pseudo-labelled 𝓤."""
    d, mask = pairs(1), labelled(1)
    oracle = create_hasher("lpih", 32, oracle=True, code_clusters=0, inherit=0).fit(semi(d, mask))
    assert isinstance(oracle, LPIH)
    assert oracle.report is not None
    classes = oracle.report.classes
    # Both tune (LPIH's relearned base since session 12): same labels, same search.
    every = lpih_base(32).fit(PairedFeatures(d.image[:N], d.text[:N], d.labels[:N][:, classes]))
    assert every.tuning is not None
    assert oracle.nested_tuning()["relearned hpseh"].chosen == every.tuning.chosen
    np.testing.assert_array_equal(oracle.encode_image(d.image), every.encode_image(d.image))
    np.testing.assert_array_equal(oracle.encode_text(d.text), every.encode_text(d.text))
    again = Hasher.from_bytes(oracle.to_bytes())
    np.testing.assert_array_equal(again.encode_text(d.text), every.encode_text(d.text))


def test_the_objective_stage_3_stays_available_and_differs() -> None:
    d, mask = pairs(0), labelled(0)
    objective = create_hasher("lpih", 32, relearn="objective").fit(semi(d, mask))
    assert isinstance(objective, LPIH)
    assert objective.params.relearn == "objective"
    assert fitted(0).params.relearn == "base"
    assert (fitted(0).encode_image(d.image) != objective.encode_image(d.image)).any()
    assert cross_map(objective, d) > 0.5


# ------------------------------------------------------- inherited code clusters
def test_code_clusters_are_one_hot_groups_of_the_inherited_codes() -> None:
    rng = np.random.default_rng(0)
    centres = np.where(rng.standard_normal((6, 32)) > 0, 1.0, -1.0)
    kind = np.repeat(np.arange(6), 50)
    U = centres[kind].copy()
    flips = rng.random(U.shape) < 0.05  # codes of one kind differ in a few bits
    U[flips] *= -1
    lpih = create_hasher("lpih", 32, code_clusters=1.0)
    assert isinstance(lpih, LPIH)
    onehot = lpih._code_clusters(U, 6)
    assert onehot is not None
    assert onehot.shape == (300, 6)
    np.testing.assert_array_equal(onehot.sum(axis=1), 1)
    cluster = np.argmax(onehot, axis=1)
    purity = sum(np.bincount(kind[cluster == c]).max() for c in np.unique(cluster)) / 300
    assert purity > 0.95
    np.testing.assert_array_equal(lpih._code_clusters(U, 6), onehot)  # seeded
    twice = create_hasher("lpih", 32, code_clusters=2.0)
    assert isinstance(twice, LPIH)
    assert twice._code_clusters(U, 6).shape == (300, 12)  # type: ignore[union-attr]
    off = create_hasher("lpih", 32, code_clusters=0)
    assert isinstance(off, LPIH)
    assert off._code_clusters(U, 6) is None


def test_a_negative_cluster_count_is_refused() -> None:
    with pytest.raises(HashingInputError, match="code_clusters"):
        create_hasher("lpih", 16, code_clusters=-1.0)


def test_relearning_learns_from_the_labels_with_the_code_clusters_appended(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every refit of the base sees 𝓛's classes, then one one-hot cluster per class."""
    d, mask = pairs(1), labelled(1)
    seen: list[np.ndarray] = []
    original = Hasher.fit

    def recording(self: Hasher, data: PairedFeatures, **kwargs: Any) -> Hasher:
        if self.name == "hpseh" and data.n_items == N:  # the refits on every row
            assert data.labels is not None
            seen.append(data.labels.copy())
        return original(self, data, **kwargs)

    monkeypatch.setattr(Hasher, "fit", recording)
    lpih = create_hasher("lpih", 32, oracle=True, tune=False).fit(semi(d, mask))
    assert isinstance(lpih, LPIH)
    assert lpih.report is not None
    c = lpih.report.classes.size
    assert len(seen) == 2  # stage 3 and one self-training round
    for labels in seen:
        assert labels.shape == (N, 2 * c)
        np.testing.assert_array_equal(labels[:, :c], d.labels[:N][:, lpih.report.classes])
        np.testing.assert_array_equal(labels[:, c:].sum(axis=1), 1)
    np.testing.assert_array_equal(seen[0][:, c:], seen[1][:, c:])  # stage 0's clusters


@pytest.mark.parametrize("top", [1, 2])
def test_relearning_gives_unlabelled_rows_their_widened_pseudo_labels(
    monkeypatch: pytest.MonkeyPatch, top: int
) -> None:
    """The last refit of the base sees 𝓛's labels and, on 𝓤, the final Ỹ widened by
    ``pseudo_top`` and ``pseudo_ratio``; the reported Ỹ itself is not widened."""
    d, mask = pairs(1), labelled(1)
    seen: list[np.ndarray] = []
    original = Hasher.fit

    def recording(self: Hasher, data: PairedFeatures, **kwargs: Any) -> Hasher:
        if self.name == "hpseh" and data.n_items == N:
            assert data.labels is not None
            seen.append(data.labels.copy())
        return original(self, data, **kwargs)

    monkeypatch.setattr(Hasher, "fit", recording)
    lpih = create_hasher(
        "lpih", 32, tune=False, code_clusters=0, pseudo_top=top, pseudo_ratio=0.5
    ).fit(semi(d, mask))
    assert isinstance(lpih, LPIH)
    assert lpih.report is not None
    pseudo = lpih.report.pseudo
    assert pseudo is not None
    last = seen[-1]
    np.testing.assert_array_equal(last[mask], d.labels[:N][mask][:, lpih.report.classes])
    np.testing.assert_array_equal(last[~mask], widened_labels(pseudo.hard, pseudo.scores, top, 0.5))
    added = int(last[~mask].sum() - pseudo.hard.sum())
    assert (added > 0) == (top > 1)


@pytest.mark.parametrize(
    "params", [{"pseudo_top": 0}, {"pseudo_ratio": -0.1}, {"pseudo_ratio": 1.5}]
)
def test_runner_up_settings_out_of_range_are_refused(params: dict[str, Any]) -> None:
    with pytest.raises(HashingInputError, match="pseudo_top"):
        create_hasher("lpih", 16, **params)


@pytest.mark.parametrize("seed", [1, 2])
def test_code_clusters_lift_relearning_to_stage_0_where_pseudo_labels_alone_lost(
    seed: int,
) -> None:
    """On these seeds relearning from Ỹ alone falls below stage 0 (0.645 / 0.636 against
    0.713 / 0.665); the inherited clusters close most of that gap (0.708 / 0.675).

    With only 40 labelled pairs the fits are sensitive to rounding: the same code gives
    0.700 instead of 0.708 on seed 1 when OpenBLAS uses two threads instead of one. So the
    test asks for the share of the gap closed (at least half), not for a fixed margin
    against stage 0, which a machine's thread count could decide.

    The case was found with μ = 1 in the bases (the default until session 17); with 0.5
    seed 2's gap shrinks to 0.013 (two BLAS threads; 0.007 with one), so the test keeps
    μ = 1 to keep the failure it fixes. At 0.5 the default LPIH is above stage 0 on both
    seeds (one thread: 0.722 / 0.677 against 0.711 / 0.649)."""
    d = pairs(seed)
    default = fitted_mu_1(seed, inherit=0)
    alone = fitted_mu_1(seed, code_clusters=0, inherit=0)
    stage0 = fitted_mu_1(seed, **STAGE_0)
    gap = cross_map(stage0, d) - cross_map(alone, d)
    assert gap > 0.02  # the failure being fixed
    assert cross_map(default, d) - cross_map(alone, d) > 0.5 * gap


# ------------------------------------------------- inheriting the codes after relearning
def test_inheriting_adds_the_rotated_stage_0_projections_to_the_relearned_ones() -> None:
    """An item's code is sgn(p_𝓜/σ_𝓜 + μ·(φW⁰/σ₀)R): μ = 0 gives 𝓜's codes exactly, a
    large μ the inherited codes U rotated by R (the spec's B-step with 𝓜 as the pairwise
    term), and the saved model codes alike."""
    d, mask = pairs(0), labelled(0, 120)
    data = semi(d, mask)
    rng = np.random.default_rng(0)
    relearned = create_hasher("hpseh", 32, tune=False).fit(
        PairedFeatures(d.image[:N], d.text[:N], d.labels[:N])
    )
    B_m, _ = _inherited_codes(relearned, data)
    # inherited codes the features can express, r₀ = 24 < r = 32
    U = np.where(d.image[:N] @ rng.standard_normal((d.image.shape[1], 24)) > 0, 1.0, -1.0)
    maps, Phi = fit_paired_feature_maps(data, "kernel", rng, 300)
    target = np.sign(U @ procrustes(U, B_m))
    agreement = {}
    for mu in (0.0, 100.0):
        lpih = create_hasher("lpih", 32, inherit=mu, inherit_basis="relearned")
        assert isinstance(lpih, LPIH)
        lpih._base = relearned
        lpih._inherit(data, maps, prepare_stage3(Phi, U, (U, U), 0.0, 1e-5))
        lpih._dims = relearned.dims
        codes = lpih.encode_image(d.image[:N])
        if mu == 0:
            np.testing.assert_array_equal(codes, relearned.encode_image(d.image[:N]))
        again = Hasher.from_bytes(lpih.to_bytes())
        np.testing.assert_array_equal(again.encode_image(d.image[:N]), codes)
        np.testing.assert_array_equal(again.encode_text(d.text[:N]), lpih.encode_text(d.text[:N]))
        signs = np.sign(lpih._project_image(d.image[:N]) + lpih._project_text(d.text[:N]))
        agreement[mu] = (float((signs == B_m).mean()), float((signs == target).mean()))
    # measured: μ = 0 keeps every bit of 𝓜 (62 % of UR's); μ = 100 keeps 83 % of UR's
    assert agreement[0.0][0] == 1.0  # 𝓜's own codes of the training rows
    assert agreement[100.0][1] > 0.8  # large μ: the inherited codes, rotated
    assert agreement[100.0][1] > agreement[0.0][1] + 0.15
    assert agreement[100.0][0] < 0.8


def test_inheriting_keeps_the_relearned_base_and_round_trips() -> None:
    d, mask = pairs(1), labelled(1)
    lpih = fitted(1)
    assert lpih.params.inherit > 0
    assert lpih._base is not None
    assert lpih._functions is not None
    again = Hasher.from_bytes(lpih.to_bytes())
    np.testing.assert_array_equal(again.encode_text(d.text), lpih.encode_text(d.text))
    np.testing.assert_array_equal(again.encode_image(d.image), lpih.encode_image(d.image))
    kept = create_hasher("lpih", 32, inherit=0).fit(semi(d, mask))
    assert isinstance(kept, LPIH)
    assert kept._base is not None
    assert kept._functions is None  # 𝓜 alone, as before
    assert (kept.encode_image(d.image) != lpih.encode_image(d.image)).any()
    np.testing.assert_array_equal(kept.encode_text(d.text), kept._base.encode_text(d.text))


def test_stage_0_basis_signs_the_sum_in_stage_0_bits_and_tends_to_its_codes() -> None:
    """inherit_basis="stage0": sgn(p_𝓜Rᵀ/σ_𝓜 + μ·φW⁰/σ₀). At a large μ the codes are
    stage 0's own (the relearned basis gives the rotated ones, which differ); at a tiny μ
    they are 𝓜's codes rotated into stage 0's bits, not 𝓜's; the model round-trips."""
    d, mask = pairs(0), labelled(0, 120)
    data = semi(d, mask)
    stage_0 = create_hasher("lpih", 32, tune=False, **STAGE_0).fit(data)
    codes = {}
    for basis in ("relearned", "stage0"):
        for mu in (1e-4, 1e4):
            lpih = create_hasher("lpih", 32, inherit=mu, inherit_basis=basis, tune=False)
            codes[basis, mu] = lpih.fit(data).encode_image(d.image)
            again = Hasher.from_bytes(lpih.to_bytes())
            np.testing.assert_array_equal(again.encode_image(d.image), codes[basis, mu])
            np.testing.assert_array_equal(again.encode_text(d.text), lpih.encode_text(d.text))

    def agreement(a: np.ndarray, b: np.ndarray) -> float:
        return float((np.unpackbits(a) == np.unpackbits(b)).mean())

    reference = stage_0.encode_image(d.image)
    assert agreement(codes["stage0", 1e4], reference) > 0.99
    assert agreement(codes["relearned", 1e4], reference) < 0.9
    assert agreement(codes["stage0", 1e-4], codes["relearned", 1e-4]) < 0.9


def test_stage_0_basis_needs_as_many_stage_0_bits_as_code_bits() -> None:
    """With r₀ < r there is no Rᵀ back into stage 0's bits: the sum stays in 𝓜's."""
    d, mask = pairs(1), labelled(1)
    short = {"base_bits": 16, "tune": False}
    a = create_hasher("lpih", 32, inherit_basis="stage0", **short).fit(semi(d, mask))
    b = create_hasher("lpih", 32, inherit_basis="relearned", **short).fit(semi(d, mask))
    assert isinstance(a, LPIH)
    assert a._base_rotation is None
    np.testing.assert_array_equal(a.encode_text(d.text), b.encode_text(d.text))


def test_a_negative_inheritance_weight_is_refused() -> None:
    with pytest.raises(HashingInputError, match="inherit"):
        create_hasher("lpih", 16, inherit=-1.0)


@pytest.mark.parametrize("seed", [1, 2])
def test_inheriting_lifts_relearning_from_poor_pseudo_labels(seed: int) -> None:
    """Relearning from Ỹ alone loses to stage 0 on these seeds (0.646 / 0.640 against
    0.711 / 0.671); the inheritance step alone lifts it by about 0.04 (0.687 / 0.676),
    and with the clusters too LPIH is not below stage 0 (0.712 / 0.686).

    Measured with μ = 1 in the bases (the default until session 17), which the test keeps:
    with 0.5 seed 2's inheritance lifts by 0.025 with two BLAS threads (0.035 with one),
    so the margin asked for would depend on the machine's thread count."""
    d = pairs(seed)
    alone = fitted_mu_1(seed, code_clusters=0, inherit=0)
    inherited = fitted_mu_1(seed, code_clusters=0)
    default = fitted_mu_1(seed)
    stage0 = fitted_mu_1(seed, **STAGE_0)
    assert cross_map(inherited, d) > cross_map(alone, d) + 0.03
    assert cross_map(default, d) >= cross_map(stage0, d)
