"""LPIH stages 1 and 2: label functions, and pseudo-labels refined with inherited codes.

docs/design/research/hpseh-lpih.md §2.3 (rows are items, so the spec's matrices appear transposed).

Stage 1 fits three scorers on the labelled rows 𝓛 only:

* feature label functions P_m, a ridge from φ_m to L̂ per modality (F_feat is their mean);
* the code label function P_b, a ridge from the inherited codes U to L̂ (F_code);
* Hamming class prototypes π_c = sgn(Σ_{i∈c} u_i), scored (1 + u·π_c/r₀)/2 (F_proto).

Each scorer is calibrated on leave-one-out scores of 𝓛 (exact for ridge regression:
ŷ₋ᵢ = (ŷᵢ − hᵢᵢ·tᵢ)/(1 − hᵢᵢ); prototypes rebuilt without the item), which the spec
allows as "k-fold or hold-out": per class, scores are min–max scaled to [0, 1] by their
leave-one-out range, and the fused score F = ω₁F_feat + ω₂F_code + ω₃F_proto gets a
per-class threshold τ_c maximising F1 on the leave-one-out fused scores.

A fourth, transductive scorer joins the fusion when LPIH passes one (a departure, see
lpih.py): 𝓛's labels propagated over an anchor graph of *every* row
(anchor_graph.py), calibrated like the others on held-out scores of 𝓛 (each labelled
row scored from the other fold of 𝓛). It takes the share ω₄ (``graph_weight``) of F;
ω₁..ω₃ share the rest in their ratio.

Stage 2 turns F on the unlabelled rows into hard pseudo-labels (class on above τ_c;
the arg-max class always kept; at most t_max = ⌈mean labels per row in 𝓛⌉ + 1) and a
confidence w_j = max_c F_cj · max(0, cos(P_xφ_x, P_yφ_y)) · (1 + u^x·u^y/r₀)/2. With
``refine=False`` (the "no refinement by inherited codes" ablation) only F_feat is used
and the code-agreement factor is dropped. Cost O(n·c·(k + r₀)); no n_l × n_u matrix.

:func:`soft_labels` is the real-valued alternative to Ỹ (a departure from the spec,
see lpih.py): each row keeps its ``top`` best classes with weights F_cj^``power``,
so stage 3's similarity ŷ_iᵀŷ_j is graded by how sure the label functions are of
each class instead of all-or-nothing.

:func:`widened_labels` is the form of that idea that relearning with the wrapped method
uses (``relearn="base"``, whose label matrix is binary): Ỹ plus each row's runners-up,
so the wrapped method's cosine of label rows grades the pseudo-labelled pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from core.hashing.models.lpih_fusion import (
    Calibration,
    HeldOut,
    calibration,
    feature_scores,
    learn_fusion,
)
from core.hashing.models.ridge import FLOOR, ridge_weight

F64 = npt.NDArray[np.float64]
Bool = npt.NDArray[np.bool_]
FusionKind = Literal["fixed", "learned"]


@dataclass(frozen=True)
class ScorerWeights:
    """ω of the fusion: feature, code and prototype scorers, and the graph scorer's share.

    ``graph`` is the share (0–1) of the fused score that the propagated graph scores
    take when they exist; the other three are normalised to share the rest.
    """

    feature: float
    code: float
    prototype: float
    graph: float = 0.0

    def normalised(self, with_graph: bool = False) -> tuple[float, float, float, float]:
        """(feature, code, prototype, graph) summing to 1 (feature only when all are 0)."""
        share = min(max(self.graph, 0.0), 1.0) if with_graph else 0.0
        total = self.feature + self.code + self.prototype
        if total <= 0:
            return 1.0 - share, 0.0, 0.0, share
        rest = 1.0 - share
        return (
            rest * self.feature / total,
            rest * self.code / total,
            rest * self.prototype / total,
            share,
        )


@dataclass(frozen=True)
class LabelledView:
    """What stage 1 sees of 𝓛: mapped features, inherited codes and labels.

    Attributes:
        Phi: (φ_x, φ_y) of the labelled rows, each (n_l, k).
        U: (n_l, r₀) inherited ±1 codes of the labelled rows.
        labels: (n_l, c) 0/1 labels, every row with at least one label.
        graph: (n_l, c) held-out propagated label scores (anchor_graph.py), or None.
        fold: (n_l,) the two folds the graph's scores were held out on, or None.
    """

    Phi: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]
    U: F64
    labels: npt.NDArray[np.uint8]
    graph: F64 | None = None
    fold: Bool | None = None


@dataclass(frozen=True)
class UnlabelledView:
    """What stage 2 sees of 𝓤: mapped features, inherited codes, propagated label scores."""

    Phi: tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]
    U: F64
    U_modal: tuple[F64, F64]
    graph: F64 | None = None


@dataclass(frozen=True)
class PseudoLabels:
    """Stage 2's output for the unlabelled rows.

    Attributes:
        hard: (n_u, c) 0/1 pseudo-labels Ỹ.
        confidence: (n_u,) w_j in [0, 1].
        scores: (n_u, c) fused calibrated scores F.
    """

    hard: npt.NDArray[np.uint8]
    confidence: F64
    scores: F64
    trust: F64 | None = None
    """(n_u,) estimated chance that the row's best class is one of its labels
    (:func:`trust_curve`), or None where nothing estimated it (the oracle)."""


@dataclass(frozen=True)
class LabelFunctions:
    """Stage 1: the fitted scorers, their calibrations and the per-class thresholds."""

    P: tuple[F64, F64]
    P_b: F64
    prototypes: F64
    calibrations: tuple[Calibration, Calibration, Calibration]
    thresholds: F64
    weights: tuple[float, float, float, float]
    max_labels: int
    refine: bool
    graph_calibration: Calibration | None = None
    trust_curve: tuple[float, float] = (0.0, 0.0)
    """(a, b) of the chance σ(a + b·max_c F_c) that a row's best class is right."""
    mix: float = 0.5
    """α, the image feature scorer's share of F_feat (lpih_fusion.py; ½ when fixed)."""

    def scores(self, view: UnlabelledView) -> tuple[F64, F64, F64]:
        """Calibrated (F_feat, F_code, F_proto) of unlabelled rows (each (n_u, c))."""
        image, text = _times(view.Phi[0], self.P[0]), _times(view.Phi[1], self.P[1])
        feat = feature_scores(image, text, self.mix)
        code = view.U @ self.P_b
        proto = _prototype_scores(view.U, self.prototypes)
        cal = self.calibrations
        return cal[0](feat), cal[1](code), cal[2](proto)

    def predict(self, view: UnlabelledView) -> PseudoLabels:
        """Hard pseudo-labels, confidences and fused scores of unlabelled rows."""
        feat, code, proto = self.scores(view)
        if self.refine:
            w = self.weights
            fused = w[0] * feat + w[1] * code + w[2] * proto
            if self.graph_calibration is not None and view.graph is not None:
                fused = fused + w[3] * self.graph_calibration(view.graph)
        else:
            fused = feat
        hard = hard_labels(fused, self.thresholds, self.max_labels)
        confidence = fused.max(axis=1) * self._feature_agreement(view)
        if self.refine:
            r0 = view.U.shape[1]
            agree = np.einsum("ij,ij->i", view.U_modal[0], view.U_modal[1]) / r0
            confidence = confidence * (1.0 + agree) / 2.0
        a, b = self.trust_curve
        trust = 1.0 / (1.0 + np.exp(-(a + b * fused.max(axis=1))))
        return PseudoLabels(hard, confidence, fused, trust)

    def _feature_agreement(self, view: UnlabelledView) -> F64:
        a = _times(view.Phi[0], self.P[0])
        b = _times(view.Phi[1], self.P[1])
        cos = np.einsum("ij,ij->i", a, b) / np.maximum(
            np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-12
        )
        agreement: F64 = np.clip(cos, 0.0, 1.0)
        return agreement


