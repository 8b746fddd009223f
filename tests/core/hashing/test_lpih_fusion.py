"""LPIH's stage-2 fusion weights learned on 𝓛's held-out scores (lpih_fusion.py)."""

from __future__ import annotations

import numpy as np
import pytest

from core.hashing import PairedFeatures, create_hasher
from core.hashing.models.lpih import LPIH
from core.hashing.models.lpih_fusion import HeldOut, feature_scores, learn_fusion, min_max
from core.hashing.models.lpih_labels import (
    LabelledView,
    ScorerWeights,
    UnlabelledView,
    fit_label_functions,
)
from tests.core.hashing.clustered import clustered_pairs

FIXED = (0.25, 0.125, 0.125, 0.5)  # LPIH's defaults, normalised with the graph


def one_hot(n: int, c: int, seed: int) -> np.ndarray:
    labels = np.zeros((n, c), dtype=np.uint8)
    labels[np.arange(n), np.random.default_rng(seed).integers(0, c, n)] = 1
    return labels


def noise(n: int, c: int, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).random((n, c))


def accuracy(fused: np.ndarray, labels: np.ndarray) -> float:
    return float(labels[np.arange(len(labels)), np.argmax(fused, axis=1)].mean())


def test_a_modality_that_predicts_nothing_is_left_out_of_the_feature_scorer() -> None:
    labels = one_hot(300, 10, 0)
    image = labels + 0.8 * noise(300, 10, 1)  # informative; the text is noise
    held = HeldOut(image, noise(300, 10, 2), None)
    fusion = learn_fusion(held, labels, (0.5, 0.25, 0.25, 0.0))
    assert fusion.mix >= 0.75
    assert fusion.weights == (0.5, 0.25, 0.25, 0.0)  # without a graph only α moves
    fixed = min_max(feature_scores(image, held.text, 0.5))
    assert fusion.accuracy > accuracy(fixed, labels) + 0.1


def test_the_graph_gets_more_of_its_share_when_it_is_the_scorer_that_knows() -> None:
    labels = one_hot(300, 10, 5)
    graph = min_max(labels + 0.8 * noise(300, 10, 6))
    held = HeldOut(noise(300, 10, 7), noise(300, 10, 8), graph)
    fusion = learn_fusion(held, labels, FIXED)
    assert fusion.weights[3] > FIXED[3]
    assert fusion.weights[1:3] == FIXED[1:3]  # code and prototype weights never move
    assert sum(fusion.weights) == pytest.approx(1.0)
    assert fusion.accuracy >= accuracy(graph, labels) - 1e-12


def test_ties_keep_the_fixed_weights() -> None:
    # Every scorer identical: every candidate scores alike, and the fixed point is nearest.
    labels = one_hot(200, 5, 11)
    same = min_max(labels + noise(200, 5, 12))
    fusion = learn_fusion(HeldOut(same, same, same), labels, FIXED)
    assert fusion.mix == 0.5
    assert fusion.weights == pytest.approx(FIXED)


def test_a_gain_within_chance_keeps_the_fixed_weights() -> None:
    # Pure noise everywhere: the best of the grid is ahead only by chance.
    labels = one_hot(300, 10, 13)
    held = HeldOut(noise(300, 10, 14), noise(300, 10, 15), min_max(noise(300, 10, 16)))
    fusion = learn_fusion(held, labels, FIXED)
    assert fusion.mix == 0.5
    assert fusion.weights == FIXED


def test_rows_alone_in_their_class_are_no_evidence_and_too_few_keep_the_fixed_weights() -> None:
    labels = np.eye(60, dtype=np.uint8)  # every labelled row alone in its class
    image = labels + 0.1 * noise(60, 60, 17)
    fusion = learn_fusion(HeldOut(image, noise(60, 60, 18), None), labels, FIXED)
    assert fusion.weights == FIXED
    assert np.isnan(fusion.accuracy)


def test_the_learned_fusion_never_scores_below_the_fixed_one_on_the_held_out_rows() -> None:
    for seed in range(5):
        labels = one_hot(150, 8, seed)
        parts = [labels * 0.5 * seed / 4 + noise(150, 8, 20 + seed + k) for k in range(3)]
        held = HeldOut(parts[0], parts[1], min_max(parts[2]))
        fusion = learn_fusion(held, labels, FIXED)
        assert held.graph is not None
        feature = min_max(feature_scores(held.image, held.text, 0.5))
        fixed = feature / 3 + held.graph * 2 / 3  # β = 0.25 / (0.25 + 0.5)
        assert fusion.accuracy >= accuracy(fixed, labels)


def views(seed: int) -> tuple[LabelledView, UnlabelledView, np.ndarray]:
    """Image features that show the class, captions that name another class consistently
    (still informative to a ridge), a graph that knows nothing; 300 labelled rows, 300
    unlabelled."""
    rng = np.random.default_rng(seed)
    labels = one_hot(600, 10, seed)
    wrong = np.roll(labels, 3, axis=1)
    image = (labels @ rng.standard_normal((10, 40)) + rng.standard_normal((600, 40))).astype(
        np.float32
    )
    text = (wrong @ rng.standard_normal((10, 40)) + rng.standard_normal((600, 40))).astype(
        np.float32
    )
    codes = np.where(rng.standard_normal((600, 16)) > 0, 1.0, -1.0)
    graph = rng.random((600, 10))
    fold = rng.permutation(300) % 2 == 0
    lab, unl = slice(0, 300), slice(300, 600)
    labelled = LabelledView((image[lab], text[lab]), codes[lab], labels[lab], graph[lab], fold)
    unlabelled = UnlabelledView(
        (image[unl], text[unl]), codes[unl], (codes[unl], codes[unl]), graph[unl]
    )
    return labelled, unlabelled, labels[unl]


@pytest.mark.parametrize("seed", [0, 1])
def test_stage_one_moves_the_graph_s_share_to_the_features_when_only_they_know(
    seed: int,
) -> None:
    labelled, unlabelled, hidden = views(seed)
    weights = ScorerWeights(0.5, 0.25, 0.25, 0.5)
    right = {}
    for fusion in ("fixed", "learned"):
        functions = fit_label_functions(
            labelled, 0.01, weights, refine=True, extra_labels=0, fusion=fusion
        )
        best = np.argmax(functions.predict(unlabelled).scores, axis=1)
        right[fusion] = float(hidden[np.arange(len(best)), best].mean())
        if fusion == "learned":
            assert functions.weights[0] > 0.5  # the feature scorer took the graph's share
            assert functions.weights[3] < 0.25
            assert functions.weights[1:3] == (0.125, 0.125)
    assert right["learned"] > right["fixed"] + 0.1, right


def test_lpih_keeps_its_fixed_fusion_where_the_held_out_rows_show_no_clear_gain() -> None:
    d = clustered_pairs(800, seed=3, p_second=0.0)
    data = PairedFeatures(d.image, d.text, d.labels, np.arange(800) % 5 == 0)
    scores = []
    for fusion in ("fixed", "learned"):
        lpih = create_hasher(
            "lpih",
            16,
            fusion=fusion,
            relearn="objective",
            iterations=0,
            self_training=0,
            tune=False,
        ).fit(data)
        assert isinstance(lpih, LPIH)
        assert lpih.report is not None
        assert lpih.report.pseudo is not None
        scores.append(lpih.report.pseudo.scores)
    assert np.array_equal(scores[0], scores[1])


def test_a_fusion_outside_its_choices_is_refused() -> None:
    from core.errors import HashingInputError

    with pytest.raises(HashingInputError, match="fusion"):
        create_hasher("lpih", 16, fusion="stacked")
