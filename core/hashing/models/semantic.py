"""The quantified (real-valued, signed) pairwise semantic matrix of HPsEH, never formed.

docs/design/research/hpseh-lpih.md §1.2(a–b), rows are items: with L̂ the row-normalised labels and
A = [L̂, 1] (n, c+1), the label prior is S₀ = A Ω₀ Aᵀ = 2·L̂L̂ᵀ − 11ᵀ (Ω₀ =
blockdiag(2·I_c, −1)): +1 for identical label sets, −1 for disjoint ones, graded in
between. The supervised self-expression learns a small Ω (c+1, c+1) so that every item
is reconstructed from label-weighted class prototypes H̄ = ΦᵀA/n:

    min_Ω ‖Φ − A Ω H̄ᵀ‖² + α‖Ω − Ω₀‖²    (the spec's ‖Φ − Φ·(1/n)AᵀΩA‖², transposed)

whose normal equations P₁ΩP₂ + αΩ = n·P₁ + αΩ₀ (P₁ = H̄ᵀH̄, P₂ = AᵀA) are solved
exactly in the two eigenbases, with α = α₀·tr(P₁)·tr(P₂)/(c+1)². The quantified matrix
is S = A Ω Aᵀ, rescaled so that its mean diagonal is 1; products with S cost O(n·c·r).

Fusion with the labels (issue 14, session 9): the codes learn from
S_μ = μ·S_q + (1 − μ)·S₀, the quantified matrix and the label prior each at mean
diagonal 1, rescaled again to mean diagonal 1. Both share the factor A, so the fused
matrix is A·(μΩ + (1 − μ)Ω₀)·Aᵀ and costs nothing more. μ = 1 is S_q alone (the
behaviour before), μ = 0 the prior alone.

Enhancement by the features (issue 14, session 10): :class:`FeatureSimilarity` is the
item-to-item similarity of the kernel features of both modalities, ν·K̄ with
K̄ = ½·Σ_m Φ_mΦ_mᵀ / d̄_m (d̄_m the mean squared row norm of Φ_m, so K̄ has mean
diagonal 1 like S). HPsEH can add it to S in its code-learning term (``nu``, off by
default): S has rank at most c + 1, so with more bits than classes the labels say nothing
about V's remaining directions, and a small ν gives them the features' main directions
while the labels still dominate within S's range. Products cost O(n·k·r) and no n×n
matrix is formed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]


@dataclass(frozen=True)
class SemanticMatrix:
    """S = A·Ω·A_rᵀ (n, n), held as its factors.

    Attributes:
        A: (n, c+1) label factor [L̂, 1].
        omega: (c+1, c+1) class affinity; not symmetric in general.
        A_right: (n, c+1) right factor when it differs from A (LPIH weights each
            column j by a confidence), else None.
    """

    A: F64
    omega: F64
    A_right: F64 | None = None

    @property
    def right(self) -> F64:
        """The right factor A_r (A itself unless given)."""
        return self.A if self.A_right is None else self.A_right

    def times(self, P: npt.NDArray[Any]) -> F64:
        """S·P for P (n, r), in O(n·c·r)."""
        product: F64 = self.A @ (self.omega @ (self.right.T @ P))
        return product

    def transpose_times(self, P: npt.NDArray[Any]) -> F64:
        """Sᵀ·P for P (n, r), in O(n·c·r)."""
        product: F64 = self.right @ (self.omega.T @ (self.A.T @ P))
        return product

    def diagonal(self) -> F64:
        """S_ii for every item, in O(n·c²)."""
        diagonal: F64 = np.einsum("ij,jk,ik->i", self.A, self.omega, self.right)
        return diagonal

    def dense(self) -> F64:
        """The full n×n matrix: for tests on toy data only."""
        dense: F64 = self.A @ self.omega @ self.right.T
        return dense


@dataclass(frozen=True)
class FeatureSimilarity:
    """ν·K̄ (n, n) of the module docstring, held as its factors.

    Attributes:
        blocks: The centred feature matrices Φ_m (n, k_m), one per modality.
        weights: ν / (2·d̄_m) for each block.
    """

    blocks: tuple[npt.NDArray[np.float32], ...]
    weights: tuple[float, ...]

    @classmethod
    def of(cls, blocks: Sequence[npt.NDArray[np.float32]], nu: float) -> FeatureSimilarity:
        """ν·K̄ for the feature blocks (each weighted to mean diagonal ν / len(blocks))."""
        weights = tuple(
            nu / (len(blocks) * max(float(np.mean(np.einsum("ij,ij->i", Phi, Phi))), 1e-12))
            for Phi in blocks
        )
        return cls(tuple(blocks), weights)

    def from_cross(self, cross: Sequence[npt.NDArray[Any]]) -> F64:
        """ν·K̄·P given ``cross`` = Φ_mᵀ·P (so a caller that has them pays no more)."""
        n = self.blocks[0].shape[0]
        product: F64 = np.zeros((n, cross[0].shape[1]))
        for Phi, weight, C in zip(self.blocks, self.weights, cross, strict=True):
            product += weight * (Phi @ np.asarray(C, dtype=np.float32))
        return product

    def times(self, P: npt.NDArray[Any]) -> F64:
        """ν·K̄·P for P (n, r), in O(n·k·r)."""
        return self.from_cross(feature_cross(self.blocks, P))

    def dense(self) -> F64:
        """The full n×n matrix: for tests on toy data only."""
        return self.times(np.eye(self.blocks[0].shape[0]))


def feature_cross(
    blocks: Sequence[npt.NDArray[np.float32]], P: npt.NDArray[Any]
) -> tuple[F64, ...]:
    """Φ_mᵀ·P for every feature block, in float32 arithmetic, returned in float64."""
    P32 = np.asarray(P, dtype=np.float32)
    return tuple((Phi.T @ P32).astype(np.float64) for Phi in blocks)


def normalised_labels(labels: npt.NDArray[Any]) -> F64:
    """L̂: each row scaled to unit length; rows without labels stay zero."""
    L = np.asarray(labels, dtype=np.float64)
    norms = np.linalg.norm(L, axis=1, keepdims=True)
    normalised: F64 = L / np.maximum(norms, 1e-12)
    return normalised


def label_factor(labels: npt.NDArray[Any]) -> F64:
    """A = [L̂, 1] (n, c+1)."""
    L_hat = normalised_labels(labels)
    factor: F64 = np.hstack([L_hat, np.ones((L_hat.shape[0], 1))])
    return factor


def prior_omega(n_classes: int) -> F64:
    """Ω₀ = blockdiag(2·I_c, −1), so that A·Ω₀·Aᵀ = 2·L̂L̂ᵀ − 11ᵀ."""
    omega = 2.0 * np.eye(n_classes + 1)
    omega[-1, -1] = -1.0
    return omega


def self_expression_omega(blocks: Sequence[npt.NDArray[Any]], A: F64, alpha0: float) -> F64:
    """The Ω of the restricted supervised self-expression (module docstring).

    Args:
        blocks: Column blocks (n, D_b) of the centred features Φ = [Φ_1, Φ_2, ...]; kept
            apart so that the stacked matrix is never copied.
        A: (n, c+1) label factor.
        alpha0: Scale-free weight of the pull towards the prior Ω₀.
    """
    n, c1 = A.shape
    omega0 = prior_omega(c1 - 1)
    A32 = A.astype(np.float32)
    prototypes = np.vstack([(np.asarray(b).T @ A32).astype(np.float64) for b in blocks]) / n
    P1 = prototypes.T @ prototypes
    P2 = A.T @ A
    alpha = alpha0 * float(np.trace(P1)) * float(np.trace(P2)) / c1**2
    alpha = max(alpha, 1e-12)
    eig1, U1 = np.linalg.eigh(P1)
    eig2, U2 = np.linalg.eigh(P2)
    rotated = U1.T @ (n * P1 + alpha * omega0) @ U2
    solution = rotated / (np.outer(eig1, eig2) + alpha)
    omega: F64 = U1 @ solution @ U2.T
    return omega


def semantic_matrix(
    labels: npt.NDArray[Any],
    features: Sequence[npt.NDArray[Any]] = (),
    alpha0: float = 1.0,
    *,
    per_modality: bool = False,
    fusion: float = 1.0,
    row_weights: npt.NDArray[Any] | None = None,
) -> SemanticMatrix:
    """The quantified semantic matrix of labelled items, fused with the label prior.

    Args:
        labels: (n, c) 0/1 labels; every row should carry at least one label.
        features: Centred feature matrices (n, D_m), one per modality. Empty: the prior.
        alpha0: Self-expression regulariser (ignored without features).
        per_modality: Solve one Ω_m per modality and average them (the heterogeneous
            variant) instead of one Ω on the stacked features.
        fusion: μ of the module docstring, the weight of the quantified matrix against
            the label prior (ignored without features); 1 = the quantified matrix alone.
        row_weights: (n,) trust w_i in each row's labels, or None (all 1). Row i of A is
            scaled by w_i, so S_ij becomes w_i·w_j·S_ij before the mean diagonal is set
            to 1, and the self-expression's prototypes weigh each row by w_i
            (LPIH's pseudo-labelled rows; docs/methods/lpih.md, "Trust-weighted
            pseudo-labels").
    """
    A = label_factor(labels)
    if row_weights is not None:
        A = A * np.asarray(row_weights, dtype=np.float64)[:, None]
    prior = _unit_diagonal(A, prior_omega(A.shape[1] - 1))
    if not features or fusion <= 0.0:
        return SemanticMatrix(A, prior)
    if per_modality:
        omega = np.mean([self_expression_omega([Phi], A, alpha0) for Phi in features], axis=0)
    else:
        omega = self_expression_omega(features, A, alpha0)
    omega = _unit_diagonal(A, omega)
    if fusion < 1.0:
        omega = _unit_diagonal(A, fusion * omega + (1.0 - fusion) * prior)
    return SemanticMatrix(A, omega)


def _unit_diagonal(A: F64, omega: F64) -> F64:
    """Ω rescaled so that A·Ω·Aᵀ has mean diagonal 1 (unchanged if that mean is ~0)."""
    scale = float(np.mean(SemanticMatrix(A, omega).diagonal()))
    return omega / scale if scale > 1e-12 else omega