def fit_label_functions(
    view: LabelledView,
    ridge: float,
    weights: ScorerWeights,
    *,
    refine: bool,
    extra_labels: int = 1,
    fusion: FusionKind = "fixed",
) -> LabelFunctions:
    """Stage 1 on the labelled rows, calibrated by leave-one-out scores.

    A pseudo-labelled row gets at most ⌈mean labels per row in 𝓛⌉ + ``extra_labels``.
    ``fusion="learned"`` chooses the modality mix and ω on those held-out scores
    (lpih_fusion.py) instead of taking ``weights`` and a half-and-half mix.
    """
    L = view.labels.astype(np.float64)
    L_hat = L / np.linalg.norm(L, axis=1, keepdims=True)
    fits = [ridge_with_loo(Phi.astype(np.float64), L_hat, ridge) for Phi in view.Phi]
    P = (fits[0][0], fits[1][0])
    loo_feat = feature_scores(fits[0][1], fits[1][1], 0.5)
    P_b, loo_code = ridge_with_loo(view.U, L_hat, ridge)
    prototypes = class_prototypes(view.U, L)
    loo_proto = _loo_prototype_scores(view.U, L)
    calibrations = (calibration(loo_feat), calibration(loo_code), calibration(loo_proto))
    use_graph = refine and view.graph is not None and weights.graph > 0
    graph_calibration = calibration(view.graph) if use_graph and view.graph is not None else None
    w = weights.normalised(with_graph=graph_calibration is not None)
    graph = None  # the graph's calibrated held-out scores, when it takes part
    if graph_calibration is not None and view.graph is not None:
        graph = graph_calibration(view.graph)
    mix = 0.5
    if refine and fusion == "learned":
        if graph is not None and view.fold is not None:  # held out as the graph was
            image, text = (_two_fold(Phi, L_hat, ridge, view.fold) for Phi in view.Phi)
        else:
            image, text = fits[0][1], fits[1][1]
        held_out = HeldOut(image, text, graph)
        learned = learn_fusion(held_out, view.labels, w)
        mix, w = learned.mix, learned.weights
        loo_feat = feature_scores(fits[0][1], fits[1][1], mix)
        calibrations = (calibration(loo_feat), calibrations[1], calibrations[2])
    if refine:
        fused = (
            w[0] * calibrations[0](loo_feat)
            + w[1] * calibrations[1](loo_code)
            + w[2] * calibrations[2](loo_proto)
        )
        if graph is not None:
            fused = fused + w[3] * graph
    else:
        fused = calibrations[0](loo_feat)
    mean_labels = float(L.sum(axis=1).mean())
    best = np.argmax(fused, axis=1)
    right = view.labels[np.arange(L.shape[0]), best].astype(np.float64)
    return LabelFunctions(
        P=P,
        P_b=P_b,
        prototypes=prototypes,
        calibrations=calibrations,
        thresholds=f1_thresholds(fused, view.labels.astype(np.bool_)),
        weights=w,
        max_labels=math.ceil(mean_labels) + extra_labels,
        refine=refine,
        graph_calibration=graph_calibration,
        trust_curve=trust_curve(fused.max(axis=1), right),
        mix=mix,
    )


