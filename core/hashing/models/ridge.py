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
    """PhiᵀPhi (k, k) in float64, over blocks of rows of a float32 (or float64) Phi.

    The Gram matrix must be positive semidefinite to well below the smallest ridge used
    here (1e-5 of the *mean* eigenvalue), but float32 products round at about 1e-7 of
    the *largest* one. On kernel features with many repeated captions the two are far
    apart (Phosphor's MiniLM text: largest eigenvalue 616× the mean): the float32 blocks
    summed in float64 that this used to compute had eigenvalues down to −4 ridges there,
    K + γ'I was indefinite, and HPsEH's joint ridge blew up (weights of norm 2e5, mAP 0.46
    against BATCH's 0.71 on a validation split). Each block is converted to float64 before
    its product: float32 × float32 is exact in float64, and the sums round at about 1e-16.
    This costs about twice the float32 product, a small share of any fit that uses it; the
    blocks only keep the float64 copy small (2,048 rows at a time, not all n).
    """
    out = np.zeros((Phi.shape[1], Phi.shape[1]))
    for start in range(0, Phi.shape[0], chunk):
        block = np.asarray(Phi[start : start + chunk], np.float64)
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
