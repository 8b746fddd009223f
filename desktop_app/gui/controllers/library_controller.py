"""Reads the library overview and adds and removes folders, off the GUI thread."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from core.config import EncoderConfig
from core.errors import CoreError
from desktop_app.application.error_report import report_for
from desktop_app.application.library import (
    FoldersAdded,
    LibraryOverview,
    add_folders,
    load_overview,
    remove_folder,
    set_album_labels,
)
from desktop_app.gui.tasks import TaskRunner


class LibraryController(QObject):
    """Owns the library's folders.

    Signals:
        overview_changed: a ``LibraryOverview`` after each read or change.
        folders_added: a ``FoldersAdded`` after folders were added.
        library_failed: ``user_message`` when the library cannot be used at all.
        error_raised: an ``ErrorReport`` when a change failed.
        folder_removed: ``str`` path of a folder whose photos just left the library (results
            and the detail view on show must forget them).
    """

    overview_changed = Signal(object)
    folders_added = Signal(object)
    library_failed = Signal(str)
    error_raised = Signal(object)
    folder_removed = Signal(str)

    def __init__(self, library_path: Path, default_encoder: EncoderConfig, tasks: TaskRunner):
        super().__init__()
        self._library_path = library_path
        self._default_encoder = default_encoder
        self._tasks = tasks
        self._overview: LibraryOverview | None = None
        self._is_refreshing = False

    @property
    def library_path(self) -> Path:
        """The library file."""
        return self._library_path

    @property
    def overview(self) -> LibraryOverview | None:
        """The last overview read, if any."""
        return self._overview

    def open(self) -> None:
        """First read: opening may create or migrate the file, so it runs on the writer."""
        path, default = self._library_path, self._default_encoder
        self._tasks.submit(
            lambda: load_overview(path, default),
            pool="writer",
            on_result=self._on_overview_result,
            on_error=self._on_open_error,
        )

    @Slot()
    def refresh(self) -> None:
        """Read the counts again (a read: it does not wait for writes in progress)."""
        if self._is_refreshing or self._overview is None:
            return
        self._is_refreshing = True
        path, default = self._library_path, self._default_encoder
        self._tasks.submit(
            lambda: load_overview(path, default),
            pool="shared",
            on_result=self._on_overview_result,
            on_error=self._on_change_error,
        )

    @Slot(object)
    def add_folders(self, paths: Sequence[Path]) -> None:
        """Register folders (anything that is not a folder is refused with a reason)."""
        path, chosen, default = self._library_path, tuple(paths), self._default_encoder
        self._tasks.submit(
            lambda: add_folders(path, chosen, default),
            pool="writer",
            on_result=self._on_add_result,
            on_error=self._on_change_error,
        )

    @Slot(int)
    def remove_folder(self, folder_id: int) -> None:
        """Forget a folder and its photos (the files stay where they are)."""
        path, default = self._library_path, self._default_encoder
        folders = self._overview.folders if self._overview is not None else ()
        removed = next((f.path for f in folders if f.id == folder_id), "")

        def on_result(overview: LibraryOverview) -> None:
            self._on_overview_result(overview)
            self.folder_removed.emit(removed)

        self._tasks.submit(
            lambda: remove_folder(path, folder_id, default),
            pool="writer",
            on_result=on_result,
            on_error=self._on_change_error,
        )

    @Slot(int, bool)
    def set_album_labels(self, folder_id: int, is_on: bool) -> None:
        """Count a folder's sub-folders as labels (albums) when training, or stop."""
        path, default = self._library_path, self._default_encoder
        self._tasks.submit(
            lambda: set_album_labels(path, folder_id, is_on, default),
            pool="writer",
            on_result=self._on_overview_result,
            on_error=self._on_change_error,
        )

    @Slot(object)
    def _on_overview_result(self, overview: LibraryOverview) -> None:
        self._is_refreshing = False
        self._overview = overview
        self.overview_changed.emit(overview)

    @Slot(object)
    def _on_add_result(self, outcome: FoldersAdded) -> None:
        self._on_overview_result(outcome.overview)
        self.folders_added.emit(outcome)

    @Slot(object)
    def _on_open_error(self, error: Exception) -> None:
        if isinstance(error, CoreError):
            self.library_failed.emit(error.user_message)
        else:
            self.error_raised.emit(report_for(error, "The library could not be opened"))
            self.library_failed.emit("Something unexpected went wrong; see the details.")

    @Slot(object)
    def _on_change_error(self, error: Exception) -> None:
        self._is_refreshing = False
        self.error_raised.emit(report_for(error, "The library was not changed"))
