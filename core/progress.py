"""Progress reporting and cooperative cancellation for long jobs."""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from typing import Protocol

from core.errors import TaskCancelled


@dataclass(frozen=True, slots=True)
class Progress:
    """A progress snapshot: ``done`` of ``total`` units in ``stage``."""

    stage: str
    done: int
    total: int
    message: str = ""


class ProgressCallback(Protocol):
    """Receives progress snapshots; must be cheap and must not raise."""

    def __call__(self, progress: Progress) -> None:
        """Handle one snapshot."""


class CancelToken:
    """Thread-safe flag checked by jobs between batches."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        """Ask the job to stop at the next checkpoint."""
        self._event.set()

    @property
    def is_cancelled(self) -> bool:
        """Whether cancellation was requested."""
        return self._event.is_set()

    def raise_if_cancelled(self) -> None:
        """Raise :class:`TaskCancelled` if cancellation was requested."""
        if self._event.is_set():
            raise TaskCancelled("The job was cancelled.")


class RateLimitedReporter:
    """Forwards progress at most ``max_hz`` times a second (always the last one)."""

    def __init__(self, callback: ProgressCallback | None, max_hz: float = 10.0) -> None:
        self._callback = callback
        self._min_interval_s = 1.0 / max_hz
        self._last_s = -math.inf  # the first snapshot always passes, whatever the clock

    def __call__(self, progress: Progress, *, force: bool = False) -> None:
        """Report ``progress`` unless one was sent less than ``1/max_hz`` s ago."""
        if self._callback is None:
            return
        now = time.monotonic()
        if force or progress.done >= progress.total or now - self._last_s >= self._min_interval_s:
            self._last_s = now
            self._callback(progress)
