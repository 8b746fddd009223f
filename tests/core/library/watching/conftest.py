"""Helpers for watching real folders: a thread-safe change log and deadline polling."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from core.library.watching.settler import FileChange

DEADLINE_S = 10.0


def wait_until(condition: Callable[[], bool], timeout_s: float = DEADLINE_S) -> bool:
    """Poll ``condition`` until it holds or the deadline passes; returns whether it held."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


class ChangeLog:
    """Collects the changes a watcher reports (from observer threads)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._changes: list[FileChange] = []

    def __call__(self, change: FileChange) -> None:
        with self._lock:
            self._changes.append(change)

    @property
    def changes(self) -> list[FileChange]:
        with self._lock:
            return list(self._changes)

    def paths(self) -> list[str]:
        return [c.path for c in self.changes]

    def wait_for(self, path: str) -> bool:
        return wait_until(lambda: path in self.paths())
