"""Work on the photos selected in the grid (tag them, export copies), off the GUI thread."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from desktop_app.application.bulk import BulkOutcome, export_photos, tag_photos
from desktop_app.application.error_report import report_for
from desktop_app.gui.tasks import TaskRunner


class BulkController(QObject):
    """Tags and exports many photos at once.

    Signals:
        done: ``str`` what was done, for the status bar.
        labels_changed: tags were added (searches filtered by tags must run again).
        error_raised: an ``ErrorReport``.
    """

    done = Signal(str)
    labels_changed = Signal()
    error_raised = Signal(object)

    def __init__(self, library_path: Path, tasks: TaskRunner) -> None:
        super().__init__()
        self._library_path = library_path
        self._tasks = tasks

    @Slot(object, str)
    def tag(self, media_ids: Sequence[int], name: str) -> None:
        """Add the user's tag ``name`` to every photo of ``media_ids``."""
        path, ids = self._library_path, tuple(media_ids)
        self._tasks.submit(
            lambda: tag_photos(path, ids, name),
            pool="writer",
            on_result=self._on_task_result,
            on_error=self._on_task_error,
        )

    @Slot(object, object)
    def export(self, paths: Sequence[str], folder: Path) -> None:
        """Copy the files into ``folder`` (nothing there is overwritten)."""
        chosen = tuple(paths)
        self._tasks.submit(
            lambda: export_photos(chosen, folder),
            pool="shared",
            on_result=self._on_task_result,
            on_error=self._on_task_error,
        )

    @Slot(object)
    def _on_task_result(self, outcome: BulkOutcome) -> None:
        self.done.emit(outcome.message)
        if outcome.labels_changed:
            self.labels_changed.emit()

    @Slot(object)
    def _on_task_error(self, error: Exception) -> None:
        self.error_raised.emit(report_for(error, "The photos were not changed"))
