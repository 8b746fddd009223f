"""Block recursive least squares for FPO-CMH's heads (issue #15 extension).

With novelty on, each head's linear layer [W; b] is the posterior mean of a Bayesian
linear regression from the head's features φ_m(x) (with a 1 appended) to target
pre-activations: a prior centred on the offline weights (precision λ·I), the offline
items with their own offline pre-activations as targets (so the prior mean is also the
exact solution at the start), and then every μ items of the modality one block
update (the Woodbury identity): remembered items keep the pre-activation they had when
their code was stored, members of a novel row move to s·codeword. Unlike a gradient
step this solves the accumulated problem exactly at every step, so the heads converge
within the stream and the offline items are rehearsed in full through the precision
matrix, without being stored.

Cost per block of B items: O(d'²·B + d'·B² + d'·k·B); memory d'² floats per head
(float64 for stability over thousands of updates).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from core.hashing.fpo_cmh.heads import TanhHead

Matrix64 = npt.NDArray[np.float64]
StateDict = dict[str, npt.NDArray[Any]]


class RecursiveFit:
    """The inverse precision P_m = (λI + Σ w φ̃φ̃ᵀ)⁻¹ of one head, φ̃ = [φ, 1].

    Args:
        inverse: (d'+1, d'+1) current P.
    """

    def __init__(self, inverse: npt.NDArray[Any]) -> None:
        self.inverse = np.asarray(inverse, np.float64)

    @classmethod
    def start(cls, Phi: npt.NDArray[Any], ridge: float, weight: float = 1.0) -> RecursiveFit:
        """P after the offline items (whose targets equal the offline head's outputs).

        Args:
            Phi: (n, d') the offline items' features.
            ridge: λ relative to the mean diagonal of ΦᵀΦ (the prior's precision).
            weight: Weight of each offline item (against 1 per streamed item).
        """
        A = _with_bias(Phi)
        G = weight * (A.T @ A)
        G[np.diag_indices_from(G)] += ridge * max(float(np.trace(G)) / len(G), 1e-12)
        return cls(np.linalg.inv(G))

    def update(
        self,
        head: TanhHead,
        Phi: npt.NDArray[Any],
        targets: npt.NDArray[Any],
        weights: npt.NDArray[Any],
    ) -> None:
        """Fold a block of rows (φ (B, d'), target pre-activations (B, k), weights (B,))."""
        if not len(Phi):
            return
        A = _with_bias(Phi)
        P = self.inverse
        PA = P @ A.T
        S = A @ PA
        S[np.diag_indices_from(S)] += 1.0 / np.asarray(weights, np.float64)
        gain = np.linalg.solve(S, PA.T).T
        Wb = np.vstack([head.W, head.b[None, :]]).astype(np.float64)
        Wb += gain @ (np.asarray(targets, np.float64) - A @ Wb)
        self.inverse = P - gain @ PA.T
        self.inverse = 0.5 * (self.inverse + self.inverse.T)
        head.W[...] = Wb[:-1]
        head.b[...] = Wb[-1]

    def state(self, prefix: str) -> StateDict:
        """P under ``prefix``."""
        return {prefix: self.inverse}


def _with_bias(Phi: npt.NDArray[Any]) -> Matrix64:
    Phi = np.asarray(Phi, np.float64)
    return np.hstack([Phi, np.ones((len(Phi), 1))])
