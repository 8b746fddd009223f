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

from dataclasses import asdict, dataclass
from typing import Any

from core.library.training.training_summary import TrainingSummary

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
        online = TrainingSummary.from_json(details).online
    except ValueError:
        return None
    if online is None:
        return None
    seen = (online.images_seen or 0) + (online.texts_seen or 0)
    if not seen:
        seen = 2 * online.pairs + online.images + online.texts
    return OnlineProgress(
        items_seen=seen,
        updates=online.updates,
        bank_rows=online.bank_rows or 0,
        novel_rows=online.novel_rows or 0,
        waiting=online.novel_waiting or 0,
        drift=online.drift,
    )


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
