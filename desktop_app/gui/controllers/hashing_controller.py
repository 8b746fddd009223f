"""Hashing in the background: read the panel's state, train with progress and Cancel, switch.

Training and switching write the library, so they run on the writer pool (one at a
time, after any short edit queued before them); reading the panel's state (with the
own-photo mAP) is a read on the shared pool. After a change, ``hashers_changed`` tells
search to drop its snapshot, so the next query uses the new codes.

A read that fails is reported as ``overview_failed``, not ``failed``: reads run on their
own (at start, after every index run), so the window says so in the panel and the status
bar instead of opening a dialog nobody asked for. What the user started (training,
switching) still reports through ``failed``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from core.encoders.encoder import LazyEncoder
from core.errors import TaskCancelled
from core.library.training.trainer import TrainOptions, TrainReport
from core.progress import CancelToken, Progress, ProgressCallback
from desktop_app.application.error_report import report_for
from desktop_app.application.hashing import (
    HashingOverview,
    TrainedHasher,
    activate_hasher,
    load_hashing_overview,
    train_hasher,
)
from desktop_app.application.progress_text import RateMeter
from desktop_app.gui.controllers.indexing_controller import IndexProgress
from desktop_app.gui.tasks import TaskRunner

logger = logging.getLogger(__name__)


class HashingController(QObject):
    """Owns training and the choice of the active hasher.

    Signals:
        overview_changed: a ``HashingOverview`` after each read.
        overview_failed: an ``ErrorReport``: a read failed (the last state stays on show).
        training_started: a training run began.
        progress_changed: an ``IndexProgress`` of the run.
        training_finished: the run's ``TrainReport``.
        training_cancelled: the user cancelled; the library is as it was.
        activated: the ``TrainedHasher`` search switched to.
        hashers_changed: the active codes changed (search must read them again).
        failed: an ``ErrorReport`` (training or switching did not happen).
        busy_changed: ``True`` while training or switching runs.
    """

    overview_changed = Signal(object)
    overview_failed = Signal(object)
    training_started = Signal()
    progress_changed = Signal(object)
    training_finished = Signal(object)
    training_cancelled = Signal()
    activated = Signal(object)
    hashers_changed = Signal()
    failed = Signal(object)
    busy_changed = Signal(bool)

    def __init__(
        self, library_path: Path, encoder: Callable[[], LazyEncoder], tasks: TaskRunner
    ) -> None:
        super().__init__()
        self._library_path = library_path
        self._encoder = encoder
        self._tasks = tasks
        self._cancel: CancelToken | None = None
        self._is_switching = False
        self._is_refreshing = False
        self._is_refresh_wanted = False
        self._meter = RateMeter()
        self._overview: HashingOverview | None = None

    @property
    def overview(self) -> HashingOverview | None:
        """The last state read, if any."""
        return self._overview

    @property
    def is_busy(self) -> bool:
        """Whether a training run or a switch is in progress."""
        return self._cancel is not None or self._is_switching

    @Slot()
    def refresh(self) -> None:
        """Read the hashing state again (once more after a read in progress)."""
        if self._is_refreshing:
            self._is_refresh_wanted = True
            return
        self._is_refreshing = True
        path, key = self._library_path, self._encoder().config_key
        self._tasks.submit(
            lambda: load_hashing_overview(path, key),
            pool="shared",
            on_result=self._on_overview_result,
            on_error=self._on_overview_error,
        )

    @Slot(object)
    def train(self, options: TrainOptions) -> None:
        """Train ``options.method`` on the stored features (ignored while busy)."""
        if self.is_busy:
            return
        cancel = CancelToken()
        self._cancel = cancel
        self._meter = RateMeter()
        lazy = self._encoder()
        path, key = self._library_path, lazy.config_key

        def work(report: ProgressCallback) -> TrainReport:
            return train_hasher(path, key, options, report, cancel, text_encoder=lazy)

        self.training_started.emit()
        self.busy_changed.emit(True)
        self._tasks.submit_reporting(
            work,
            pool="writer",
            on_progress=self._on_task_progress,
            on_result=self._on_train_result,
            on_error=self._on_train_error,
        )

    @Slot()
    def cancel(self) -> None:
        """Stop the training run at its next checkpoint; nothing of it is kept."""
        if self._cancel is not None:
            self._cancel.cancel()

    @Slot(int)
    def activate(self, hasher_id: int) -> None:
        """Make a hasher trained earlier the one search uses."""
        if self.is_busy:
            return
        self._is_switching = True
        self.busy_changed.emit(True)
        path, key = self._library_path, self._encoder().config_key
        self._tasks.submit(
            lambda: activate_hasher(path, key, hasher_id),
            pool="writer",
            on_result=self._on_activate_result,
            on_error=self._on_activate_error,
        )

    @Slot(object)
    def _on_overview_result(self, overview: HashingOverview) -> None:
        self._is_refreshing = False
        self._overview = overview
        self.overview_changed.emit(overview)
        if self._is_refresh_wanted:
            self._is_refresh_wanted = False
            self.refresh()

    @Slot(object)
    def _on_overview_error(self, error: Exception) -> None:
        self._is_refreshing = False
        self._is_refresh_wanted = False
        logger.warning("the hashing state could not be read", exc_info=error)
        self.overview_failed.emit(report_for(error, "The hashing state could not be read"))

    @Slot(object)
    def _on_task_progress(self, progress: Progress) -> None:
        text = self._meter.describe(progress)
        self.progress_changed.emit(IndexProgress(text, progress.done, progress.total))

    @Slot(object)
    def _on_train_result(self, report: TrainReport) -> None:
        self._end_run()
        self.hashers_changed.emit()
        self.training_finished.emit(report)
        self.refresh()

    @Slot(object)
    def _on_train_error(self, error: Exception) -> None:
        self._end_run()
        if isinstance(error, TaskCancelled):
            self.training_cancelled.emit()
        else:
            self.failed.emit(report_for(error, "Training did not happen"))

    @Slot(object)
    def _on_activate_result(self, hasher: TrainedHasher) -> None:
        self._is_switching = False
        self.busy_changed.emit(False)
        self.hashers_changed.emit()
        self.activated.emit(hasher)
        self.refresh()

    @Slot(object)
    def _on_activate_error(self, error: Exception) -> None:
        self._is_switching = False
        self.busy_changed.emit(False)
        self.failed.emit(report_for(error, "The hashing model was not switched"))
        self.refresh()

    def _end_run(self) -> None:
        self._cancel = None
        self.busy_changed.emit(False)
