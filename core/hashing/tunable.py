"""What a method lets the self-tuning fit choose: one declaration per setting group.

A method lists its capacity and regularisation settings in ``Hasher.tunable``; the
shared search in ``core.hashing.tuning`` applies one procedure to every method. Only
the candidate *values* of a ridge are method-specific (their scales differ); the
anchor ladder, the number of candidates per setting and the order of the search are
the same for everyone, so that tuned methods are compared on equal terms.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

SettingKind = Literal["anchors", "ridge"]

ANCHOR_LADDER: tuple[int, ...] = (500, 1000, 2000)
"""Kernel-anchor counts tried (never more than ``ANCHOR_SHARE`` of the fitting rows)."""

ANCHOR_SHARE = 1.0
"""Anchors are at most this share of the rows a candidate is fitted on.

Session 10: 1.0 (every fitting pair may be an anchor) instead of 0.5. At 2,000 training
pairs the search chose the largest candidate in every cell, at the edge of its grid;
letting it try as many anchors as fitting pairs raised HPsEH's and BATCH's mAP on the
tuning sets by 0.044 (docs/methods/self-tuning.md, "Anchors up to the fitting pairs").
A set too small or noisy for that many still gets the smaller candidates."""

REFIT_WORK_SHARE = 4 / 3
"""The refit's time budget: its work (pairs × kernel anchors summed over modalities) is
at most this share of the work of a fit at the method's documented anchors, or
``REFIT_WORK_FLOOR``, whichever is larger. Every kernel method's fit costs about a
constant times that work (kernel features, the products of each iteration, the final
ridges: benchmarks/self_tuning.py), so with the search's fixed cost this keeps the
self-tuned fit on 100,000 pairs under 2× a fit at the defaults (issue 14, item 1)."""

REFIT_WORK_FLOOR = 80_000_000
"""Pairs × anchors any refit may use whatever the defaults: 20,000 pairs at 2 × 2,000
anchors, a fit of a few seconds, where a budget would cost quality and save no time."""


def refit_anchor_cap(default_total: int, modalities: int, rows: int) -> int:
    """The most anchors per modality the refit on ``rows`` pairs may use.

    Args:
        default_total: The method's documented anchors, summed over the ``modalities``
            kernel maps that share the tuned count.
        modalities: How many kernel maps the tuned count sets (BATCH: 2, one per
            modality; HPsEH: 1, one shared count).
        rows: Pairs the refit sees.
    """
    work = max(REFIT_WORK_SHARE * default_total * rows, REFIT_WORK_FLOOR)
    return int(work / (max(rows, 1) * modalities))


@dataclass(frozen=True)
class TunedSetting:
    """One group of hyperparameters that the self-tuning fit sets together.

    Attributes:
        names: Parameters set to the same value (BATCH's image and text anchors, HPsEH's
            shared and specific ridges). Giving any of them explicitly turns tuning of
            the group off.
        kind: "anchors": candidates come from the shared ladder scaled to n, and the
            group only applies with kernel features; "ridge": candidates are ``values``.
        values: Candidate values of a ridge group, the method's default first (unused
            for anchors).
    """

    names: tuple[str, ...]
    kind: SettingKind
    values: tuple[float, ...] = ()


def tuned_anchors(*names: str) -> TunedSetting:
    """The kernel-anchor group of a method (``anchors`` or per-modality counts)."""
    return TunedSetting(names, "anchors")


def tuned_ridge(*names: str, values: tuple[float, float, float]) -> TunedSetting:
    """A regularisation group with three candidates, the default first."""
    return TunedSetting(names, "ridge", values)
