"""``--method auto``: pick the registered method that scores best on this library.

The candidates are the offline methods that the labels allow (online methods learn from
a stream and are chosen by name):

* every pair labelled: the supervised methods;
* some pairs labelled (at least ``MIN_LABELLED``): the semi-supervised and unsupervised
  methods. Not the supervised ones (session 19): fitted on the labelled pairs only, they
  are scored against the very pairs they were fitted on, while the library is mostly
  photos nobody labelled. On the tuning sets that put BATCH above LPIH on emoji
  multi-label at 25 % labelled (0.363 against 0.469 on the test queries) and HPsEH on
  emoji-TF-IDF name-only at 10 % (0.183 against 0.245); LPIH starts from the same
  supervised method trained on those pairs (its stage 0) and learns from the rest;
* no labels, labels on fewer than ``MIN_LABELLED`` pairs of a partly labelled library,
  or a single class: the unsupervised methods.

Every candidate runs the self-tuning search of core.hashing.tuning on **one** shared
validation split, so each is compared at its own best settings on the same held-out
pairs; the best validation mAP wins (ties: registry order). The winner is then refitted
on every pair with the settings its search chose (``Hasher.use_tuning``), so it is not
searched twice. Cost: one search per candidate plus the winner's refit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from core.errors import HashingInputError
from core.hashing.base import FitContext, Hasher
from core.hashing.data import PairedFeatures
from core.hashing.registry import HasherSpec, create_hasher, hasher_specs, resolve
from core.hashing.tuning import TuningReport, search_settings
from core.hashing.validation import MIN_LABELLED, SplitRefused, ValidationSplit, draw_split
from core.progress import CancelToken, Progress, ProgressCallback

AUTO = "auto"
"""The method key that asks for this selection."""

Situation = Literal["labelled", "partly labelled", "unlabelled"]

FALLBACK: dict[Situation, str] = {
    "labelled": "batch",
    "partly labelled": "lpih",
    "unlabelled": "cca-itq",
}
"""The documented method per situation when there are too few pairs to compare methods."""


@dataclass(frozen=True)
class Candidate:
    """One method's result: best validation mAP (None if it could not be fitted)."""

    key: str
    score: float | None
    tuning: TuningReport
    note: str = ""


@dataclass(frozen=True)
class Selection:
    """The method ``auto`` picked, with the evidence.

    Attributes:
        key: Registry key of the winner.
        situation: What the labels allowed.
        candidates: Every method tried, in registry order.
        reason: One or two sentences for people.
    """

    key: str
    situation: Situation
    candidates: tuple[Candidate, ...]
    reason: str

    @property
    def tuning(self) -> TuningReport | None:
        """The winner's search (installed before its final fit); None after a fallback."""
        return next((c.tuning for c in self.candidates if c.key == self.key), None)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary (scores per method)."""
        return {
            "method": self.key,
            "situation": self.situation,
            "scores": {c.key: c.score for c in self.candidates},
            "reason": self.reason,
        }


def situation_of(data: PairedFeatures) -> Situation:
    """What the labels of ``data`` allow (see the module docstring)."""
    if data.labels is None:
        return "unlabelled"
    labelled = data.known_labels() & data.labels.any(axis=1)
    if bool(labelled.all()) and int(data.labels.any(axis=0).sum()) >= 2:
        return "labelled"
    return "partly labelled" if int(labelled.sum()) >= MIN_LABELLED else "unlabelled"


def candidate_specs(situation: Situation) -> list[HasherSpec]:
    """The registered offline methods ``situation`` allows, in registry order."""
    allowed = {
        "labelled": {"supervised"},
        "partly labelled": {"semi-supervised", "unsupervised"},
        "unlabelled": {"unsupervised"},
    }[situation]
    return [s for s in hasher_specs() if not s.online and s.supervision in allowed]


def select_method(
    data: PairedFeatures,
    n_bits: int,
    *,
    seed: int = 0,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> Selection:
    """Score every candidate on one validation split and return the best.

    Args:
        data: All training pairs: labels with ``label_mask`` marking the labelled rows
            (or no labels at all).
        n_bits: Code length.
        seed: Seed of the split and of every candidate.
        progress: Called once per candidate method.
        cancel: Stops the selection between (and inside) candidate fits.

    Too few pairs to hold some out: the ``FALLBACK`` method, saying so.

    Raises:
        HashingInputError: No candidate could be fitted.
    """
    situation, data = comparable(data)
    try:
        split = comparison_split(situation, data, n_bits, seed)
    except SplitRefused as exc:
        key = FALLBACK[situation]
        reason = (
            f"{key}, the documented choice for a {situation} library: {exc}, so methods "
            "could not be compared."
        )
        return Selection(key, situation, (), reason)
    specs = candidate_specs(situation)
    candidates = []
    for done, spec in enumerate(specs):
        if progress is not None:
            progress(Progress("choosing a method", done, len(specs), spec.key))
        candidates.append(score_candidate(spec.key, data, n_bits, seed, split, cancel))
    scored = [c for c in candidates if c.score is not None]
    if not scored:
        raise HashingInputError(
            "Cannot choose a method automatically: no method could be trained on this "
            f"library ({candidates[0].note if candidates else 'no candidates'}).",
            situation,
        )
    best = max(scored, key=lambda c: c.score or 0.0)  # max keeps the first of equals
    ranking = ", ".join(
        f"{c.key} {c.score:.3f}" for c in sorted(scored, key=lambda c: -(c.score or 0.0))
    )
    reason = (
        f"{best.key} scored best of {len(scored)} methods for a {situation} library on "
        f"{len(split.validation):,} held-out pairs (validation mAP: {ranking})."
    )
    return Selection(best.key, situation, tuple(candidates), reason)


def comparable(data: PairedFeatures) -> tuple[Situation, PairedFeatures]:
    """What the labels of ``data`` allow, and the pairs as the candidates see them.

    A library whose few labels do not count is compared as an unlabelled one: without them.
    """
    situation = situation_of(data)
    if situation == "unlabelled" and data.labels is not None:
        data = PairedFeatures(data.image, data.text)
    return situation, data


def comparison_split(
    situation: Situation, data: PairedFeatures, n_bits: int, seed: int
) -> ValidationSplit:
    """The one split every candidate is scored on. Raises SplitRefused (too few pairs)."""
    return draw_split(data, n_bits, seed, need_labels=situation != "unlabelled")


def score_candidate(
    key: str,
    data: PairedFeatures,
    n_bits: int,
    seed: int,
    split: ValidationSplit,
    cancel: CancelToken | None = None,
    params: Mapping[str, Any] | None = None,
) -> Candidate:
    """One method's search on the shared ``split``: its best validation mAP and choice.

    ``params`` fix settings of the method (a variant, as benchmarks/auto_extra.py scores
    one); the search tunes the rest, as for any candidate.
    """
    hasher: Hasher = create_hasher(key, n_bits, seed=seed, **(params or {}))
    context = FitContext(np.random.default_rng(seed), None, cancel)
    try:
        report = search_settings(
            resolve(key),
            n_bits,
            seed,
            hasher.params,
            hasher.explicit,
            data,
            context,
            split=split,
        )
    except HashingInputError as exc:
        failed = TuningReport("defaults", {}, exc.user_message)
        return Candidate(key, None, failed, exc.user_message)
    note = "" if report.best_score is not None else report.message
    return Candidate(key, report.best_score, report, note)
