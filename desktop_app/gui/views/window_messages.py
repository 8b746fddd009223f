"""The status bar's words for what the library did (folders added, an index run)."""

from __future__ import annotations

from core.types import IndexReport
from desktop_app.application.library import FoldersAdded

INDEX_CANCELLED = "Indexing cancelled. Finished batches are kept; Index now continues."


def folders_added_text(outcome: FoldersAdded) -> str:
    """What was added (one folder by name, several by count), then why others were not."""
    parts = list(outcome.rejected)
    if len(outcome.added) == 1:
        parts.insert(0, f"Added {outcome.added[0]}.")
    elif outcome.added:
        parts.insert(0, f"Added {len(outcome.added)} folders.")
    return " ".join(parts)


def index_report_text(report: IndexReport) -> str:
    """How an index run ended: cancelled, or the counts of what changed."""
    if report.cancelled:
        return INDEX_CANCELLED
    skipped = f", {len(report.skipped)} skipped" if report.skipped else ""
    return (
        f"Library up to date: {report.added} new, {report.updated} changed, "
        f"{report.removed} removed{skipped}."
    )
