"""Combining term and photo vectors into one normalised query vector."""

from __future__ import annotations

import numpy as np
import pytest

from core.errors import QueryError
from core.search.query_vector import combine


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def test_one_vector_is_its_own_direction() -> None:
    v = np.array([[3.0, 4.0, 0.0]], dtype=np.float32)
    np.testing.assert_allclose(combine(v, [1.0]), [0.6, 0.8, 0.0], rtol=1e-6)
    np.testing.assert_allclose(combine(v, [2.5]), [0.6, 0.8, 0.0], rtol=1e-6)


def test_each_vector_is_normalised_before_weighting() -> None:
    long_a = np.array([10.0, 0.0, 0.0], dtype=np.float32)
    b = np.array([0.0, 1.0, 0.0], dtype=np.float32)
    both = combine(np.stack([long_a, b]), [1.0, 1.0])
    np.testing.assert_allclose(both, _unit(np.array([1.0, 1.0, 0.0])), rtol=1e-6)
    weighted = combine(np.stack([long_a, b]), [2.0, 1.0])
    np.testing.assert_allclose(weighted, _unit(np.array([2.0, 1.0, 0.0])), rtol=1e-6)
    assert abs(float(np.linalg.norm(weighted)) - 1.0) < 1e-6


def test_subtracting_moves_the_query_away_from_a_term() -> None:
    rng = np.random.default_rng(3)
    sunset, rain = rng.normal(size=(2, 16)).astype(np.float32)
    plain = combine(sunset[None, :], [1.0])
    minus = combine(np.stack([sunset, rain]), [1.0, -1.0])
    assert float(minus @ _unit(rain)) < float(plain @ _unit(rain)) - 0.2
    assert float(minus @ _unit(sunset)) > 0.5  # still about the sunset


def test_only_terms_to_avoid_are_refused() -> None:
    v = np.eye(3, dtype=np.float32)[:2]
    with pytest.raises(QueryError, match="only says what to leave out"):
        combine(v, [-1.0, -2.0], "-rain -fog")


def test_terms_that_cancel_out_are_refused() -> None:
    v = np.array([[1.0, 2.0], [2.0, 4.0]], dtype=np.float32)
    with pytest.raises(QueryError, match="cancel each other out"):
        combine(v, [1.0, -1.0], "sky - sky")


def test_no_vector_is_refused() -> None:
    with pytest.raises(QueryError, match="Say what to look for"):
        combine(np.zeros((0, 4), dtype=np.float32), [])
