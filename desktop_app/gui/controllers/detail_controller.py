"""One photo's details, and the user's edits to its captions and tags, off the GUI thread."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot

from desktop_app.application.detail import (
    PhotoDetail,
    add_caption,
    edit_caption,
    load_detail,
    set_user_tags,
)
from desktop_app.application.error_report import report_for
from desktop_app.gui.tasks import TaskRunner


class DetailController(QObject):
    """Loads and edits the photo on show in the detail view.

    Signals:
        detail_changed: a ``PhotoDetail`` (after opening, and after each saved edit).
        captions_edited: a caption was added or changed (it needs encoding).
        error_raised: an ``ErrorReport``.
    """

    detail_changed = Signal(object)
    captions_edited = Signal()
    error_raised = Signal(object)

    def __init__(self, library_path: Path, tasks: TaskRunner) -> None:
        super().__init__()
        self._library_path = library_path
        self._tasks = tasks
        self._media_id: int | None = None

    @property
    def media_id(self) -> int | None:
        """The photo on show."""
        return self._media_id

    @Slot(int)
    def open(self, media_id: int) -> None:
        """Read a photo's details."""
        self._media_id = media_id
        path = self._library_path
        self._run(lambda: load_detail(path, media_id), writes=False)

    @Slot(object)
    def set_tags(self, tags: Sequence[str]) -> None:
        """Make the user's tags on the photo on show exactly ``tags``."""
        path, media_id, chosen = self._library_path, self._media_id, tuple(tags)
        if media_id is not None:
            self._run(lambda: set_user_tags(path, media_id, chosen), writes=True)

    @Slot(str)
    def add_caption(self, text: str) -> None:
        """Add the user's caption to the photo on show."""
        path, media_id = self._library_path, self._media_id
        if media_id is not None and text.strip():
            self._run(lambda: add_caption(path, media_id, text), writes=True, is_caption=True)

    @Slot(int, str)
    def edit_caption(self, caption_id: int, text: str) -> None:
        """Change (or, when empty, remove) one of the user's captions."""
        path, media_id = self._library_path, self._media_id
        if media_id is not None:
            self._run(
                lambda: edit_caption(path, media_id, caption_id, text),
                writes=True,
                is_caption=True,
            )

    def _run(
        self, work: Callable[[], PhotoDetail], *, writes: bool, is_caption: bool = False
    ) -> None:
        self._tasks.submit(
            work,
            pool="writer" if writes else "shared",
            on_result=self._on_caption_result if is_caption else self._on_task_result,
            on_error=self._on_task_error,
        )

    @Slot(object)
    def _on_task_result(self, detail: PhotoDetail) -> None:
        if detail.media_id == self._media_id:
            self.detail_changed.emit(detail)

    @Slot(object)
    def _on_caption_result(self, detail: PhotoDetail) -> None:
        self._on_task_result(detail)
        self.captions_edited.emit()

    @Slot(object)
    def _on_task_error(self, error: Exception) -> None:
        self.error_raised.emit(report_for(error, "The photo was not changed"))
