"""LPIH's reconstructed stage-3 objective (``relearn="objective"``), and its semantic matrix.

Jiang et al., "Label Prediction Inherited Hashing", ACM MM 2025, as reconstructed in
docs/design/research/hpseh-lpih.md §2.3 (the stages and LPIH's other departures are in
lpih.py; docs/methods/lpih.md has the long form). Rows are items. On 𝓛 ∪ 𝓤 with the
true labels on 𝓛 (w = 1) and Ỹ on 𝓤, A = w ⊙ [L̂, 1], Ω₀ = blockdiag(2I, −1) and
S = AΩ₀Aᵀ (never formed):

    (1/n)‖r·S − BVᵀ‖² + θ‖B − V‖² + μ‖B − UR‖² + λΣ_m‖V − Φ_mW_m‖²
      + ρΣ_m‖W_m − W⁰_mR‖² + γΣ_m‖W_m‖²,   B ∈ {±1}, 1ᵀV = 0, VᵀV = n·I, RᵀR = I.

Per iteration: R = Procrustes(UᵀB); W_m = (K_m + (ρ'+γ')I)⁻¹(Φ_mᵀV + ρ'W⁰_mR);
V = balanced_orthogonal((r/n)·SᵀB + θB + λΣ_mΦ_mW_m); B = sgn((r/n)·SV + θV + μκ·UR).
B starts at UR with R the first r columns of I (U padded with random ±1 columns when
r > r₀). Final W_m = (K_m + (ρ'+γ')I)⁻¹(Φ_mᵀB + ρ'W⁰_mR).

Departures from the spec, and why:
* ρ' and γ' are scale-free (ρ·tr(K)/k, §0.4), so λ cancels from the W-step as in HPsEH;
  μ multiplies κ = mean |(r/n)·SV|, so μ = 1 weighs the inherited codes like the
  pairwise term whatever n, r or the label structure (the spec leaves μ's scale open).
* S is the signed prior Ω₀ weighted by confidence, S_ij = w_iw_j(2ŷ_iᵀŷ_j − 1), without
  HPsEH's self-expression: issue #4's ablations measured no gain from it, and the
  spec's A = [Ŷ; 1] with scaled Ŷ would make low-confidence items dissimilar to all.
* Issue 14 options (docs/methods/lpih.md, "Soft pseudo-label similarity"):
  ``pseudo="soft"`` feeds each unlabelled row's top ``soft_top`` fused scores raised
  to ``soft_power`` into S instead of the hard Ỹ; ``code_similarity`` α mixes the
  inherited codes' agreement (1 + u_iᵀu_j/r₀)/2 into S with weight α.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from core.hashing.base import FitContext, binarize
from core.hashing.models.linalg import balanced_orthogonal, gram
from core.hashing.models.lpih_labels import PseudoLabels, soft_labels
from core.hashing.models.ridge import ridge_from_gram, ridge_of
from core.hashing.models.semantic import SemanticMatrix, normalised_labels, prior_omega

F64 = npt.NDArray[np.float64]
F32 = npt.NDArray[np.float32]


@dataclass
class Stage3:
    """The fixed inputs of stage 3 and its per-modality ridge inverses."""

    Phi: tuple[F32, F32]
    U: F64
    W0: tuple[F64, F64]
    inverses: tuple[F64, F64]
    rho: tuple[float, float]


@dataclass(frozen=True)
class ObjectiveSettings:
    """θ, λ, μ and the number of alternating iterations T."""

    theta: float
    lam: float
    mu: float
    iterations: int


def run_stage3(
    s: Stage3, S: SemanticMatrix, B: F64, settings: ObjectiveSettings, context: FitContext
) -> tuple[F64, tuple[F64, F64]]:
    """Stage 3's alternating updates from codes ``B``; returns B and the final W_m."""
    rng, theta = context.rng, settings.theta
    scale = B.shape[1] / B.shape[0]
    V = balanced_orthogonal(scale * S.transpose_times(B) + theta * B, rng)
    for _ in range(settings.iterations):
        if context.cancel is not None:
            context.cancel.raise_if_cancelled()
        R = procrustes(s.U, B)
        W = stage3_weights(s, V, R)
        E = scale * S.transpose_times(B) + theta * B
        for m in (0, 1):
            E += settings.lam * (s.Phi[m] @ W[m].astype(np.float32))
        V = balanced_orthogonal(E, rng)
        pairwise = scale * S.times(V)
        kappa = float(np.mean(np.abs(pairwise)))
        B = binarize(pairwise + theta * V + settings.mu * kappa * (s.U @ R)).astype(np.float64)
    return B, stage3_weights(s, B, procrustes(s.U, B))