def _two_fold(Phi: npt.NDArray[np.float32], T: F64, gamma: float, fold: Bool) -> F64:
    """Each row's ridge prediction of ``T`` from ``Phi``, fitted on the other fold only."""
    X = Phi.astype(np.float64)
    out = np.zeros_like(T)
    for part in (fold, ~fold):
        if part.any() and (~part).any():
            W, _ = ridge_with_loo(X[part], T[part], gamma)
            out[~part] = X[~part] @ W
    return out


def trust_curve(best: F64, right: F64, steps: int = 50) -> tuple[float, float]:
    """(a, b) of a logistic chance σ(a + b·s) that a row whose best score is s is right.

    Fitted by Newton's method on the labelled rows' held-out best fused scores ``best``
    and whether that class was one of theirs (``right``, 0/1). Two pseudo-observations
    at the mean score, one right and one wrong, keep the fit finite where every held-out
    guess was right (or wrong), as add-one smoothing does for a proportion. The chance
    may not fall as the score rises: where the fit's slope is negative (few labelled
    rows, a noisy held-out ranking) it is the smoothed share of right guesses at every
    score.
    """
    x = np.concatenate([best, [best.mean(), best.mean()]])
    y = np.concatenate([right, [1.0, 0.0]])
    X = np.column_stack([np.ones_like(x), x])
    theta = np.zeros(2)
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-(X @ theta)))
        hessian = X.T @ (X * (p * (1.0 - p))[:, None]) + 1e-9 * np.eye(2)
        step = np.linalg.solve(hessian, X.T @ (y - p))
        theta += step
        if float(np.abs(step).max()) < 1e-8:
            break
    if theta[1] < 0:
        share = float(y.mean())
        return math.log(share / (1.0 - share)), 0.0
    return float(theta[0]), float(theta[1])


def ridge_with_loo(X: npt.NDArray[Any], T: F64, gamma: float) -> tuple[F64, F64]:
    """Ridge weights W (k, c) of X (n, k) → T (n, c) and the leave-one-out predictions (n, c).

    The ridge is scale-free (γ·tr(XᵀX)/k). The dual form (n×n) is used when n < k.
    """
    n, k = X.shape
    X = np.asarray(X, dtype=np.float64)
    # tr(XᵀX) without forming XᵀX; floored once more so that γ = 0 stays solvable
    lam = max(ridge_weight(float(np.einsum("ij,ij->", X, X)), k, gamma), FLOOR)
    if n < k:
        G = X @ X.T
        inverse = np.linalg.inv(G + lam * np.eye(n))
        alpha = inverse @ T
        W: F64 = X.T @ alpha
        hat_diag = 1.0 - lam * np.diag(inverse)  # H = G(G + λI)⁻¹ = I − λ(G + λI)⁻¹
    else:
        inverse = np.linalg.inv(X.T @ X + lam * np.eye(k))
        W = inverse @ (X.T @ T)
        hat_diag = np.einsum("ij,jk,ik->i", X, inverse, X)
    fitted = X @ W
    leverage = np.minimum(hat_diag, 1.0 - 1e-9)[:, None]
    loo: F64 = (fitted - leverage * T) / (1.0 - leverage)
    return W, loo


