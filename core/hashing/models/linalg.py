"""Small dense solvers shared by the shallow methods (rows are items: V is (n, r)).

* ``ridge``, ``gram``, ``ridge_from_gram``, ``ridge_inverse`` — the scale-free ridge,
  defined in :mod:`core.hashing.models.ridge` and re-exported here.
* ``balanced_orthogonal`` — the closed-form V-step of DGH/BATCH/HPsEH (§1.3 step 3):
  argmax ⟨V, E⟩ s.t. 1ᵀV = 0, VᵀV = n·I.
* ``itq_rotation`` — ITQ's orthogonal Procrustes iterations (Gong & Lazebnik 2011).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from core.hashing.models.ridge import F64, gram, ridge, ridge_from_gram, ridge_inverse

__all__ = [
    "F64",
    "balanced_orthogonal",
    "gram",
    "itq_rotation",
    "pca",
    "ridge",
    "ridge_from_gram",
    "ridge_inverse",
]


def balanced_orthogonal(E: npt.NDArray[Any], rng: np.random.Generator) -> F64:
    """The V maximising ⟨V, E⟩ with zero column means and VᵀV = n·I.

    Args:
        E: (n, r) target; n must exceed r for the constraint to be satisfiable.
        rng: Completes the basis when E has rank below r.
    """
    n, r = E.shape
    centred = np.asarray(E, dtype=np.float64) - E.mean(axis=0, keepdims=True)
    eigval, Q = np.linalg.eigh(centred.T @ centred)
    keep = eigval > 1e-6 * max(float(eigval.max()), 1e-300)
    Qk = Q[:, keep]
    P = (centred @ Qk) / np.sqrt(eigval[keep])
    missing = r - Qk.shape[1]
    if missing:
        P, Qk = _complete(P, Qk, Q[:, ~keep], missing, rng)
    V: F64 = np.sqrt(n) * (P @ Qk.T)
    return V


def _complete(
    P: F64, Qk: F64, Q_rest: F64, missing: int, rng: np.random.Generator
) -> tuple[F64, F64]:
    n = P.shape[0]
    basis = np.hstack([np.ones((n, 1)) / np.sqrt(n), P])
    extra = rng.standard_normal((n, missing))
    extra -= basis @ (basis.T @ extra)
    extra, _ = np.linalg.qr(extra)
    return np.hstack([P, extra]), np.hstack([Qk, Q_rest[:, :missing]])


def itq_rotation(V: npt.NDArray[Any], iterations: int, rng: np.random.Generator) -> F64:
    """Orthogonal R (r, r) minimising ‖B − V·R‖² with B = sgn(V·R), from a random start."""
    r = V.shape[1]
    R, _ = np.linalg.qr(rng.standard_normal((r, r)))
    V64 = np.asarray(V, dtype=np.float64)
    for _ in range(iterations):
        B = np.where(V64 @ R > 0, 1.0, -1.0)
        U, _, Wt = np.linalg.svd(V64.T @ B)
        R = U @ Wt
    return R


def pca(X: npt.NDArray[Any], r: int) -> F64:
    """Top-r principal directions (d, r) of already-centred rows X (n, d)."""
    cov = (X.T @ X).astype(np.float64) / max(X.shape[0], 1)
    eigval, eigvec = np.linalg.eigh(cov)
    order = np.argsort(eigval)[::-1][:r]
    return eigvec[:, order]
