"""Small dense solvers shared by the shallow methods (rows are items: V is (n, r)).

* ``ridge`` — the scale-free ridge of research/hpseh-lpih.md §0.4.
* ``balanced_orthogonal`` — the closed-form V-step of DGH/BATCH/HPsEH (§1.3 step 3):
  argmax ⟨V, E⟩ s.t. 1ᵀV = 0, VᵀV = n·I.
* ``itq_rotation`` — ITQ's orthogonal Procrustes iterations (Gong & Lazebnik 2011).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


def ridge(Phi: npt.NDArray[Any], T: npt.NDArray[Any], gamma: float) -> F64:
    """W minimising ‖Phi·W − T‖² + γ'‖W‖² with γ' = γ·tr(PhiᵀPhi)/k.

    Args:
        Phi: (n, k) inputs.
        T: (n, r) targets.
        gamma: Scale-free ridge weight.

    Returns:
        (k, r) float64 weights.
    """
    return ridge_from_gram(gram(Phi), (Phi.T @ T).astype(np.float64), gamma)


def gram(Phi: npt.NDArray[Any], chunk: int = 2048) -> F64:
    """PhiᵀPhi (k, k): float32 products over blocks of rows, summed in float64.

    One float32 product over all rows has a rounding error of about 1e-5 of the
    mean eigenvalue (measured at n = 50,000, k = 2,000), as large as the small
    scale-free ridges used here: K + ridge can turn indefinite and block updates then
    diverge. Blocks of 2,048 rows cut the error tenfold at twice the cost of one
    float32 product; a float64 product would cost 3.5 times.
    """
    out = np.zeros((Phi.shape[1], Phi.shape[1]))
    for start in range(0, Phi.shape[0], chunk):
        block = Phi[start : start + chunk]
        out += block.T @ block
    return out


def ridge_from_gram(gram: F64, rhs: F64, gamma: float) -> F64:
    """Solve (K + γ·tr(K)/k·I) W = rhs for a precomputed Gram matrix K (k, k)."""
    k = gram.shape[0]
    scale = float(np.trace(gram)) / k if k else 0.0
    regulariser = gamma * max(scale, 1e-12)
    solution: F64 = np.linalg.solve(gram + regulariser * np.eye(k), rhs).astype(np.float64)
    return solution


def ridge_inverse(gram: F64, gamma: float) -> F64:
    """(K + γ·tr(K)/k·I)⁻¹ for a Gram matrix K (k, k), for repeated solves."""
    k = gram.shape[0]
    regulariser = gamma * max(float(np.trace(gram)) / k if k else 0.0, 1e-12)
    inverse: F64 = np.linalg.inv(gram + regulariser * np.eye(k)).astype(np.float64)
    return inverse


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
