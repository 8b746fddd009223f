"""Composition root of the GUI: configuration, background tasks, controller, window.

Everything the window needs is built here and passed in, so a test can build the
same window against a temporary library. The library is only ever opened inside
tasks, each with its own Store (see ``desktop_app.tasks``).
"""

from __future__ import annotations

import logging
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QIcon

from core.config import load_config
from core.errors import CoreError
from core.indexing.folders import register_folder
from core.paths import default_library_path
from core.store.database import Store
from desktop_app.tasks import TaskRunner
from desktop_app.views.main_window import FoldersAdded, LibrarySummary, MainWindow

logger = logging.getLogger(__name__)

ICON_RESOURCE = ("icons", "hashlens.svg")


def read_summary(store: Store) -> LibrarySummary:
    """What the window shows, read through an open Store (runs on a pool thread)."""
    stats = store.stats()
    return LibrarySummary(
        library_path=store.path,
        folders=tuple(f.path for f in store.media.folders()),
        photos_indexed=stats.photos_ready,
        photos_pending=stats.photos_pending,
        photos_skipped=stats.photos_error,
        captions=stats.captions,
    )


def load_summary(library_path: Path) -> LibrarySummary:
    """Open the library (creating or migrating it if needed) and summarise it."""
    with Store.open(library_path) as store:
        return read_summary(store)


def add_folders(library_path: Path, paths: Sequence[Path]) -> FoldersAdded:
    """Register the folders among ``paths`` in one transaction, then summarise the library."""
    added: list[str] = []
    rejected: list[str] = []
    for path in paths:
        resolved = path.expanduser().resolve()
        if resolved.is_dir():
            added.append(str(resolved))
        else:
            rejected.append(f"{path} is not a folder, so it was not added.")
    with Store.open(library_path) as store:
        for folder in added:
            register_folder(store, folder)
        return FoldersAdded(tuple(added), tuple(rejected), read_summary(store))


class LibraryController(QObject):
    """Reads and changes the library in background tasks; reports through signals.

    Signals:
        summary_changed: a ``LibrarySummary`` after each read.
        folders_added: a ``FoldersAdded`` after a drop was handled.
        library_failed: ``user_message`` when the library cannot be used at all.
        message_posted: a short message for the status bar.
    """

    summary_changed = Signal(object)
    folders_added = Signal(object)
    library_failed = Signal(str)
    message_posted = Signal(str)

    def __init__(self, library_path: Path, tasks: TaskRunner) -> None:
        super().__init__()
        self._library_path = library_path
        self._tasks = tasks

    def refresh(self) -> None:
        """Read the summary again (opening may migrate the file, so it is a writer task)."""
        path = self._library_path
        self._tasks.submit(
            lambda: load_summary(path),
            writes=True,
            on_result=self._on_summary_result,
            on_error=self._on_refresh_error,
        )

    @Slot(object)
    def add_folders(self, paths: Sequence[Path]) -> None:
        """Register dropped folders; indexing them is left to ``hashlens index`` for now."""
        path, chosen = self._library_path, tuple(paths)
        self._tasks.submit(
            lambda: add_folders(path, chosen),
            writes=True,
            on_result=self._on_add_result,
            on_error=self._on_add_error,
        )

    @Slot(object)
    def _on_summary_result(self, summary: LibrarySummary) -> None:
        self.summary_changed.emit(summary)

    @Slot(object)
    def _on_add_result(self, outcome: FoldersAdded) -> None:
        self.summary_changed.emit(outcome.summary)
        self.folders_added.emit(outcome)

    @Slot(object)
    def _on_refresh_error(self, error: Exception) -> None:
        self.library_failed.emit(_user_text(error))

    @Slot(object)
    def _on_add_error(self, error: Exception) -> None:
        self.message_posted.emit(f"The folder was not added. {_user_text(error)}")


def _user_text(error: Exception) -> str:
    if isinstance(error, CoreError):
        if error.details:
            logger.info("details: %s", error.details)
        return error.user_message
    return f"Something unexpected went wrong ({type(error).__name__}: {error}). See the log."


def app_icon() -> QIcon:
    """The application icon from the ``resources`` package.

    Installed wheels and the PyInstaller build both keep resources as plain files,
    and QIcon reads an SVG lazily, so the path itself (not a temporary copy) is used.
    """
    return QIcon(str(resources.files("resources").joinpath(*ICON_RESOURCE)))


def cli_command_for(library_path: Path) -> str:
    """How to call the CLI on this library, for the hints the window shows."""
    if library_path == default_library_path().expanduser().resolve():
        return "hashlens"
    return f"hashlens --library {shlex.quote(str(library_path))}"


@dataclass(frozen=True)
class Composition:
    """The objects of one GUI session; the caller keeps it alive while the window is open."""

    tasks: TaskRunner
    library: LibraryController | None
    window: MainWindow


def compose(library_path: Path | None = None) -> Composition:
    """Build the window and start reading the library in the background."""
    tasks = TaskRunner()
    try:
        config = load_config(library_path=library_path)
    except CoreError as exc:  # e.g. a broken config.toml: say so in the window
        fallback = (library_path or default_library_path()).expanduser().resolve()
        window = MainWindow(fallback, app_icon(), cli_command_for(fallback))
        window.show_library_error(exc.user_message)
        return Composition(tasks, None, window)

    path = config.library_path
    window = MainWindow(path, app_icon(), cli_command_for(path))
    library = LibraryController(path, tasks)
    library.summary_changed.connect(window.show_summary)
    library.folders_added.connect(window.show_folders_added)
    library.library_failed.connect(window.show_library_error)
    library.message_posted.connect(window.show_message)
    window.folders_dropped.connect(library.add_folders)
    window.show_loading()
    library.refresh()
    return Composition(tasks, library, window)
