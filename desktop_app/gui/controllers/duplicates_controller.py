"""Duplicate groups in the background: one read at a time, the latest request wins."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from core.encoders.encoder import LazyEncoder
from core.search.duplicate_groups import GroupingOptions
from core.search.duplicate_report import DuplicateReport
from desktop_app.application.duplicates import find_duplicates
from desktop_app.application.error_report import report_for
from desktop_app.gui.tasks import TaskRunner


class DuplicatesController(QObject):
    """Finds exact copies, near-duplicates and bursts; never changes a file.

    Signals:
        started: a search for duplicates began.
        groups_found: the ``DuplicateReport``.
        failed: an ``ErrorReport`` (e.g. nothing is indexed yet).
    """

    started = Signal()
    groups_found = Signal(object)
    failed = Signal(object)

    def __init__(
        self,
        library_path: Path,
        encoder: Callable[[], LazyEncoder],
        tasks: TaskRunner,
        options: GroupingOptions,
    ) -> None:
        super().__init__()
        self._options = options
        self._library_path = library_path
        self._encoder = encoder
        self._tasks = tasks
        self._is_running = False
        self._wanted_again: bool | None = None

    @Slot(bool)
    def find(self, bursts: bool = False) -> None:
        """Look for duplicates, with bursts if asked (after a run in progress, if one is)."""
        if self._is_running:
            self._wanted_again = bursts
            return
        self._is_running = True
        self.started.emit()
        path, key = self._library_path, self._encoder().config_key
        options = replace(self._options, bursts=bursts)
        self._tasks.submit(
            lambda: find_duplicates(path, key, options),
            pool="shared",
            on_result=self._on_task_result,
            on_error=self._on_task_error,
        )

    def _finish(self) -> None:
        self._is_running = False
        again, self._wanted_again = self._wanted_again, None
        if again is not None:
            self.find(again)

    @Slot(object)
    def _on_task_result(self, report: DuplicateReport) -> None:
        self.groups_found.emit(report)
        self._finish()

    @Slot(object)
    def _on_task_error(self, error: Exception) -> None:
        self.failed.emit(report_for(error, "Duplicates could not be found"))
        self._finish()
