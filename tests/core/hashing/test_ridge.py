"""One scale-free ridge for every shallow method, floored so degenerate inputs stay solvable."""

from __future__ import annotations

import numpy as np
import pytest

from core.hashing.models.batch import _regress_on
from core.hashing.models.ridge import (
    FLOOR,
    gram,
    ridge,
    ridge_from_gram,
    ridge_inverse,
    ridge_weight,
)


def test_the_ridge_is_gamma_times_the_mean_eigenvalue() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 5))
    t = rng.standard_normal((40, 2))
    gamma = 0.3
    k = x.T @ x
    expected = np.linalg.solve(k + gamma * np.trace(k) / 5 * np.eye(5), x.T @ t)
    np.testing.assert_allclose(ridge(x, t, gamma), expected, rtol=1e-10)
    np.testing.assert_allclose(ridge_inverse(k, gamma) @ (x.T @ t), expected, rtol=1e-8)


def test_the_mean_eigenvalue_is_floored() -> None:
    assert ridge_weight(0.0, 4, 2.0) == 2.0 * FLOOR
    assert ridge_weight(0.0, 0, 1.0) == FLOOR
    assert ridge_weight(8.0, 4, 0.5) == 1.0


def test_a_zero_gram_matrix_gives_zero_weights_not_an_error() -> None:
    out = ridge_from_gram(np.zeros((3, 3)), np.zeros((3, 2)), 1e-3)
    np.testing.assert_array_equal(out, np.zeros((3, 2)))


@pytest.mark.parametrize("rows", [np.zeros((6, 3)), np.zeros((0, 3))])
def test_batch_regression_on_codes_without_variance_is_finite(rows: np.ndarray) -> None:
    # BATCH's regression step scaled its ridge by tr(VᵀV)/r without the floor every
    # other ridge has: V with no variance (all zero, or no rows) made VᵀV + 0·I
    # singular and np.linalg.solve raised LinAlgError.
    target = np.random.default_rng(1).standard_normal((rows.shape[0], 4))
    u = _regress_on(rows, target)
    assert u.shape == (3, 4)
    assert np.isfinite(u).all()
    np.testing.assert_array_equal(u, np.zeros((3, 4)))


def test_the_gram_matrix_of_float32_features_stays_positive_semidefinite() -> None:
    # 100 distinct rows repeated 40 times around one dominant direction: the largest
    # eigenvalue is 200× the mean, as with repeated captions. Float32 products rounded
    # the null space to −2.8 ridges (γ = 1e-5), which made K + γ'I indefinite.
    rng = np.random.default_rng(0)
    distinct = 0.01 * rng.standard_normal((100, 200)) + 10 * rng.standard_normal(200)
    features = np.repeat(distinct.astype(np.float32), 40, axis=0)
    computed = gram(features)
    exact = features.astype(np.float64).T @ features.astype(np.float64)
    assert np.abs(computed - exact).max() <= 1e-12 * np.abs(exact).max()
    ridge_value = ridge_weight(np.trace(computed), 200, 1e-5)
    assert np.linalg.eigvalsh(computed).min() > -1e-3 * ridge_value
