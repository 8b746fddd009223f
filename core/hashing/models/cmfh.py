"""CMFH: collective matrix factorisation hashing.

Ding, Guo & Zhou, "Collective matrix factorization hashing for multimodal data",
CVPR 2014; docs/design/research/hpseh-lpih.md §4.2.

Objective (rows are items): Σ_m α_m(‖Φ_m − V U_m‖² + μ‖V − Φ_m W_m‖²)
+ γ(‖U_m‖² + ‖W_m‖² + ‖V‖²) with V (n, r) the shared latent factor, U_m (r, k_m)
the factor loadings, W_m (k_m, r) the hash projections. Alternating closed forms:
U_m = (VᵀV + (γ/α_m)I)⁻¹VᵀΦ_m; W_m = (Φ_mᵀΦ_m + γ_w I)⁻¹Φ_mᵀV;
V = [Σ α_m(Φ_m U_mᵀ + μΦ_m W_m)](Σ α_m(U_m U_mᵀ + μI) + γI)⁻¹.
Codes: b = sgn(φ_m(x)·W_m − t) with t the training mean of V.

Defaults α = 0.5, μ = 10, γ = 1 come from a validation sweep on the emoji and
Phosphor training sets (benchmarks/validation_sweep.py; docs/benchmarks.md); the
paper's μ = 100, γ = 0.01 scored 0.26 mean validation mAP against 0.31.

Departure: the W_m ridge uses the scale-free weight γ_w = γ/(α_m μ)·tr(Φ_mᵀΦ_m)/k_m
(spec §0.4), so the defaults do not depend on n or on the feature scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.hashing.base import FitContext
from core.hashing.data import PairedFeatures
from core.hashing.models.linalg import ridge_inverse
from core.hashing.models.linear import LinearHasher
from core.hashing.models.preprocess import FeatureKind, fit_feature_maps
from core.hashing.tunable import tuned_anchors, tuned_ridge


@dataclass(frozen=True)
class CMFHParams:
    """Hyperparameters of CMFH (see the module docstring for their symbols)."""

    alpha: float = 0.5
    mu: float = 10.0
    gamma: float = 1.0
    iterations: int = 30
    features: FeatureKind = "raw"
    anchors: int = 1000


class CMFH(LinearHasher):
    """Unsupervised cross-modal hashing by a shared latent factorisation."""

    name = "cmfh"

    Params = CMFHParams
    tunable = (tuned_anchors("anchors"), tuned_ridge("gamma", values=(1.0, 0.3, 3.0)))
    params: CMFHParams

    def _fit(self, data: PairedFeatures, context: FitContext) -> None:
        rng = context.rng
        anchors = self.params.anchors
        maps, mapped = fit_feature_maps(data, self.params.features, rng, (anchors, anchors))
        Phis = list(mapped)  # float32
        alphas = (self.params.alpha, 1.0 - self.params.alpha)
        # the W-step matrices never change: invert them once, not once per iteration
        solvers = [
            ridge_inverse(
                (Phi.T @ Phi).astype(np.float64), self.params.gamma / (a * self.params.mu)
            )
            for a, Phi in zip(alphas, Phis, strict=True)
        ]
        r = self.n_bits
        eye = np.eye(r)
        V = rng.standard_normal((Phis[0].shape[0], r)).astype(np.float32)
        W: list[np.ndarray] = []
        for iteration in range(self.params.iterations + 1):
            context.step(iteration, self.params.iterations + 1)
            # Φ_mᵀV serves both the U-step (its transpose) and the W-step
            PtV = [(Phi.T @ V).astype(np.float64) for Phi in Phis]
            W = [solver @ ptv for solver, ptv in zip(solvers, PtV, strict=True)]
            if iteration == self.params.iterations:
                break  # final W for the final V
            gram_v = (V.T @ V).astype(np.float64)
            lhs = self.params.gamma * eye
            rhs = np.zeros(V.shape, dtype=np.float32)
            for a, Phi, ptv, W_m in zip(alphas, Phis, PtV, W, strict=True):
                U_m = np.linalg.solve(gram_v + (self.params.gamma / a) * eye, ptv.T)
                lhs += a * (U_m @ U_m.T + self.params.mu * eye)
                # Φ_m U_mᵀ + μ Φ_m W_m in one product
                rhs += a * (Phi @ (U_m.T + self.params.mu * W_m).astype(np.float32))
            V = np.linalg.solve(lhs.T, rhs.T.astype(np.float64)).T.astype(np.float32)
        self._set_functions(maps, W[0], W[1], V.mean(axis=0))
