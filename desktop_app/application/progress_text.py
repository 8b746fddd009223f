"""Words for indexing progress, shared by the terminal bars and the window (no Qt here)."""

from __future__ import annotations

import time
from collections.abc import Callable

from core.progress import Progress

STAGE_LABELS = {
    "download": "Downloading model",
    "export": "Preparing the fast encoder (once per model)",
    "model": "Loading model",
    "scan": "Scanning folders",
    "images": "Encoding photos",
    "captions": "Encoding captions",
    "concepts": "Embedding concept prompts",
    "training": "Training",
    "codes": "Writing codes",
    "learning": "Learning from new items",
    "bench": "Benchmarking",
}
STAGE_UNITS = {
    "download": "B",
    "export": "step",
    "model": "model",
    "scan": "folder",
    "images": "photo",
    "captions": "caption",
    "concepts": "prompt",
    "training": "step",
    "codes": "code",
    "learning": "item",
    "bench": "run",
}
NOTICE_STAGE = "notice"
"""Not a bar: a one-off message for the user (core's ``Progress("notice", 0, 0, text)``)."""
_MIN_ELAPSED_S = 0.5


def format_bytes(n: float) -> str:
    """``605 MB``, ``1.2 GB``: decimal units, as download sizes are usually given."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            value = n / scale
            return f"{value:.1f} {unit}" if value < 10 else f"{value:.0f} {unit}"
    return f"{int(n)} B"


def format_duration(seconds: float) -> str:
    """``45 s``, ``3 min``, ``1 h 20 min``."""
    if seconds < 60:
        return f"{max(1, round(seconds))} s"
    minutes = round(seconds / 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60} min"


class RateMeter:
    """Turns progress snapshots into one line: stage, count, rate and time left.

    The rate is measured from the first snapshot of each stage.
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._stage = ""
        self._start_s = 0.0
        self._start_done = 0

    def describe(self, progress: Progress) -> str:
        """One line for ``progress``."""
        now = self._clock()
        if progress.stage == NOTICE_STAGE:
            return progress.message
        if progress.stage != self._stage:
            self._stage, self._start_s, self._start_done = progress.stage, now, progress.done
        label = STAGE_LABELS.get(progress.stage, progress.stage.capitalize())
        is_bytes = progress.stage == "download"
        count = self._count(progress, is_bytes)
        parts = [f"{label}: {count}" if count else label]
        elapsed = now - self._start_s
        moved = progress.done - self._start_done
        if elapsed >= _MIN_ELAPSED_S and moved > 0 and progress.total > 1:
            rate = moved / elapsed
            unit = STAGE_UNITS.get(progress.stage, "item")
            per_s = f"{format_bytes(rate)}/s" if is_bytes else f"{rate:.1f} {unit}s/s"
            parts.append(per_s)
            if progress.total > progress.done:
                parts.append(
                    f"about {format_duration((progress.total - progress.done) / rate)} left"
                )
        return " · ".join(parts)

    @staticmethod
    def _count(progress: Progress, is_bytes: bool) -> str:
        if progress.total <= 1 and not is_bytes:
            return ""
        if is_bytes:
            total = f" of {format_bytes(progress.total)}" if progress.total else ""
            return f"{format_bytes(progress.done)}{total}"
        return f"{progress.done:,} of {progress.total:,}"
