"""Full-size photos for the viewer: decoded off the GUI thread, the last few kept.

A pool thread decodes the file (EXIF orientation applied, the same pixel cap as indexing)
into a QImage; the GUI thread only turns it into a pixmap when it is shown.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage

from core.errors import CoreError
from core.media.image_io import open_image
from desktop_app.gui.tasks import TaskRunner

KEPT = 4
"""Decoded photos kept in memory (the one on show and its neighbours)."""


@dataclass(frozen=True, slots=True)
class FullImage:
    """A decoded photo, or why it could not be decoded."""

    path: str
    image: QImage | None
    problem: str = ""


def decode(path: str, max_pixels: int) -> FullImage:
    """Decode ``path`` at full resolution; a missing or unreadable file gives a problem."""
    if not Path(path).is_file():
        return FullImage(path, None, "This photo is no longer on disk (moved or deleted).")
    try:
        decoded = open_image(Path(path), max_pixels=max_pixels, min_side=None)
    except CoreError as exc:
        return FullImage(path, None, exc.user_message)
    except OSError as exc:
        return FullImage(path, None, f"The file could not be read: {exc.strerror or exc}.")
    rgb = decoded.image.convert("RGB")
    data = rgb.tobytes()
    image = QImage(data, rgb.width, rgb.height, 3 * rgb.width, QImage.Format.Format_RGB888)
    return FullImage(path, image.copy())  # copy: the QImage owns its pixels


class FullImageLoader(QObject):
    """Decodes photos for the viewer in the background.

    Signals:
        loaded: a ``FullImage`` (with a problem instead of pixels when it failed).
    """

    loaded = Signal(object)

    def __init__(self, tasks: TaskRunner, max_pixels: int) -> None:
        super().__init__()
        self._tasks = tasks
        self._max_pixels = max_pixels
        self._kept: OrderedDict[str, FullImage] = OrderedDict()
        self._pending: set[str] = set()

    def request(self, path: str) -> FullImage | None:
        """The decoded photo if kept; else None, and ``loaded`` follows."""
        found = self._kept.get(path)
        if found is not None:
            self._kept.move_to_end(path)
            return found
        if path not in self._pending:
            self._pending.add(path)
            max_pixels = self._max_pixels
            self._tasks.submit(
                lambda: decode(path, max_pixels),
                pool="shared",
                on_result=self._on_task_result,
                on_error=lambda error: self._on_task_result(FullImage(path, None, str(error))),
            )
        return None

    def forget(self, path: str) -> None:
        """Drop a kept photo (its file changed or went away)."""
        self._kept.pop(path, None)

    @Slot(object)
    def _on_task_result(self, full: FullImage) -> None:
        self._pending.discard(full.path)
        if full.image is not None:
            self._kept[full.path] = full
            while len(self._kept) > KEPT:
                self._kept.popitem(last=False)
        self.loaded.emit(full)
