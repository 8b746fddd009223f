"""FPO-CMH's block recursive least squares equals the batch least-squares solution."""

from __future__ import annotations

import numpy as np

from core.hashing.fpo_cmh.heads import TanhHead
from core.hashing.fpo_cmh.rls import RecursiveFit
from core.hashing.models.preprocess import FeatureMap


def test_block_updates_solve_the_accumulated_problem_exactly() -> None:
    rng = np.random.default_rng(0)
    d, k = 6, 3
    w0, b0 = rng.standard_normal((d, k)), rng.standard_normal(k)
    head = TanhHead(FeatureMap("raw", np.zeros(d, np.float32)), w0, b0)
    offline = rng.standard_normal((40, d))
    fit = RecursiveFit.start(offline, ridge=0.5)
    blocks = [(rng.standard_normal((5, d)), rng.standard_normal((5, k)), w) for w in (1.0, 3.0)]
    for phi, t, w in blocks:
        fit.update(head, phi, t, np.full(len(phi), w))
    # batch: argmin λ‖[W;b] − [w0;b0]‖² + ‖Ã_off([W;b] − [w0;b0])‖² + Σ w‖Ã [W;b] − T‖²
    a_off = np.hstack([offline, np.ones((40, 1))])
    gram = a_off.T @ a_off
    lam = 0.5 * np.trace(gram) / len(gram)
    prior = np.vstack([w0, b0[None, :]])
    lhs = gram + lam * np.eye(d + 1)
    rhs = lhs @ prior
    for phi, t, w in blocks:
        a = np.hstack([phi, np.ones((len(phi), 1))])
        lhs += w * a.T @ a
        rhs += w * a.T @ t
    expected = np.linalg.solve(lhs, rhs)
    np.testing.assert_allclose(head.W, expected[:-1], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(head.b, expected[-1], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(fit.inverse, np.linalg.inv(lhs), rtol=1e-6, atol=1e-8)
