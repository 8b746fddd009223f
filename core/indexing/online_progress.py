"""How much an online hasher has learned, read from its stored details (issue #15).

``online_update`` records, after each online update, the hasher's own summary
(``FPOCMH.online_summary``) under ``details["online"]``: items seen per modality, bank
rows (novel rows among them), items waiting in the novelty pool, and the estimated
drift of stored codes — the share of the bits of the model's replay items (offline
items whose codes the library stored) that the current model would code differently.
Stored codes are never recomputed, so a drift above :data:`RETRAIN_DRIFT` means old
codes and new queries have started to disagree: a full retrain (which re-codes
everything) is suggested. The CLI's ``status`` and the window's hashing card word this.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any

RETRAIN_DRIFT = 0.05
"""Drift (share of flipped stored-code bits) above which a full retrain is suggested."""


@dataclass(frozen=True, slots=True)
class OnlineProgress:
    """What the online hasher learned since it was trained.

    Attributes:
        items_seen: Photos and captions it learned from (a pair counts twice).
        updates: Online updates (indexing runs that taught it).
        bank_rows: Rows of its anchor bank (classes it knows).
        novel_rows: Of those, rows it found in the stream (kinds of photo new to it).
        waiting: Items held in the novelty pool, not yet part of a row.
        drift: Estimated share of stored-code bits it would now code differently, or
            None when the model cannot tell (an older model file).
    """

    items_seen: int
    updates: int
    bank_rows: int
    novel_rows: int
    waiting: int
    drift: float | None

    @property
    def retrain_suggested(self) -> bool:
        """Whether the drift passed :data:`RETRAIN_DRIFT`."""
        return self.drift is not None and self.drift > RETRAIN_DRIFT

    def to_json(self) -> dict[str, Any]:
        """Plain data, with ``retrain_suggested`` and the threshold."""
        return {
            **asdict(self),
            "retrain_suggested": self.retrain_suggested,
            "retrain_drift": RETRAIN_DRIFT,
        }


def summary_details(summary: dict[str, Any]) -> dict[str, Any]:
    """The part of a hasher's ``online_summary`` kept in its details (JSON-safe)."""
    keys = ("bank_rows", "novel_rows", "novel_waiting", "images_seen", "texts_seen")
    out: dict[str, Any] = {k: int(summary[k]) for k in keys if k in summary}
    drift = summary.get("drift")
    out["drift"] = None if drift is None else round(float(drift), 6)
    return out


def online_progress(details: str) -> OnlineProgress | None:
    """Read :class:`OnlineProgress` from a hasher's details JSON (None if it never learned)."""
    try:
        parsed = json.loads(details) if details else {}
        online = parsed.get("online") if isinstance(parsed, dict) else None
        if not isinstance(online, dict):
            return None
        drift = online.get("drift")
        seen = int(online.get("images_seen", 0)) + int(online.get("texts_seen", 0))
        if not seen:
            seen = 2 * int(online.get("pairs", 0)) + int(online.get("images", 0))
            seen += int(online.get("texts", 0))
        return OnlineProgress(
            items_seen=seen,
            updates=int(online.get("updates", 0)),
            bank_rows=int(online.get("bank_rows", 0)),
            novel_rows=int(online.get("novel_rows", 0)),
            waiting=int(online.get("novel_waiting", 0)),
            drift=None if drift is None else float(drift),
        )
    except (ValueError, TypeError, AttributeError):
        return None


def describe_online(progress: OnlineProgress) -> str:
    """One line for people: what it learned, the drift, and whether to retrain."""
    kinds = f", {progress.novel_rows:,} of them new kinds" if progress.novel_rows else ""
    words = (
        f"Online learning: {progress.items_seen:,} new photos and captions learned in "
        f"{progress.updates:,} updates; {progress.bank_rows:,} classes known{kinds}"
    )
    if progress.drift is None:
        return f"{words}; drift of stored codes unknown (model from an older version)."
    drift = f"{100 * progress.drift:.1f} %"
    if progress.retrain_suggested:
        return (
            f"{words}; stored codes drifted {drift} (over {100 * RETRAIN_DRIFT:.0f} %): "
            "retrain to re-code the library."
        )
    return f"{words}; stored codes drifted {drift}."
