"""What the window does with dragged or pasted files: accept as a copy, highlight, sort.

The window's drag-and-drop event overrides and its paste action call these; the files
never move, and a dropped or pasted path is judged by its name, never by opening it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, Qt
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QImage
from PySide6.QtWidgets import QWidget

from core.media.image_io import SUPPORTED_EXTENSIONS

DROP_QSS = (
    'QWidget#centralArea[dropTarget="true"] '
    "{ border: 2px dashed palette(highlight); border-radius: 8px; }"
)


def is_image_path(path: Path) -> bool:
    """Whether a dropped path names an image file (judged by its name, not by opening it)."""
    return path.suffix.lower() in SUPPORTED_EXTENSIONS


def has_local_files(mime: QMimeData) -> bool:
    """Whether a drag carries at least one local file or folder."""
    return any(url.isLocalFile() for url in mime.urls())


def local_paths(mime: QMimeData) -> tuple[Path, ...]:
    """The local files and folders a drag or drop carries, in its order."""
    return tuple(Path(u.toLocalFile()) for u in mime.urls() if u.isLocalFile())


def pasted_photo(mime: QMimeData | None) -> Path | QImage | None:
    """What the clipboard offers to search with: the first image file it names, else the
    image it holds, else None."""
    files = local_paths(mime) if mime is not None else ()
    images = [p for p in files if is_image_path(p)]
    if images:
        return images[0]
    if mime is not None and mime.hasImage():
        return QImage(mime.imageData())
    return None


def accept_as_copy(event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> bool:
    """Accept the drag as a Copy (or, if the source only offers that, a Link): the files
    stay where they are, so the source must never be told they were moved."""
    for action in (Qt.DropAction.CopyAction, Qt.DropAction.LinkAction):
        if event.possibleActions() & action:
            event.setDropAction(action)
            event.accept()
            return True
    event.ignore()
    return False


def is_drop_highlighted(area: QWidget) -> bool:
    """Whether ``area`` shows that a drag over it can be dropped."""
    return bool(area.property("dropTarget"))


def set_drop_highlight(area: QWidget, is_on: bool) -> None:
    """Show (or stop showing) the dashed frame ``DROP_QSS`` draws around ``area``."""
    area.setProperty("dropTarget", is_on)
    area.style().unpolish(area)
    area.style().polish(area)
