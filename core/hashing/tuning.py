"""Self-tuning fit: one search that chooses every method's capacity and ridges from the data.

``Hasher.fit`` calls :func:`tune_settings` before the method's own ``_fit`` (unless the
hasher was built with ``tune=False``, or is fitted inside another hasher's fit). The
procedure is the same for every method (issue 14, so that comparisons stay fair):

1. Draw the validation split of ``core.hashing.validation`` (at most 4,000 pairs, a
   fifth held out, stratified by label). Too few pairs, labels on too few pairs, or a
   single class: keep the documented defaults and say why (``status="defaults"``).
2. Coordinate search over the method's ``tunable`` groups that were not given
   explicitly: start from the defaults (anchors clipped to the ladder), then try the
   other candidates of each group in turn, keeping the best; at most 1 + 2 per group
   fits, and at most three groups per method (so at most 7 fits for every method).
   Anchors come from the shared ladder 500/1,000/2,000, never above the fitting pairs
   (``ANCHOR_SHARE``); ridges and weights from the method's three values.
3. Score each candidate by validation mAP (both directions); ties keep the earlier
   candidate, so the defaults win unless something is measurably better.
4. Install the winner for the refit on every pair. An anchor count chosen on the
   subsample is scaled by (pairs the refit sees / pairs the candidate saw), capped at
   the ladder's top, since the anchors a set can carry grow with its size; then capped
   by the refit's time budget (``core.hashing.tunable.refit_anchor_cap``): on large
   libraries the refit may do at most 4/3 of the work of a fit at the method's
   documented anchors, so on 100,000 pairs the whole self-tuned fit stays under 2× a
   fit at the defaults. It never binds below 8·10⁷ pairs × anchors of work (20,000 pairs at
   2 × 2,000 anchors), where a fit takes seconds.

Cost: at most seven fits on 3,200 pairs, whatever n is, so on large libraries the
search costs a fraction of the refit, and the refit is held to the budget of step 4
(benchmarks/self_tuning.py measures the ratio).
An optional wall-clock budget (``tune_seconds``) stops the search early; one too small
to compare two candidates is refused with a HashingInputError before anything is
saved.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

from core.errors import HashingInputError
from core.hashing.data import PairedFeatures
from core.hashing.tunable import ANCHOR_LADDER, ANCHOR_SHARE, TunedSetting, refit_anchor_cap
from core.hashing.validation import (
    SplitRefused,
    ValidationSplit,
    draw_split,
    score,
    subset,
)

if TYPE_CHECKING:
    from core.hashing.base import FitContext, Hasher

logger = logging.getLogger(__name__)

Status = Literal["tuned", "defaults", "explicit"]
Point = dict[str, Any]


@dataclass(frozen=True)
class Trial:
    """One candidate: its settings, validation score (None if it failed) and cost."""

    params: Point
    score: float | None
    seconds: float
    error: str = ""


@dataclass(frozen=True)
class TuningReport:
    """What the self-tuning fit chose and why (saved in the model's metadata).

    Attributes:
        status: "tuned" (chosen by validation), "defaults" (fell back; ``message``
            says why) or "explicit" (every tunable setting was given).
        chosen: The tuned settings used for the final fit.
        message: One sentence for people.
        trials: Every candidate scored, in order.
        fit_rows: Pairs each candidate was fitted on.
        validation_rows: Held-out query pairs.
        relevance: "labels", "validation-labels" or "pairs" (see core.hashing.validation).
        seconds: Wall-clock seconds of the search.
        budget_note: Set when the refit's time budget held the anchors below what the
            search chose (one clause for people); empty otherwise.
    """

    status: Status
    chosen: Point
    message: str
    trials: tuple[Trial, ...] = ()
    fit_rows: int = 0
    validation_rows: int = 0
    relevance: str = ""
    seconds: float = 0.0
    budget_note: str = ""

    @property
    def best_score(self) -> float | None:
        """Validation mAP of the chosen candidate (None when nothing was scored)."""
        scores = [t.score for t in self.trials if t.score is not None]
        return max(scores) if scores else None

    def summary(self) -> str:
        """``chosen from the data: anchors=1000, xi=1e-05 (validation mAP 0.512, …)``."""
        settings = ", ".join(f"{k}={v}" for k, v in self.chosen.items())
        if self.status == "explicit":
            return f"given explicitly ({self.message})"
        if self.status == "defaults":
            return f"documented defaults kept ({settings}): {self.message}"
        best = self.best_score
        score_text = "" if best is None else f"validation mAP {best:.3f}, "
        note = f"; {self.budget_note}" if self.budget_note else ""
        tried = f"best of {len(self.trials)} tried"
        return f"chosen from the data: {settings} ({score_text}{tried}){note}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**asdict(self), "trials": [asdict(t) for t in self.trials]}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> TuningReport:
        """Inverse of :meth:`as_dict` (KeyError/TypeError when damaged)."""
        trials = tuple(Trial(**t) for t in raw.get("trials", ()))
        return cls(**{**raw, "trials": trials})


@dataclass
class _Search:
    """The state of one coordinate search."""

    hasher_cls: type[Hasher]
    n_bits: int
    seed: int
    base: Point
    data: PairedFeatures
    split: ValidationSplit
    context: FitContext
    budget: float | None
    trials: list[Trial] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)

    def run(self, groups: list[tuple[TunedSetting, list[Any]]], total: int) -> Point:
        point = dict(self.base)
        best = self.evaluate(point, total)
        for group, values in groups:
            current = point[group.names[0]]
            for value in values:
                if value == current or self.out_of_time():
                    continue
                candidate = {**point, **dict.fromkeys(group.names, value)}
                result = self.evaluate(candidate, total)
                if result is not None and (best is None or result > best):
                    best, point = result, candidate
        return point

    def evaluate(self, point: Point, total: int) -> float | None:
        self.context.step(len(self.trials), total, "tuning")
        started = time.perf_counter()
        hasher = self.hasher_cls(self.n_bits, seed=self.seed, tune=False, **point)
        supervision = self.hasher_cls.supervision
        try:
            hasher.fit(subset(self.data, self.split.fit, supervision), cancel=self.context.cancel)
            result: float | None = score(hasher, self.data, self.split)
            error = ""
        except HashingInputError as exc:
            result, error = None, exc.user_message
        self.trials.append(Trial(point, result, time.perf_counter() - started, error))
        return result

    def out_of_time(self) -> bool:
        if self.budget is None or not self.trials:
            return False
        elapsed = time.perf_counter() - self.started
        return elapsed + self.trials[-1].seconds > self.budget


def tune_settings(hasher: Hasher, data: PairedFeatures, context: FitContext) -> TuningReport:
    """Choose ``hasher``'s unset tunable settings from ``data`` and install them.

    Returns:
        The report (also installed as ``hasher.tuning``); ``hasher.params`` then holds
        the chosen values.

    Raises:
        HashingInputError: ``tune_seconds`` ran out before two candidates were scored.
    """
    report = search_settings(
        type(hasher),
        hasher.n_bits,
        hasher.seed,
        hasher.params,
        hasher.explicit,
        data,
        context,
        hasher.tune_seconds,
    )
    apply_report(hasher, report)
    return report


def apply_report(hasher: Hasher, report: TuningReport) -> None:
    """Install a search's chosen settings on an unfitted hasher of the same method."""
    hasher.params = replace(hasher.params, **report.chosen)
    hasher.tuning = report
    if report.status == "defaults":
        logger.warning("%s: %s", hasher.name, report.summary())
    elif report.status == "tuned":
        logger.info("%s tuned: %s", hasher.name, report.summary())


def search_settings(
    hasher_cls: type[Hasher],
    n_bits: int,
    seed: int,
    params: Any,
    explicit: frozenset[str],
    data: PairedFeatures,
    context: FitContext,
    budget: float | None = None,
    split: ValidationSplit | None = None,
) -> TuningReport:
    """The search of the module docstring for one method (installs nothing).

    Args:
        hasher_cls: The method.
        n_bits: Code length.
        seed: The hasher's seed (the split and every candidate use it).
        params: The method's current parameters (defaults and explicit settings).
        explicit: Names given explicitly (never tuned).
        data: All training pairs.
        context: Progress and cancellation.
        budget: Wall-clock seconds for the search, or None.
        split: A split drawn by the caller and shared between methods (``--method
            auto``); then even a method with nothing to tune is scored once.
    """
    groups = [g for g in hasher_cls.tunable if _applies(g, params, explicit)]
    defaults = {name: getattr(params, name) for g in groups for name in g.names}
    if not groups and split is None:
        return TuningReport("explicit", {}, "no setting left to tune")
    supervision = hasher_cls.supervision
    if split is None and supervision == "supervised" and data.labels is not None:
        data = _labelled_pairs(data)  # the rows it learns from: unlabelled ones change nothing
    if split is None:
        try:
            split = draw_split(data, n_bits, seed, need_labels=supervision != "unsupervised")
        except SplitRefused as exc:
            return TuningReport("defaults", defaults, str(exc))
    fit_rows = len(split.fit)
    ladders = [(g, _candidates(g, fit_rows)) for g in groups]
    start = {**_current(params), **{g.names[0]: v[0] for g, v in ladders if g.kind == "anchors"}}
    for g, _ in ladders:
        start.update(dict.fromkeys(g.names, start[g.names[0]]))
    total = 1 + sum(len(v) - 1 for _, v in ladders)
    search = _Search(hasher_cls, n_bits, seed, start, data, split, context, budget)
    point = search.run(ladders, total)
    trials = tuple(search.trials)
    seconds = time.perf_counter() - search.started
    scored = [t for t in trials if t.score is not None]
    if budget is not None and len(trials) < 2 <= total:
        raise HashingInputError(
            f"The tuning time budget of {budget:g} s is too small to compare settings: one "
            f"trial fit took {trials[0].seconds:.1f} s. Allow at least "
            f"{3 * trials[0].seconds:.0f} s, or give the settings explicitly.",
            f"tune_seconds={budget}, trials={len(trials)}",
        )
    if not scored:
        reason = trials[0].error if trials else "no candidate could be fitted"
        message = reason
        held = len(split.validation)
        return TuningReport(
            "defaults", defaults, message, trials, fit_rows, held, split.relevance, seconds
        )
    chosen = {name: point[name] for g in groups for name in g.names}
    rows = _rows_for(supervision, data)
    scale = rows / max(len(_learning_rows(split, data, supervision)), 1)
    capped = ""
    for g in groups:
        if g.kind == "anchors":
            value = min(round(float(chosen[g.names[0]] or 0) * scale), max(ANCHOR_LADDER))
            default_total = sum(int(defaults[name]) for name in g.names)
            cap = refit_anchor_cap(default_total, len(g.names), rows)
            if value > cap:
                capped = (
                    f"the refit's time budget on {rows:,} pairs holds the anchors at "
                    f"{cap:,} (the search's choice scales to {value:,})"
                )
                value = cap
            chosen.update(dict.fromkeys(g.names, value))
    if not groups:
        held = len(split.validation)
        message = "nothing to tune; scored on the shared validation split"
        relevance = split.relevance
        return TuningReport("explicit", {}, message, trials, fit_rows, held, relevance, seconds)
    message = f"chosen on {fit_rows:,} pairs, scored on {len(split.validation):,} held out"
    if len(trials) < total:
        message += f"; the time budget stopped the search after {len(trials)} of {total}"
    if capped:
        message += f"; {capped}"
    held = len(split.validation)
    return TuningReport(
        "tuned", chosen, message, trials, fit_rows, held, split.relevance, seconds, capped
    )


def _learning_rows(split: ValidationSplit, data: PairedFeatures, supervision: str) -> Any:
    """The fitting rows a method of ``supervision`` actually learns from."""
    if supervision == "supervised" and data.labels is not None:
        return split.fit[data.known_labels()[split.fit]]
    return split.fit


def _labelled_pairs(data: PairedFeatures) -> PairedFeatures:
    assert data.labels is not None
    keep = data.known_labels() & data.labels.any(axis=1)
    if keep.all() or not keep.any():  # none labelled: the method's own check words it
        return data
    return data.take(keep)


def _rows_for(supervision: str, data: PairedFeatures) -> int:
    if supervision == "supervised" and data.labels is not None:
        return int(data.known_labels().sum())
    return data.n_items


def _applies(group: TunedSetting, params: Any, explicit: frozenset[str]) -> bool:
    if any(name in explicit for name in group.names):
        return False
    return group.kind != "anchors" or getattr(params, "features", "kernel") == "kernel"


def _current(params: Any) -> Point:
    return dict(asdict(params))


def _candidates(group: TunedSetting, fit_rows: int) -> list[Any]:
    """Values to try, the starting one first (the largest anchor count that fits)."""
    if group.kind == "ridge":
        return list(group.values)
    top = min(int(ANCHOR_SHARE * fit_rows), max(ANCHOR_LADDER))
    if top == max(ANCHOR_LADDER):
        return sorted(ANCHOR_LADDER, reverse=True)
    return [top, top // 2, top // 4]
