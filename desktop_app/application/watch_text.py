"""Words for folder watching, shared by ``hashlens watch`` and the window (no Qt here)."""

from __future__ import annotations

import os

from core.library.watching.folder_watcher import FolderWatchState
from core.library.watching.service import WatchStatus

WATCHING_OFF = 'Folder watching is off in the settings (watch.mode = "off").'
WATCHING_HINT = "New, changed, moved and deleted photos are picked up while HashLens is open."

SHORT_STATES = {"events": "yes", "polling": "polling", "missing": "missing", "failed": "no"}
"""One word per folder for the library panel's Watched column."""


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


def describe_state(state: FolderWatchState, poll_interval_s: float) -> str:
    """How one folder is watched, in words."""
    every = f"every {poll_interval_s:g} s"
    match state.mode:
        case "events":
            return "watched with file events"
        case "polling":
            return f"watched by polling {every}: {state.reason}"
        case "missing":
            return f"not watched: {state.reason}; looking for it {every}"
    return f"not watched: {state.reason}; trying again {every}"


def status_line(status: WatchStatus) -> str:
    """One short line: ``Watching 2 folders · 5 changes waiting``, ``Watching 1 of 2 folders``."""
    total = len(status.folders)
    if not total:
        return "No folders to watch"
    if status.watched == total:
        line = f"Watching {_plural(total, 'folder')}"
    else:
        line = f"Watching {status.watched} of {_plural(total, 'folder')}"
    if status.pending:
        line += f" · {_plural(status.pending, 'change')} waiting"
    return line


def status_details(status: WatchStatus, poll_interval_s: float) -> str:
    """Every folder on its own line, with how it is watched (for a tooltip)."""
    lines = [WATCHING_HINT]
    for state in status.folders:
        name = os.path.basename(state.path.rstrip(os.sep)) or state.path
        lines.append(f"{name}: {describe_state(state, poll_interval_s)}")
    return "\n".join(lines)
