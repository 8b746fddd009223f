from __future__ import annotations

import numpy as np
import pytest

from core.search.float_index import FloatIndex
from core.search.float_index import unit_rows as normalised
from core.store.records import blobs_to_matrix, vector_to_blob


def unit_rows(n: int, d: int, seed: int = 0) -> np.ndarray:
    x = np.random.default_rng(seed).normal(size=(n, d)).astype(np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def test_top_k_matches_a_full_sort() -> None:
    x = unit_rows(500, 16)
    ids = np.arange(1000, 1500, dtype=np.int64)
    index = FloatIndex(ids, x)
    query = x[42]
    got_ids, got_scores = index.top_k(query, 10)
    expected = np.argsort(-(x @ query), kind="stable")[:10]
    assert got_ids.tolist() == (ids[expected]).tolist()
    assert got_ids[0] == 1042
    assert got_scores[0] == pytest.approx(1.0, abs=1e-5)
    assert np.all(np.diff(got_scores) <= 0)


def test_ties_are_broken_by_position() -> None:
    x = np.tile(np.array([[1.0, 0.0]], dtype=np.float32), (5, 1))
    index = FloatIndex(np.array([1, 3, 5, 7, 9], dtype=np.int64), x)
    got, _ = index.top_k(np.array([1.0, 0.0], dtype=np.float32), 3)
    assert got.tolist() == [1, 3, 5]


def test_ids_must_increase_so_lookups_by_id_work() -> None:
    with pytest.raises(ValueError, match="increasing"):
        FloatIndex(np.array([3, 1], dtype=np.int64), unit_rows(2, 4))
    x = unit_rows(3, 4)
    index = FloatIndex(np.array([2, 5, 8], dtype=np.int64), x)
    scores = index.scores_of(x[2], np.array([8, 2], dtype=np.int64))
    np.testing.assert_allclose(scores, [1.0, x[0] @ x[2]], rtol=1e-6)
    with pytest.raises(KeyError):
        index.scores_of(x[0], np.array([4], dtype=np.int64))


def test_k_larger_than_the_index_and_empty_index() -> None:
    index = FloatIndex(np.array([1, 2], dtype=np.int64), unit_rows(2, 4))
    assert len(index.top_k(unit_rows(1, 4)[0], 10)[0]) == 2
    empty = FloatIndex(np.zeros(0, dtype=np.int64), np.zeros((0, 4), dtype=np.float32))
    assert len(empty.top_k(unit_rows(1, 4)[0], 5)[0]) == 0


def test_snapshot_arrays_are_read_only() -> None:
    index = FloatIndex(np.array([1], dtype=np.int64), unit_rows(1, 4))
    with pytest.raises(ValueError, match="read-only"):
        index.vectors[0, 0] = 3.0


def test_misaligned_ids_and_vectors_are_refused() -> None:
    with pytest.raises(ValueError, match="do not line up"):
        FloatIndex(np.array([1, 2], dtype=np.int64), unit_rows(3, 4))


def test_scores_are_cosines_of_float16_stored_vectors_and_never_exceed_one() -> None:
    """Half of all unit vectors come back from float16 storage slightly longer than 1."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 512)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    stored = blobs_to_matrix([vector_to_blob(v) for v in x], 512)
    assert float(np.linalg.norm(stored, axis=1).max()) > 1.0  # what made scores exceed 1
    index = FloatIndex(np.arange(200, dtype=np.int64), normalised(stored))
    for i in range(200):
        ids, scores = index.top_k(x[i], 1)
        assert ids[0] == i
        assert 0.9999 < scores[0] <= 1.0
        assert index.scores_of(x[i], ids)[0] <= 1.0
    assert np.allclose(np.linalg.norm(normalised(stored), axis=1), 1.0, atol=1e-6)
    assert normalised(np.zeros((1, 4), dtype=np.float32)).tolist() == [[0.0] * 4]


def test_scores_equal_to_six_decimals_are_ties_by_id_even_at_the_cut() -> None:
    x = unit_rows(1, 8)[0]
    rows = np.stack([x * (1 - 1e-6), x, x * (1 + 3e-7), x * (1 + 2e-7), -x]).astype(np.float32)
    index = FloatIndex(np.array([1, 2, 3, 4, 5], dtype=np.int64), rows)
    assert index.top_k(x, 2)[0].tolist() == [1, 2]  # last-bit differences do not reorder
    assert index.top_k(x, 4)[0].tolist() == [1, 2, 3, 4]


def test_rows_off_unit_norm_by_float16_rounding_do_not_outrank_the_photo_itself() -> None:
    rng = np.random.default_rng(99)  # not the photo's seed: noise independent of it
    photo = unit_rows(1, 16, seed=3)[0]
    near_copy = photo + 0.002 * rng.normal(size=16).astype(np.float32)
    near_copy /= np.linalg.norm(near_copy)
    assert 0.9999 < float(near_copy @ photo) < 1.0
    stored = np.stack([photo * (1 - 1e-4), near_copy * (1 + 2e-4)]).astype(np.float32)
    ids, scores = FloatIndex(np.array([10, 11], dtype=np.int64), stored).top_k(photo, 2)
    assert ids.tolist() == [10, 11]
    assert scores[0] == pytest.approx(1.0, abs=1e-6)
