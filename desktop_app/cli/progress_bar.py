"""Terminal progress bars (tqdm) fed by core progress snapshots: count, rate and ETA."""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any, Self

from tqdm import tqdm

from core.progress import Progress
from desktop_app.application.progress_text import NOTICE_STAGE, STAGE_LABELS, STAGE_UNITS


class ProgressBars:
    """One bar per stage; a new stage closes the previous bar."""

    def __init__(self, *, enabled: bool = True) -> None:
        self._enabled = enabled
        self._stage = ""
        self._bar: Any = None

    def __call__(self, progress: Progress) -> None:
        """Show a snapshot; a ``"notice"`` (a fallback to torch...) prints even without bars."""
        if progress.stage == NOTICE_STAGE:
            self.close()
            print(f"hashlens: {progress.message}", file=sys.stderr)
            return
        if not self._enabled:
            return
        if progress.stage != self._stage:
            self.close()
            self._stage = progress.stage
            self._bar = tqdm(
                total=progress.total,
                desc=STAGE_LABELS.get(progress.stage, progress.stage),
                unit=STAGE_UNITS.get(progress.stage, "item"),
                unit_scale=progress.stage == "download",
                file=sys.stderr,
                dynamic_ncols=True,
                leave=True,
            )
        if self._bar is not None:
            self._bar.total = progress.total
            self._bar.update(progress.done - self._bar.n)

    def close(self) -> None:
        """Finish the current bar."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
