"""mAP, precision@k and precision–recall against brute-force definitions."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import HashingInputError
from core.hashing.metrics import (
    cosine_distance_matrix,
    evaluate_ranking,
    hamming_matrix,
    relevance,
)


def brute_ap(distances: np.ndarray, relevant: np.ndarray, at: int | None = None) -> float | None:
    order = sorted(range(len(distances)), key=lambda i: (distances[i], i))
    if at is not None:
        order = order[:at]
    hits, total = 0, 0.0
    for rank, item in enumerate(order, start=1):
        if relevant[item]:
            hits += 1
            total += hits / rank
    return total / hits if hits else None


def toy(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    distances = rng.integers(0, 9, (50, 200)).astype(np.float32)  # many ties
    relevant = rng.random((50, 200)) < 0.1
    relevant[3] = False  # one query without any relevant item
    return distances, relevant


@pytest.mark.parametrize("at", [None, 5, 50])
def test_map_matches_brute_force_average_precision(at: int | None) -> None:
    distances, relevant = toy()
    expected = [brute_ap(d, r, at) for d, r in zip(distances, relevant, strict=True)]
    kept = [ap for ap in expected if ap is not None]
    result = evaluate_ranking(distances, relevant, at=at)
    assert result.map == pytest.approx(np.mean(kept), abs=1e-12)
    assert result.n_without_relevant == 1
    assert result.n_queries == 50


def test_zero_policy_counts_empty_queries_as_zero() -> None:
    distances, relevant = toy()
    skip = evaluate_ranking(distances, relevant).map
    zero = evaluate_ranking(distances, relevant, empty="zero").map
    assert zero == pytest.approx(skip * 49 / 50)


def test_precision_at_k_and_perfect_ranking() -> None:
    relevant = np.zeros((2, 10), dtype=bool)
    relevant[:, :3] = True
    distances = np.tile(np.arange(10, dtype=np.float32), (2, 1))
    result = evaluate_ranking(distances, relevant, precision_ks=(1, 3, 5))
    assert result.map == 1.0
    assert result.precision_at == {1: 1.0, 3: 1.0, 5: 0.6}
    np.testing.assert_allclose(result.precision_curve, 1.0)
    reverse = evaluate_ranking(-distances, relevant, precision_ks=(1,))
    assert reverse.precision_at[1] == 0.0
    assert reverse.map == pytest.approx((1 / 8 + 2 / 9 + 3 / 10) / 3)


def test_precision_recall_curve_is_a_non_increasing_envelope() -> None:
    distances, relevant = toy(2)
    result = evaluate_ranking(distances, relevant)
    curve = result.precision_curve
    assert result.recall_grid[0] == 0.0
    assert result.recall_grid[-1] == 1.0
    assert (np.diff(curve) <= 1e-12).all()
    assert curve[-1] == pytest.approx(relevant[relevant.any(axis=1)].mean(), rel=0.5)


def test_hamming_matrix_equals_bit_count() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 256, (4, 8), dtype=np.uint8)
    b = rng.integers(0, 256, (6, 8), dtype=np.uint8)
    expected = (np.unpackbits(a, axis=1)[:, None, :] != np.unpackbits(b, axis=1)[None]).sum(-1)
    np.testing.assert_array_equal(hamming_matrix(a, b, 64), expected)


def test_cosine_reference_ranks_identical_vectors_first() -> None:
    x = np.eye(3, dtype=np.float32) * np.array([[2.0], [1.0], [5.0]], dtype=np.float32)
    distances = cosine_distance_matrix(x, x)
    assert (np.argmin(distances, axis=1) == np.arange(3)).all()


def test_relevance_means_sharing_a_label() -> None:
    q = np.array([[1, 0, 0], [0, 1, 1]])
    db = np.array([[1, 1, 0], [0, 0, 1], [0, 0, 0]])
    assert relevance(q, db).tolist() == [[True, False, False], [True, True, False]]
    with pytest.raises(HashingInputError, match="same classes"):
        relevance(q, db[:, :2])
