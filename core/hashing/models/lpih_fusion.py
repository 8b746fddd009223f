"""LPIH stage 2: fusion weights learned from 𝓛's held-out scores (``fusion="learned"``).

Stage 1 (lpih_labels.py) fuses four calibrated scorers with fixed weights ω (feature,
code, prototype, graph) and mixes the two modalities' feature scorers half and half.
Where one modality barely predicts labels (names-only captions under TF-IDF, say) half
of the feature scorer is noise, and the fixed ω cannot know it. Two of the scorers have
honest held-out scores on 𝓛: the graph (each fold of 𝓛 scored from the other) and the
feature ridges (refitted on the graph's two folds, so that both are held out alike; exact
leave-one-out where there is no graph). Their share of ω is split again on those scores,
as in stacked generalisation (D. H. Wolpert, "Stacked Generalization", Neural Networks 5,
1992): a small grid over the modality mix α and the feature scorer's part β of that
share, scored by held-out top-1 accuracy on 𝓛 (the share of rows whose best class is
one of theirs), ties going to the point nearest the fixed weights, and the fixed weights
kept unless the chosen ones are right on clearly more rows (:func:`learn_fusion`).

The code and prototype scorers keep their fixed share: their held-out scores on 𝓛 are
not honest. The inherited codes of 𝓛's rows come from stage 0, which was fitted on
those rows' labels, so a code ridge or a class prototype scores them almost perfectly
even with the row left out (held-out top-1 accuracy 1.0 on clustered synthetic data with
20 classes, where the feature ridges scored 0.18 and the graph 0.21); a search that
trusted those scores would hand them the fusion. A departure from the spec (docs/methods/lpih.md,
"Fusion weights learned on 𝓛").

Cost: |α grid| × |β grid| weighted sums of (n_l, c) matrices, milliseconds; no
unlabelled row is looked at.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]

MIXES = (0.0, 0.25, 0.5, 0.75, 1.0)
"""Candidate shares α of the image feature scorer in the feature scorer."""

BALANCES = tuple(i / 6 for i in range(7))
"""Candidate parts β of the feature scorer in the feature-and-graph share of ω."""


MIN_EVIDENCE = 50
"""Fewer labelled rows whose class has another member: the fixed weights are kept."""


@dataclass(frozen=True)
class HeldOut:
    """Honest held-out scores of 𝓛's rows, each (n_l, c).

    Attributes:
        image: Raw leave-one-out scores of the image feature ridge.
        text: Raw leave-one-out scores of the text feature ridge.
        graph: Calibrated held-out propagated scores, or None without a graph.
    """

    image: F64
    text: F64
    graph: F64 | None


@dataclass(frozen=True)
class Fusion:
    """The chosen modality mix α and fusion weights ω.

    ``accuracy`` is the held-out top-1 accuracy of the feature-and-graph part they give.
    """

    mix: float
    weights: tuple[float, float, float, float]
    accuracy: float


def feature_scores(image: F64, text: F64, mix: float) -> F64:
    """α·image + (1 − α)·text; α = ½ is computed as the fixed fusion always was."""
    if mix == 0.5:
        half: F64 = 0.5 * (image + text)
        return half
    mixed: F64 = mix * image + (1.0 - mix) * text
    return mixed


@dataclass(frozen=True)
class Calibration:
    """Stage 1's per-class scaling of a scorer to [0, 1] by its held-out range on 𝓛."""

    low: F64
    span: F64

    def __call__(self, scores: F64) -> F64:
        """``scores`` (n, c) on the calibrated scale, clipped to [0, 1]."""
        scaled: F64 = np.clip((scores - self.low) / self.span, 0.0, 1.0)
        return scaled


def calibration(held_out_scores: F64) -> Calibration:
    """The calibration of a scorer whose held-out scores on 𝓛 are ``held_out_scores``."""
    low = held_out_scores.min(axis=0)
    span = np.maximum(held_out_scores.max(axis=0) - low, 1e-12)
    return Calibration(low, span)


def min_max(scores: F64) -> F64:
    """Per class, ``scores`` scaled to [0, 1] by their own range."""
    return calibration(scores)(scores)


def learn_fusion(
    held_out: HeldOut, labels: npt.NDArray[np.uint8], fixed: tuple[float, float, float, float]
) -> Fusion:
    """The (α, β) of the grid with the best held-out top-1 accuracy on 𝓛, as ω.

    Args:
        held_out: The feature ridges' and the graph's held-out scores of the labelled rows.
        labels: (n_l, c) 0/1 labels of those rows.
        fixed: The fixed ω (feature, code, prototype, graph), summing to 1. The code and
            prototype weights are kept; the feature and graph weights are re-split.

    Returns:
        The chosen fusion; the fixed one (α = ½, accuracy NaN) where fewer than
        ``MIN_EVIDENCE`` labelled rows share a class with another labelled row.
    """
    truth = labels.astype(np.bool_)
    # A row is evidence only if a class of its has another member: left out alone, its
    # class has no other example to be recognised by.
    evidence = (truth & (truth.sum(axis=0) >= 2)[None, :]).any(axis=1)
    if evidence.sum() < MIN_EVIDENCE:
        return Fusion(0.5, fixed, float("nan"))
    truth = truth[evidence]
    held_out = HeldOut(
        held_out.image[evidence],
        held_out.text[evidence],
        None if held_out.graph is None else held_out.graph[evidence],
    )
    share = fixed[0] + fixed[3]
    usual = fixed[0] / share if share > 0 else 1.0
    balances = BALANCES if held_out.graph is not None and share > 0 else (usual,)
    baseline = _right(held_out, truth, 0.5, usual)
    best: tuple[float, float] | None = None  # (accuracy, -distance from the fixed point)
    best_right, chosen = baseline, Fusion(0.5, fixed, float(baseline.mean()))
    for mix in MIXES:
        for beta in balances:
            right = _right(held_out, truth, mix, beta)
            key = (float(right.mean()), -(abs(mix - 0.5) + abs(beta - usual)))
            if best is None or key > best:
                best, best_right = key, right
                weights = (share * beta, fixed[1], fixed[2], share * (1 - beta))
                chosen = Fusion(mix, weights, key[0])
    # Keep the fixed weights unless the chosen ones are right on clearly more rows: the
    # paired gain must exceed two of its standard errors (the best of a grid of 35
    # is always a little ahead by chance).
    gain = best_right.astype(np.float64) - baseline
    if gain.mean() <= 2.0 * gain.std() / np.sqrt(gain.size):
        return Fusion(0.5, fixed, float(baseline.mean()))
    return chosen


def _right(held_out: HeldOut, truth: npt.NDArray[np.bool_], mix: float, beta: float) -> F64:
    """(n,) 1.0 where the row's best class under (α, β) is one of its own, else 0.0."""
    feature = min_max(feature_scores(held_out.image, held_out.text, mix))
    fused = feature if held_out.graph is None else beta * feature + (1 - beta) * held_out.graph
    right: F64 = truth[np.arange(truth.shape[0]), np.argmax(fused, axis=1)].astype(np.float64)
    return right
