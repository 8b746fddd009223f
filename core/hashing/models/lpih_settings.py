"""LPIH's settings and the report of one fit (the method is in lpih.py).

Symbols follow lpih.py's docstring; the objective's settings (μ, θ, λ, weighting,
pseudo, code_similarity, iterations) only act with ``relearn="objective"``
(lpih_objective.py); ρ and γ also shape stage 0's functions that ``inherit`` adds
after relearning; the graph's settings are anchor_graph.py's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

import numpy as np
import numpy.typing as npt

from core.hashing.models.anchor_graph import GraphScores
from core.hashing.models.lpih_labels import FusionKind, PseudoLabels
from core.hashing.models.preprocess import FeatureKind

if TYPE_CHECKING:
    from core.hashing.tuning import TuningReport

Weighting = Literal["pulls", "both", "none"]
Relearn = Literal["base", "objective"]
PseudoKind = Literal["hard", "soft"]
TuneBase = Literal["none", "relearned", "both"]
InheritBasis = Literal["relearned", "stage0"]
Trust = Literal["off", "calibrated", "rank"]
TuneScore = Literal["all", "labelled"]


@dataclass(frozen=True)
class LPIHParams:
    """Hyperparameters of LPIH (symbols in the module docstring)."""

    base: str = "hpseh"
    base_fusion: float = 0.5
    """μ of an HPsEH base (HPsEH's ``fusion``; ignored for other bases): 0.5 since
    session 17, as HPsEH alone (session 13); figures before session 17 used 1."""
    base_bits: int = 0
    mu: float = 0.05
    rho: float = 0.0
    theta: float = 0.1
    lam: float = 0.1
    gamma: float = 1e-5
    label_ridge: float = 0.01
    w_feature: float = 0.5
    w_code: float = 0.25
    w_prototype: float = 0.25
    extra_labels: int = 0
    refine: bool = True
    weighting: Weighting = "both"
    self_training: int = 1
    iterations: int = 10
    features: FeatureKind = "kernel"
    anchors: int = 2000
    pseudo: PseudoKind = "hard"
    soft_top: int = 3
    soft_power: float = 2.0
    code_similarity: float = 0.5
    graph_weight: float = 0.5
    graph_anchors: int = 500
    graph_neighbours: int = 5
    graph_alpha: float = 0.8
    graph_iterations: int = 20
    relearn: Relearn = "base"
    code_clusters: float = 1.0
    """Clusters of the inherited codes per class of 𝓛, appended to the labels stage 3
    relearns from (``relearn="base"`` only); 0 = none (issue 14, session 5)."""
    inherit: float = 1.0
    """μ of the inheritance after relearning (``relearn="base"`` only): an item's code is
    the sign of the relearned 𝓜's projection plus μ times stage 0's, in the bits
    ``inherit_basis`` names; 0 keeps the relearned 𝓜 alone (issue 14, session 6)."""
    inherit_basis: InheritBasis = "relearned"
    """Whose bits the inherited sum is signed in: "relearned" (𝓜's:
    sgn(p_𝓜/σ_𝓜 + μ·(φW⁰/σ₀)R)) or "stage0" (stage 0's: sgn(p_𝓜Rᵀ/σ_𝓜 + μ·φW⁰/σ₀), which
    tends to stage 0's own codes as μ grows; only where r₀ = r, else the relearned 𝓜's).
    Session 18 tried "stage0" as the default and went back (docs/methods/lpih.md,
    "Signing in stage 0's bits")."""
    pseudo_top: int = 2
    """Relearning labels each unlabelled row with Ỹ and up to its ``pseudo_top``
    best-scoring classes (``relearn="base"`` only); 1 = Ỹ alone (issue 14, session 8)."""
    pseudo_ratio: float = 0.75
    """A runner-up class joins a row's relearning labels only where its fused score is at
    least this share of the row's best (0 = always the ``pseudo_top`` best)."""
    pseudo_trust: Trust = "off"
    """Relearning weighs each pseudo-labelled row's pairwise semantics by a trust in
    [0, 1]: "calibrated", the estimated chance that its best class is right; "rank", the
    percentile rank of its best fused score among the unlabelled rows; "off", 1
    (``relearn="base"`` only, HPsEH or BATCH base; docs/methods/lpih.md,
    "Trust-weighted pseudo-labels", session 22)."""
    tune_base: TuneBase = "relearned"
    """Which wrapped hashers run the self-tuning search when LPIH's own fit is a tuned
    top-level fit: "relearned" (stage 3's 𝓜 on 𝓛 ∪ 𝓤, once; later self-training rounds
    reuse its choice), "both" (and stage 0's 𝓜 on 𝓛) or "none" (session 12)."""
    fusion: FusionKind = "fixed"
    """How stage 2 fuses its scorers: "fixed" (ω = the ``w_*`` and ``graph_weight``
    settings, the two modalities' feature scorers half and half) or "learned" (the mix
    and ω with the best held-out top-1 accuracy on 𝓛; lpih_fusion.py, session 23)."""
    tune_scored: TuneScore = "all"
    """What scores the relearned 𝓜's search: "all" (every row's relearning labels,
    pseudo-labels and code clusters included: the search rewards reproducing them) or
    "labelled" (only 𝓛's true labels, on 𝓛's rows; where 𝓛 is too small for a split,
    "all"). Session 23; docs/methods/lpih.md, "Scoring the relearned search on the true
    labels"."""
    oracle: bool = False
    """Ablation for benchmarks only: stage 2 returns the labels ``label_mask`` hides
    (confidence 1) instead of predicting them, so stage 3 learns from perfect
    pseudo-labels (spec §2.4's "oracle labels on 𝓤"). The app never sets it."""


def base_settings(params: LPIHParams) -> dict[str, float]:
    """The settings LPIH gives its wrapped hasher 𝓜: an HPsEH one gets μ = ``base_fusion``."""
    return {"fusion": params.base_fusion} if params.base == "hpseh" else {}


@dataclass
class LPIHReport:
    """What one fit did, for benchmarks and the trainer (not saved with the model).

    Attributes:
        labelled: (n,) rows used as 𝓛.
        classes: Label columns of the input that 𝓛 covers (pseudo-labels use only these).
        pseudo: Final pseudo-labels of the unlabelled rows (None in fallback).
        base_bits: r₀ actually used.
        fallback: Whether LPIH installed the base (more than 99 % labelled).
        seconds: Wall-clock seconds per stage.
        graph: The propagated label scores' winning space and held-out accuracies
            (None when ``graph_weight`` is 0 or in fallback).
        base_tuning: What the wrapped hashers' own searches chose, by stage ("stage 0",
            "relearned"); empty unless ``tune_base`` asked for them.
    """

    labelled: npt.NDArray[np.bool_]
    classes: npt.NDArray[np.intp]
    pseudo: PseudoLabels | None
    base_bits: int
    fallback: bool
    seconds: dict[str, float] = field(default_factory=dict)
    graph: GraphScores | None = None
    base_tuning: dict[str, TuningReport] = field(default_factory=dict)
