"""When a burst of file changes is over and every changed file is complete.

Changes collect until none has arrived for ``quiet_s`` (a burst of 50 copied
photos is one run, not 50). Then each changed file must be complete: nothing
has it open for writing (file events report the close), and its size and
modification time stayed the same for ``settle_s``. Deleted files, folders and
renames are complete at once. A change storm longer than ``max_delay_s`` does
not starve the library: what has settled is indexed and the rest waits.

Pure logic: the clock is passed in and ``stat`` is injectable, so the rules are
tested without sleeping.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

logger = logging.getLogger(__name__)

ChangeKind = Literal["appeared", "written", "closed", "touched", "renamed", "gone", "folder"]
"""What happened to a path: created or moved in from outside (``appeared``), data
written (``written``: a writer has it open), closed after writing (``closed``),
metadata changed (``touched``), moved within a watched folder (``renamed``),
deleted or moved out (``gone``), or a folder appeared, vanished or moved (``folder``)."""

_COMPLETE_AT_ONCE: frozenset[ChangeKind] = frozenset({"renamed", "gone", "folder"})

FileSignature = tuple[int, int]
"""``(size, mtime_ns)`` of a file."""

OPEN_WRITE_TIMEOUT_FACTOR = 30
"""A file reported open for writing whose size and time stayed put for this many
settle intervals counts as complete anyway (a lost close event must not hold it forever)."""


@dataclass(frozen=True, slots=True)
class FileChange:
    """One relevant change reported by a folder watcher.

    Attributes:
        path: Absolute path of the file or folder.
        kind: What happened (see ``ChangeKind``).
        reports_close: The watcher reports when a writer closes the file (inotify), so
            a ``written`` file stays incomplete until its ``closed`` change arrives.
    """

    path: str
    kind: ChangeKind
    reports_close: bool = False


@dataclass(frozen=True, slots=True)
class SettleTiming:
    """The intervals of the rules above, in seconds."""

    quiet_s: float = 1.0
    settle_s: float = 1.0
    max_delay_s: float = 30.0


@dataclass(frozen=True, slots=True)
class SettleCheck:
    """Outcome of one look at the pending changes.

    Attributes:
        is_due: Index now: the burst is over (or overdue) and settled changes are waiting.
        pending: Paths changed since the last run was requested.
        unsettled: Files among them still being written (an index run must leave them alone).
    """

    is_due: bool
    pending: int
    unsettled: frozenset[str]


@dataclass(slots=True)
class _Pending:
    last_s: float
    is_complete: bool = False
    is_writing: bool = False
    seen: FileSignature | None = None
    seen_s: float = 0.0


def file_signature(path: str) -> FileSignature | None:
    """``(size, mtime_ns)`` of ``path``; None when it is gone or cannot be looked at."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:  # unreadable: the index run reports it; waiting would not help
        logger.debug("Cannot look at %s: %s", path, exc)
        return None
    return st.st_size, st.st_mtime_ns


class ChangeSettler:
    """Pending changes and the rules that say when to index them. Not thread-safe."""

    def __init__(
        self,
        timing: SettleTiming,
        stat: Callable[[str], FileSignature | None] = file_signature,
    ) -> None:
        self._timing = timing
        self._stat = stat
        self._pending: dict[str, _Pending] = {}
        self._last_change_s = 0.0
        self._window_start_s: float | None = None

    @property
    def pending(self) -> int:
        """How many paths changed since the last run was requested."""
        return len(self._pending)

    def add(self, change: FileChange, now_s: float) -> None:
        """Record a change at time ``now_s``."""
        self._last_change_s = now_s
        if self._window_start_s is None:
            self._window_start_s = now_s
        entry = self._pending.get(change.path)
        if entry is None:
            entry = self._pending[change.path] = _Pending(last_s=now_s)
        entry.last_s = now_s
        entry.seen = None
        entry.is_complete = change.kind in _COMPLETE_AT_ONCE
        if change.kind == "written":
            entry.is_writing = change.reports_close
        elif change.kind in ("closed", "gone", "renamed"):
            entry.is_writing = False

    def unsettled(self) -> frozenset[str]:
        """Paths not known to be complete (those changed since the last look included)."""
        return frozenset(p for p, e in self._pending.items() if not e.is_complete)

    def check(self, now_s: float) -> SettleCheck:
        """Look at the pending changes (reading file sizes once the burst is over)."""
        if not self._pending:
            return SettleCheck(False, 0, frozenset())
        timing = self._timing
        window_start_s = now_s if self._window_start_s is None else self._window_start_s
        is_quiet = now_s - self._last_change_s >= timing.quiet_s
        is_overdue = now_s - window_start_s >= timing.max_delay_s
        if is_quiet or is_overdue:
            for path, entry in self._pending.items():
                if not entry.is_complete:
                    entry.is_complete = self._is_complete(path, entry, now_s)
        unsettled = self.unsettled()
        has_settled = len(unsettled) < len(self._pending)
        is_due = has_settled and ((is_quiet and not unsettled) or is_overdue)
        return SettleCheck(is_due, len(self._pending), unsettled)

    def take_settled(self, now_s: float) -> int:
        """Forget the complete changes (a run was requested for them); returns how many.

        Files still being written stay; the ``max_delay_s`` window restarts for them.
        """
        done = [p for p, e in self._pending.items() if e.is_complete]
        for path in done:
            del self._pending[path]
        self._window_start_s = now_s if self._pending else None
        return len(done)

    def _is_complete(self, path: str, entry: _Pending, now_s: float) -> bool:
        timing = self._timing
        if now_s - entry.last_s < timing.quiet_s:
            return False  # changed a moment ago
        signature = self._stat(path)
        if signature is None:
            return True  # gone again, or unreadable: nothing to wait for
        if signature != entry.seen:
            entry.seen, entry.seen_s = signature, now_s
            return False
        if now_s - entry.seen_s < timing.settle_s:
            return False
        if entry.is_writing:
            open_timeout_s = OPEN_WRITE_TIMEOUT_FACTOR * timing.settle_s
            if now_s - entry.last_s < open_timeout_s:
                return False
            logger.info("%s still looks open for writing; indexing it as it is", path)
        return True