def semantic_matrix(
    labelled: npt.NDArray[np.bool_],
    labels: npt.NDArray[np.uint8],
    pseudo: PseudoLabels,
    codes: F64 | None,
    *,
    soft: tuple[int, float] | None,
    weighting: str,
    code_similarity: float,
) -> SemanticMatrix:
    """S from true labels on 𝓛 and Ỹ on 𝓤, weighted by confidence (``weighting``).

    "pulls": S_ij = 2ŷ_iᵀŷ_j·w_j − 1, so confident items pull the others and every
    item still follows its own pseudo-label; "both": S_ij = 2w_iw_j·ŷ_iᵀŷ_j − 1;
    "none": w = 1. The −1 (dissimilarity) part is never weighted: weighting it would
    turn it into a bias towards the codes of the unconfident items.

    ``soft`` = (top, power) feeds soft pseudo-labels (lpih_labels.soft_labels) instead
    of the hard Ỹ. With ``code_similarity`` α > 0 and the inherited ``codes`` U (n, r₀),
    the label part is fused with the real-valued agreement of the inherited codes:
    S_ij = 2[(1 − α)·(label part)_ij + α·(1 + u_iᵀu_j/r₀)/2] − 1, still a product of
    (n, c + 1 + r₀ + 1) factors.
    """
    merged = np.array(labels, dtype=np.float64)
    if soft is not None:
        merged[~labelled] = soft_labels(pseudo.scores, soft[0], soft[1])
    else:
        merged[~labelled] = pseudo.hard
    A = np.hstack([normalised_labels(merged), np.ones((labels.shape[0], 1))])
    omega = prior_omega(labels.shape[1])
    weighted = A
    if weighting != "none":
        weight = np.ones(labels.shape[0])
        weight[~labelled] = pseudo.confidence
        weighted = A.copy()
        weighted[:, :-1] *= weight[:, None]
        if weighting == "both":
            A = weighted
    alpha = code_similarity
    if alpha > 0 and codes is not None:
        r0 = codes.shape[1]
        C = np.hstack([np.full((codes.shape[0], 1), 0.5**0.5), codes / np.sqrt(2.0 * r0)])
        A, weighted = (
            np.hstack([(1 - alpha) ** 0.5 * F[:, :-1], alpha**0.5 * C, F[:, -1:]])
            for F in (A, weighted)
        )
        omega = prior_omega(A.shape[1] - 1)
    if weighting == "pulls":
        return SemanticMatrix(A, omega, weighted)
    return SemanticMatrix(A, omega)


def initial_codes(U: F64, n_bits: int, rng: np.random.Generator) -> F64:
    """UR₀ with R₀ the first r columns of I (U padded with random columns if r > r₀)."""
    r0 = U.shape[1]
    if n_bits <= r0:
        return U[:, :n_bits].copy()
    extra = binarize(rng.standard_normal((U.shape[0], n_bits - r0))).astype(np.float64)
    return np.hstack([U, extra])


def prepare_stage3(
    Phi: tuple[F32, F32], U: F64, U_modal: tuple[F64, F64], rho: float, gamma: float
) -> Stage3:
    """Gram matrices, the base's functions on φ (W⁰_m) and the W-step inverses."""
    grams = (gram(Phi[0]), gram(Phi[1]))
    W0 = [
        ridge_from_gram(grams[m], Phi[m].T @ U_modal[m].astype(np.float32), gamma) for m in (0, 1)
    ]
    rhos = [ridge_of(g, rho) for g in grams]
    inverses = [
        np.linalg.inv(g + (r + ridge_of(g, gamma)) * np.eye(g.shape[0])).astype(np.float64)
        for g, r in zip(grams, rhos, strict=True)
    ]
    return Stage3(Phi, U, (W0[0], W0[1]), (inverses[0], inverses[1]), (rhos[0], rhos[1]))


def modal_codes(Phi: tuple[F32, F32], W: tuple[F64, F64]) -> tuple[F64, F64]:
    """sgn(φ_m W_m) per modality."""
    codes = [binarize(Phi[m] @ W[m].astype(np.float32)).astype(np.float64) for m in (0, 1)]
    return codes[0], codes[1]


def stage3_weights(s: Stage3, T: F64, R: F64) -> tuple[F64, F64]:
    """W_m = (K_m + (ρ'+γ')I)⁻¹(Φ_mᵀT + ρ'W⁰_mR) for a target T (n, r)."""
    T32 = T.astype(np.float32)
    out = [
        s.inverses[m] @ ((s.Phi[m].T @ T32).astype(np.float64) + s.rho[m] * (s.W0[m] @ R))
        for m in (0, 1)
    ]
    return out[0], out[1]


def procrustes(U: F64, B: F64) -> F64:
    """Semi-orthogonal R (r₀, r) maximising ⟨UR, B⟩."""
    left, _, right = np.linalg.svd(U.T @ B, full_matrices=False)
    R: F64 = left @ right
    return R
