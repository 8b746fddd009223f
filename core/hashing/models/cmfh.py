"""CMFH: collective matrix factorisation hashing.

Ding, Guo & Zhou, "Collective matrix factorization hashing for multimodal data",
CVPR 2014; research/hpseh-lpih.md §4.2.

Objective (rows are items): Σ_m α_m(‖Φ_m − V U_m‖² + μ‖V − Φ_m W_m‖²)
+ γ(‖U_m‖² + ‖W_m‖² + ‖V‖²) with V (n, r) the shared latent factor, U_m (r, k_m)
the factor loadings, W_m (k_m, r) the hash projections. Alternating closed forms:
U_m = (VᵀV + (γ/α_m)I)⁻¹VᵀΦ_m; W_m = (Φ_mᵀΦ_m + γ_w I)⁻¹Φ_mᵀV;
V = [Σ α_m(Φ_m U_mᵀ + μΦ_m W_m)](Σ α_m(U_m U_mᵀ + μI) + γI)⁻¹.
Codes: b = sgn(φ_m(x)·W_m − t) with t the training mean of V.

Departure: the W_m ridge uses the scale-free weight γ_w = γ/(α_m μ)·tr(Φ_mᵀΦ_m)/k_m
(spec §0.4), so the defaults do not depend on n or on the feature scale.
"""

from __future__ import annotations

import numpy as np

from core.hashing.base import FitContext
from core.hashing.data import PairedFeatures
from core.hashing.models.linalg import ridge_from_gram
from core.hashing.models.linear import LinearHasher
from core.hashing.models.preprocess import FeatureKind, fit_feature_map


class CMFH(LinearHasher):
    """Unsupervised cross-modal hashing by a shared latent factorisation."""

    name = "cmfh"

    def __init__(
        self,
        n_bits: int = 64,
        *,
        seed: int = 0,
        alpha: float = 0.5,
        mu: float = 100.0,
        gamma: float = 0.01,
        iterations: int = 30,
        features: FeatureKind = "raw",
        anchors: int = 1000,
    ) -> None:
        super().__init__(
            n_bits,
            seed=seed,
            alpha=alpha,
            mu=mu,
            gamma=gamma,
            iterations=iterations,
            features=features,
            anchors=anchors,
        )
        self.alpha, self.mu, self.gamma, self.iterations = alpha, mu, gamma, iterations
        self.features, self.anchors = features, anchors

    def _fit(self, data: PairedFeatures, context: FitContext) -> None:
        rng = context.rng
        maps = (
            fit_feature_map(data.image, self.features, self.anchors, rng),
            fit_feature_map(data.text, self.features, self.anchors, rng),
        )
        Phis = [maps[0].transform(data.image).astype(np.float64)]
        Phis.append(maps[1].transform(data.text).astype(np.float64))
        alphas = (self.alpha, 1.0 - self.alpha)
        grams = [Phi.T @ Phi for Phi in Phis]
        r = self.n_bits
        V = rng.standard_normal((Phis[0].shape[0], r))

        def hash_projections(V: np.ndarray) -> list[np.ndarray]:
            return [
                ridge_from_gram(gram, Phi.T @ V, self.gamma / (a * self.mu))
                for a, Phi, gram in zip(alphas, Phis, grams, strict=True)
            ]

        for iteration in range(self.iterations):
            context.step(iteration, self.iterations)
            U = [
                np.linalg.solve(V.T @ V + (self.gamma / a) * np.eye(r), V.T @ Phi)
                for a, Phi in zip(alphas, Phis, strict=True)
            ]
            W = hash_projections(V)
            lhs = self.gamma * np.eye(r)
            rhs = np.zeros_like(V)
            for a, Phi, U_m, W_m in zip(alphas, Phis, U, W, strict=True):
                lhs += a * (U_m @ U_m.T + self.mu * np.eye(r))
                rhs += a * (Phi @ U_m.T + self.mu * (Phi @ W_m))
            V = np.linalg.solve(lhs.T, rhs.T).T.astype(np.float64)
        W = hash_projections(V)
        self._set_functions(maps, W[0], W[1], V.mean(axis=0))