def class_prototypes(U: F64, labels: F64) -> F64:
    """Π (r₀, c): sgn of the summed codes of each class's members (sgn(0) = −1)."""
    sums = U.T @ labels
    prototypes: F64 = np.where(sums > 0, 1.0, -1.0)
    return prototypes


def _prototype_scores(U: F64, prototypes: F64) -> F64:
    scores: F64 = (1.0 + (U @ prototypes) / U.shape[1]) / 2.0
    return scores


def _loo_prototype_scores(U: F64, labels: F64) -> F64:
    """Prototype scores of each labelled row against prototypes built without it."""
    sums = U.T @ labels  # (r0, c)
    out = np.empty_like(labels)
    for c in range(labels.shape[1]):
        without = sums[:, c][None, :] - labels[:, c][:, None] * U  # (n_l, r0)
        prototype = np.where(without > 0, 1.0, -1.0)
        out[:, c] = np.einsum("ij,ij->i", U, prototype)
    loo: F64 = (1.0 + out / U.shape[1]) / 2.0
    return loo


def f1_thresholds(scores: F64, truth: Bool) -> F64:
    """Per class, the threshold τ_c on ``scores`` (n, c) with the best F1 against ``truth``.

    A class is "on" where its score is > τ_c. Candidates are midpoints between sorted
    scores; classes without a positive row get τ = 1 (never on by threshold).
    """
    n, c = scores.shape
    thresholds = np.ones(c)
    for j in range(c):
        positives = int(truth[:, j].sum())
        if positives == 0:
            continue
        order = np.argsort(-scores[:, j], kind="stable")
        hits = np.cumsum(truth[order, j])
        taken = np.arange(1, n + 1)
        f1 = 2.0 * hits / (taken + positives)
        best = int(np.argmax(f1))
        s = scores[order, j]
        thresholds[j] = (s[best] + s[best + 1]) / 2.0 if best + 1 < n else s[best] - 1e-9
    return thresholds


def hard_labels(scores: F64, thresholds: F64, max_labels: int) -> npt.NDArray[np.uint8]:
    """Ỹ: classes above their threshold plus the arg-max, at most ``max_labels`` per row."""
    n, c = scores.shape
    on = scores > thresholds[None, :]
    on[np.arange(n), np.argmax(scores, axis=1)] = True
    if max_labels < c:
        masked = np.where(on, scores, -np.inf)
        keep = np.argsort(-masked, axis=1, kind="stable")[:, :max_labels]
        capped = np.zeros_like(on)
        np.put_along_axis(capped, keep, True, axis=1)
        on &= capped
    return on.astype(np.uint8)


def _times(Phi: npt.NDArray[np.float32], P: F64) -> F64:
    product: F64 = (Phi @ P.astype(np.float32)).astype(np.float64)
    return product


def soft_labels(scores: F64, top: int, power: float) -> F64:
    """Ŷ_soft (n, c): each row's ``top`` best fused scores raised to ``power``, others 0.

    Rows are not normalised here (stage 3 L2-normalises every label row). A row whose
    kept scores are all 0 keeps its arg-max class with weight 1, so no row is empty.
    """
    n, c = scores.shape
    keep = np.argsort(-scores, axis=1, kind="stable")[:, : max(1, min(top, c))]
    soft = np.zeros_like(scores)
    rows = np.arange(n)[:, None]
    soft[rows, keep] = np.power(np.clip(scores[rows, keep], 0.0, None), power)
    empty = soft.max(axis=1) <= 0
    soft[np.flatnonzero(empty), np.argmax(scores[empty], axis=1)] = 1.0
    return soft


def widened_labels(
    hard: npt.NDArray[np.uint8], scores: F64, top: int, ratio: float = 0.0
) -> npt.NDArray[np.uint8]:
    """Ỹ plus each row's ``top`` best-scoring classes that score at least ``ratio`` × its best.

    LPIH relearns from these (lpih.py, ``pseudo_top``): a row whose best class is
    uncertain carries its runners-up too, so in the wrapped method's label semantics it
    is partly similar to each of its candidates instead of wholly to one guess.
    """
    widened = hard.copy()
    if top > 1:
        keep = np.argsort(-scores, axis=1, kind="stable")[:, :top]
        rows = np.arange(scores.shape[0])[:, None]
        close = scores[rows, keep] >= ratio * scores.max(axis=1, keepdims=True)
        widened[np.broadcast_to(rows, keep.shape)[close], keep[close]] = 1
    return widened
