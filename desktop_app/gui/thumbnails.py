"""Thumbnails for the window: made off the GUI thread, cached on disk and in a bounded LRU.

A pool thread makes (or finds) the JPEG on disk and reads it into a QImage; the GUI
thread turns that into a QPixmap. Only what is painted is asked for, so a long
result list costs memory for the visible rows only.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal, Slot
from PySide6.QtGui import QImage, QPixmap

from desktop_app.application.thumbnail_files import make_thumbnail
from desktop_app.gui.tasks import TaskRunner

logger = logging.getLogger(__name__)

GRID_SIDE_PX = 192
PREVIEW_SIDE_PX = 1024
DEFAULT_CAPACITY = 400

ThumbnailKey = tuple[str, int]


@dataclass(frozen=True, slots=True)
class _Made:
    key: ThumbnailKey
    image: QImage | None
    problem: str


def _make(cache_dir: Path, key: ThumbnailKey, max_pixels: int) -> _Made:
    path, side_px = key
    try:
        image = QImage(str(make_thumbnail(cache_dir, Path(path), side_px, max_pixels)))
    except Exception as exc:  # any failure only means "no thumbnail": the grid shows a frame
        logger.info("No thumbnail for %s: %s", path, exc)
        return _Made(key, None, str(exc))
    return _Made(key, None if image.isNull() else image, "")


class ThumbnailLoader(QObject):
    """Hands out thumbnails, loading missing ones in the background.

    Signals:
        thumbnail_ready: ``(path, side_px)`` once a requested thumbnail is available
            (or known to be impossible: then :meth:`pixmap` keeps returning None).
    """

    thumbnail_ready = Signal(str, int)

    def __init__(
        self,
        tasks: TaskRunner,
        cache_dir: Path,
        max_pixels: int,
        capacity: int = DEFAULT_CAPACITY,
    ) -> None:
        super().__init__()
        self._tasks = tasks
        self._cache_dir = cache_dir
        self._max_pixels = max_pixels
        self._capacity = capacity
        self._pixmaps: OrderedDict[ThumbnailKey, QPixmap] = OrderedDict()
        self._pending: set[ThumbnailKey] = set()
        self._failed: dict[ThumbnailKey, str] = {}

    def pixmap(self, path: str, side_px: int = GRID_SIDE_PX) -> QPixmap | None:
        """The thumbnail if it is in memory; else None, and it is loaded in the background."""
        key = (path, side_px)
        found = self._pixmaps.get(key)
        if found is not None:
            self._pixmaps.move_to_end(key)
            return found
        if key not in self._pending and key not in self._failed:
            self._pending.add(key)
            cache_dir, max_pixels = self._cache_dir, self._max_pixels
            self._tasks.submit(
                lambda: _make(cache_dir, key, max_pixels),
                pool="shared",
                on_result=self._on_task_result,
                on_error=self._on_task_error,
            )
        return None

    def is_cached(self, path: str, side_px: int = GRID_SIDE_PX) -> bool:
        """Whether the thumbnail is in memory (without asking for it)."""
        return (path, side_px) in self._pixmaps

    def problem(self, path: str, side_px: int = GRID_SIDE_PX) -> str:
        """Why no thumbnail could be made, or ``""``."""
        return self._failed.get((path, side_px), "")

    @property
    def cached_count(self) -> int:
        """How many pixmaps are held in memory."""
        return len(self._pixmaps)

    @Slot(object)
    def _on_task_result(self, made: _Made) -> None:
        self._pending.discard(made.key)
        if made.image is None:
            self._failed[made.key] = made.problem or "not an image"
        else:
            self._pixmaps[made.key] = QPixmap.fromImage(made.image)
            while len(self._pixmaps) > self._capacity:
                self._pixmaps.popitem(last=False)
        self.thumbnail_ready.emit(*made.key)

    @Slot(object)
    def _on_task_error(self, error: Exception) -> None:  # _make catches everything it expects
        logger.error("Thumbnail task failed: %s", error)
