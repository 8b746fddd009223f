"""QAbstractListModel over search hits; thumbnails are asked for only when a row is painted."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Slot,
)

from core.types import SearchHit
from desktop_app.thumbnails import GRID_SIDE_PX, ThumbnailLoader
from desktop_app.views.labels import plain_tooltip

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
"""The ``SearchHit`` of a row."""

Index = QModelIndex | QPersistentModelIndex


class ResultsListModel(QAbstractListModel):
    """The photos of the latest search, best first."""

    def __init__(self, thumbnails: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._hits: tuple[SearchHit, ...] = ()
        self.is_ranked = True
        self._rows_by_path: dict[str, list[int]] = {}
        self._thumbnails = thumbnails
        thumbnails.thumbnail_ready.connect(self._on_thumbnails_thumbnail_ready)

    @property
    def hits(self) -> tuple[SearchHit, ...]:
        """The hits on show."""
        return self._hits

    def set_hits(self, hits: Sequence[SearchHit], *, is_ranked: bool = True) -> None:
        """Show ``hits`` instead of the current ones (``is_ranked``: they carry scores)."""
        self.beginResetModel()
        self.is_ranked = is_ranked
        self._hits = tuple(hits)
        self._rows_by_path = {}
        for row, hit in enumerate(self._hits):
            self._rows_by_path.setdefault(hit.path, []).append(row)
        self.endResetModel()

    def thumbnail_count(self) -> int:
        """How many of the hits have their thumbnail in memory."""
        return sum(self._thumbnails.is_cached(hit.path) for hit in self._hits)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 - Qt API
        return 0 if parent.isValid() else len(self._hits)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._hits):
            return None
        hit = self._hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return hit.caption or os.path.basename(hit.path)
        if role == Qt.ItemDataRole.DecorationRole:
            return self._thumbnails.pixmap(hit.path, GRID_SIDE_PX)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(f"{hit.caption}\n{hit.path}" if hit.caption else hit.path)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{os.path.basename(hit.path)}, score {hit.score:.2f}"
        if role == HIT_ROLE:
            return hit
        return None

    @Slot(str, int)
    def _on_thumbnails_thumbnail_ready(self, path: str, side_px: int) -> None:
        if side_px != GRID_SIDE_PX:
            return
        for row in self._rows_by_path.get(path, []):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
