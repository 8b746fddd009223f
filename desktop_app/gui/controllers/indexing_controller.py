"""Indexing runs in the background: progress with rate and time left, Cancel, batches landing."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from core.config import AppConfig
from core.encoders.encoder import LazyEncoder
from core.errors import LibraryBusyError, ModelNotAvailableError
from core.progress import CancelToken, Progress, ProgressCallback
from core.types import IndexReport
from desktop_app.application.error_report import report_for
from desktop_app.application.library import index_library
from desktop_app.application.progress_text import RateMeter
from desktop_app.gui.tasks import TaskRunner

BUSY_RETRY_MS = 10_000
"""Another process (``hashlens index``, a second window) holds the library: try again after."""
BATCH_SIGNAL_INTERVAL_S = 1.5
"""At most this often, ``batch_landed`` tells search and counts to read the library again."""
_LANDING_STAGES = frozenset({"images", "captions"})


@dataclass(frozen=True, slots=True)
class IndexProgress:
    """One progress update for the panel."""

    text: str
    done: int
    total: int


class IndexingController(QObject):
    """Starts, cancels and reports indexing runs; one at a time, a request during a run queues one.

    Signals:
        started: a run began.
        progress_changed: an ``IndexProgress``.
        batch_landed: new photos or captions were committed (rate-limited).
        finished: an ``IndexReport`` (``cancelled`` set when the user cancelled).
        failed: an ``ErrorReport``.
        model_unavailable: an ``ErrorReport``: the model could not be loaded.
        busy: a message: another process is writing the library; the run is retried
            every ``BUSY_RETRY_MS`` until it starts, or until ``cancel``.
    """

    started = Signal()
    progress_changed = Signal(object)
    batch_landed = Signal()
    finished = Signal(object)
    failed = Signal(object)
    model_unavailable = Signal(object)
    busy = Signal(str)

    def __init__(
        self,
        library_path: Path,
        config: AppConfig,
        encoder: Callable[[], LazyEncoder],
        tasks: TaskRunner,
        clock: Callable[[], float] = time.monotonic,
        unsettled: Callable[[], frozenset[str]] = frozenset,
    ) -> None:
        super().__init__()
        self._unsettled = unsettled
        self._library_path = library_path
        self._config = config
        self._encoder = encoder
        self._tasks = tasks
        self._clock = clock
        self._cancel: CancelToken | None = None
        self._is_rerun_wanted = False
        self._meter = RateMeter(clock)
        self._last_landing_s = 0.0
        self._retry_timer = QTimer(self)
        self._retry_timer.setSingleShot(True)
        self._retry_timer.setInterval(BUSY_RETRY_MS)
        self._retry_timer.timeout.connect(self.start)

    @property
    def is_running(self) -> bool:
        """Whether a run is in progress."""
        return self._cancel is not None

    @property
    def is_waiting_for_library(self) -> bool:
        """Whether a run waits for another process to finish writing the library."""
        return self._retry_timer.isActive()

    @Slot()
    def start(self) -> None:
        """Index every folder; during a run, one more run follows it."""
        if self._cancel is not None:
            self._is_rerun_wanted = True
            return
        self._retry_timer.stop()
        cancel = CancelToken()
        self._cancel = cancel
        self._meter = RateMeter(self._clock)
        path, config, encoder = self._library_path, self._config, self._encoder()
        unsettled = self._unsettled

        def work(report: ProgressCallback) -> IndexReport:
            return index_library(path, config, encoder, report, cancel, unsettled)

        self.started.emit()
        self._tasks.submit_reporting(
            work,
            pool="long",
            on_progress=self._on_task_progress,
            on_result=self._on_task_result,
            on_error=self._on_task_error,
        )

    @Slot()
    def cancel(self) -> None:
        """Stop after the batch in progress; finished batches stay in the library."""
        self._is_rerun_wanted = False
        self._retry_timer.stop()
        if self._cancel is not None:
            self._cancel.cancel()

    @Slot(object)
    def _on_task_progress(self, progress: Progress) -> None:
        text = self._meter.describe(progress)
        self.progress_changed.emit(IndexProgress(text, progress.done, progress.total))
        now = self._clock()
        landed = progress.stage in _LANDING_STAGES and progress.done > 0
        if landed and now - self._last_landing_s >= BATCH_SIGNAL_INTERVAL_S:
            self._last_landing_s = now
            self.batch_landed.emit()

    @Slot(object)
    def _on_task_result(self, report: IndexReport) -> None:
        self._cancel = None
        self.batch_landed.emit()
        self.finished.emit(report)
        self._start_queued_run()

    @Slot(object)
    def _on_task_error(self, error: Exception) -> None:
        self._cancel = None
        self._is_rerun_wanted = False
        if isinstance(error, LibraryBusyError):  # not a failure: wait for the other writer
            self._retry_timer.start()
            seconds = max(1, self._retry_timer.interval() // 1000)
            self.busy.emit(
                "Another HashLens process is updating this library; indexing starts when it "
                f"is done (trying again every {seconds} s)."
            )
            return
        report = report_for(error, "Indexing stopped")
        if isinstance(error, ModelNotAvailableError):
            self.model_unavailable.emit(report)
        else:
            self.failed.emit(report)
        self.batch_landed.emit()

    def _start_queued_run(self) -> None:
        if self._is_rerun_wanted:
            self._is_rerun_wanted = False
            self.start()
