"""BATCH: label-based asymmetric discrete hashing, the supervised shallow baseline.

Wang, Zhang, Zhang, Xu & Shen (Y. Wang et al.), "BATCH: a scalable asymmetric discrete
cross-modal hashing", IEEE TKDE 33(11), 2021 (online 2020); docs/design/research/hpseh-lpih.md §4.3.

Objective (rows are items; S = L̂L̂ᵀ the label cosine, never formed):
‖r·S − B Vᵀ‖² + η₁‖Φ_x − V U_x‖² + η₂‖Φ_y − V U_y‖² + η₀‖L − V U_l‖² + ω‖B − V‖²
s.t. B ∈ {±1}^{n×r}, 1ᵀV = 0, VᵀV = n·I. Updates per iteration (6 by default):
U_* = ridge regressions of Φ_x, Φ_y, L on V; E = r·L̂(L̂ᵀB) + ωB + η₁Φ_xU_xᵀ + η₂Φ_yU_yᵀ
+ η₀LU_lᵀ; V = balanced_orthogonal(E); B = sgn(r·L̂(L̂ᵀV) + ωV). Hash functions:
W_m = ridge(Φ_m → B) with weight ξ; codes b = sgn(φ_m(x)·W_m).

Rows with ``label_weights`` (LPIH's pseudo-labelled rows, session 22) enter S and the
label regression scaled by their trust w_i (rescaled to mean square 1), so S_ij is scaled
by w_i·w_j, as in HPsEH's weighted semantics.

Features default to RBF kernels on 500 image / 1,000 text anchors, as in the authors'
demo. Rows without any label contribute through the feature terms only. The
balanced, decorrelated V (VᵀV = n·I, 1ᵀV = 0) needs n > r: fewer training pairs than
bits is refused with a HashingInputError.
Departures: ridge weights are scale-free (spec §0.4), and ξ defaults to 1e-5 instead of
the demo's 0.01: on validation splits of emoji and Phosphor (benchmarks/validation_sweep.py)
ξ = 0.01 underfits the hash functions (mean mAP 0.37/0.45 on emoji at 32/128 bits, against
0.44/0.55 at 1e-5); see docs/methods/hpseh.md, where BATCH is the baseline to beat.
Since issue 14 the anchors (one count for both modalities, the ladder HPsEH uses), ξ and
η₁ = η₂ are chosen at ``fit`` by the shared self-tuning search (core/hashing/tuning.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.errors import HashingInputError
from core.hashing.base import FitContext, binarize
from core.hashing.data import PairedFeatures
from core.hashing.models.linalg import balanced_orthogonal, ridge
from core.hashing.models.linear import LinearHasher
from core.hashing.models.preprocess import FeatureKind, fit_feature_maps
from core.hashing.models.ridge import ridge_from_gram
from core.hashing.tunable import tuned_anchors, tuned_ridge


@dataclass(frozen=True)
class BATCHParams:
    """Hyperparameters of BATCH (see the module docstring for their symbols)."""

    eta0: float = 0.9
    eta1: float = 0.05
    eta2: float = 0.05
    omega: float = 0.01
    xi: float = 1e-5
    iterations: int = 6
    features: FeatureKind = "kernel"
    anchors_image: int = 500
    anchors_text: int = 1000


class BATCH(LinearHasher):
    """Supervised cross-modal hashing with an asymmetric label-similarity term."""

    name = "batch"
    supervision = "supervised"

    Params = BATCHParams
    tunable = (
        tuned_anchors("anchors_image", "anchors_text"),
        tuned_ridge("xi", values=(1e-5, 1e-3, 1e-1)),
        tuned_ridge("eta1", "eta2", values=(0.05, 0.005, 0.5)),  # features against labels
    )
    params: BATCHParams

    def _fit(self, data: PairedFeatures, context: FitContext) -> None:
        assert data.labels is not None
        rng, p = context.rng, self.params
        maps, (Phi_x, Phi_y) = fit_feature_maps(
            data, p.features, rng, (p.anchors_image, p.anchors_text)
        )
        L = data.labels.astype(np.float64)
        L_hat = L / np.maximum(np.linalg.norm(L, axis=1, keepdims=True), 1e-12)
        if data.label_weights is not None:  # trust w_i: S_ij scaled by w_i·w_j, mean diag 1
            w = data.label_weights.astype(np.float64)
            w = w / max(float(np.sqrt(np.mean(w**2))), 1e-12)
            L_hat, L = L_hat * w[:, None], L * w[:, None]
        n, r = L.shape[0], self.n_bits
        if n <= r:
            raise HashingInputError(
                f"BATCH needs more labelled photo–caption pairs than code bits: there are {n} "
                f"for {r} bits. Choose a shorter code or label more photos.",
                f"n={n}, n_bits={r}",
            )
        eta0, eta1, eta2 = p.eta0, p.eta1, p.eta2
        B = binarize(rng.standard_normal((n, r))).astype(np.float64)
        V = rng.standard_normal((n, r))
        for iteration in range(p.iterations):
            context.step(iteration, p.iterations)
            E = r * (L_hat @ (L_hat.T @ B)) + p.omega * B
            for weight, target in ((eta1, Phi_x), (eta2, Phi_y), (eta0, L)):
                U = _regress_on(V, target)
                E += weight * (target @ U.T)
            V = balanced_orthogonal(E, rng)
            B = binarize(r * (L_hat @ (L_hat.T @ V)) + p.omega * V).astype(np.float64)
        self._set_functions(maps, ridge(Phi_x, B, p.xi), ridge(Phi_y, B, p.xi))


def _regress_on(V: np.ndarray, target: np.ndarray, lam: float = 1e-3) -> np.ndarray:
    """U (r, k) minimising ‖target − V·U‖² + λ'‖U‖² (scale-free λ, floored like every ridge)."""
    return ridge_from_gram(V.T @ V, V.T @ target, lam)
