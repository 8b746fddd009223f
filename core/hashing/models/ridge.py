"""The scale-free ridge every shallow method uses, in one place.

Spec: docs/design/research/hpseh-lpih.md §0.4.

A ridge weight γ is given relative to the data: the penalty on ‖W‖² is
γ' = γ·tr(K)/k for a Gram matrix K (k, k), that is γ times K's mean eigenvalue, so one
γ means the same for CLIP features of any scale and any length. The mean eigenvalue
is floored at :data:`FLOOR`, so that a zero or all-but-zero K (no variance at all, as
when every row is zero) still gets a positive ridge and a finite solution instead of a
singular system. Used by HPsEH, LPIH (stage 3 and its label functions), BATCH,
FPO-CMH's label functions, CMFH's projections and CCA-ITQ's covariances.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

FLOOR = 1e-12
"""The least mean eigenvalue a ridge is scaled by (keeps a zero Gram matrix solvable)."""


def ridge_weight(trace: float, size: int, gamma: float) -> float:
    """γ' = γ·max(tr(K)/k, FLOOR) for a Gram matrix K of ``size`` k and trace ``trace``."""
    mean_eigenvalue = trace / size if size else 0.0
    return float(gamma * max(mean_eigenvalue, FLOOR))


def ridge_of(gram: npt.NDArray[Any], gamma: float) -> float:
    """γ' for a Gram matrix K (k, k)."""
    return ridge_weight(float(np.trace(gram)), gram.shape[0], gamma)


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


def ridge_from_gram(gram: npt.NDArray[Any], rhs: npt.NDArray[Any], gamma: float) -> F64:
    """Solve (K + γ'·I) W = rhs for a precomputed Gram matrix K (k, k)."""
    k = gram.shape[0]
    system = gram + ridge_of(gram, gamma) * np.eye(k)
    solution: F64 = np.linalg.solve(system, np.asarray(rhs, np.float64)).astype(np.float64)
    return solution


def ridge_inverse(gram: npt.NDArray[Any], gamma: float) -> F64:
    """(K + γ'·I)⁻¹ for a Gram matrix K (k, k), for repeated solves."""
    k = gram.shape[0]
    inverse: F64 = np.linalg.inv(gram + ridge_of(gram, gamma) * np.eye(k)).astype(np.float64)
    return inverse
