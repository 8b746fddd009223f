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

ANCHOR_SHARE = 0.5
"""Anchors are at most this share of the rows a candidate is fitted on."""


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
