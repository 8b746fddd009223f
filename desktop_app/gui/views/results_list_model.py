"""QAbstractListModel over search hits; thumbnails are asked for only when a row is painted.

Hits come best first (or, for a listing of photos, newest first). The user may sort them
by date instead; more hits of the same query (infinite scrolling) are appended without a
reset, so the scroll position and the selection stay where they were.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from PySide6.QtCore import (
    QAbstractListModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Slot,
)

from core.types import SearchHit
from desktop_app.gui.thumbnails import GRID_SIDE_PX, ThumbnailLoader
from desktop_app.gui.views.labels import plain_tooltip

HIT_ROLE = Qt.ItemDataRole.UserRole + 1
"""The ``SearchHit`` of a row."""
DATE_ROLE = Qt.ItemDataRole.UserRole + 2
MEDIA_WORDS = {"video": "video", "raw": "RAW photo"}
"""How a screen reader names an item that is not a plain photo (``SearchHit.media``)."""
"""The photo's date (taken, else file time) as ISO text, or ``""``."""

Index = QModelIndex | QPersistentModelIndex
SortOrder = Literal["relevance", "newest", "oldest"]
SORT_ORDERS: tuple[tuple[SortOrder, str], ...] = (
    ("relevance", "Best match"),
    ("newest", "Newest first"),
    ("oldest", "Oldest first"),
)


class ResultsListModel(QAbstractListModel):
    """The photos of the latest search, in the chosen order."""

    def __init__(self, thumbnails: ThumbnailLoader, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._given: tuple[SearchHit, ...] = ()
        self._hits: tuple[SearchHit, ...] = ()
        self._dates: dict[int, str] = {}
        self._rows_by_path: dict[str, list[int]] = {}
        self._thumbnails = thumbnails
        self.is_ranked = True
        self._choice: SortOrder = "relevance"
        thumbnails.thumbnail_ready.connect(self._on_thumbnails_thumbnail_ready)

    @property
    def hits(self) -> tuple[SearchHit, ...]:
        """The hits on show, in the order shown."""
        return self._hits

    @property
    def order(self) -> SortOrder:
        """How the hits are sorted: the user's choice, where it applies (a listing of
        photos has no relevance, so it is newest first then)."""
        if self.is_ranked or self._choice == "oldest":
            return self._choice
        return "newest"

    def set_hits(
        self,
        hits: Sequence[SearchHit],
        *,
        is_ranked: bool = True,
        dates: Mapping[int, str] | None = None,
    ) -> None:
        """Show ``hits`` (best first when ``is_ranked``, else newest first).

        When ``hits`` starts with the hits on show (more of the same query), the new ones
        are appended in place.
        """
        given = tuple(hits)
        self._dates = {**self._dates, **dict(dates or {})} if given else {}
        is_more = (
            is_ranked == self.is_ranked
            and len(given) > len(self._given) > 0
            and given[: len(self._given)] == self._given
            and self.order == ("relevance" if is_ranked else "newest")
        )
        if is_more:
            first = len(self._hits)
            self.beginInsertRows(QModelIndex(), first, len(given) - 1)
            self._given = given
            self._hits = given
            self._index_rows(first)
            self.endInsertRows()
            return
        self.beginResetModel()
        self.is_ranked = is_ranked
        self._given = given
        self._hits = self._sorted(given)
        self._rows_by_path = {}
        self._index_rows(0)
        self.endResetModel()

    def set_order(self, order: SortOrder) -> None:
        """Sort by relevance (ranked hits only) or by date."""
        if order == self._choice:
            return
        self.beginResetModel()
        self._choice = order
        self._hits = self._sorted(self._given)
        self._rows_by_path = {}
        self._index_rows(0)
        self.endResetModel()

    def _sorted(self, given: tuple[SearchHit, ...]) -> tuple[SearchHit, ...]:
        order = self.order
        if order == "relevance" or (order == "newest" and not self.is_ranked):
            return given
        if order == "oldest" and not self.is_ranked:
            return given[::-1]
        dates = self._dates
        return tuple(
            sorted(given, key=lambda h: dates.get(h.media_id, ""), reverse=order == "newest")
        )

    def _index_rows(self, first: int) -> None:
        for row in range(first, len(self._hits)):
            self._rows_by_path.setdefault(self._hits[row].path, []).append(row)

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
            name = os.path.basename(hit.path)
            if hit.media in MEDIA_WORDS:
                name = f"{name}, {MEDIA_WORDS[hit.media]}"
            return f"{name}, score {hit.score:.2f}" if self.is_ranked else name
        if role == HIT_ROLE:
            return hit
        if role == DATE_ROLE:
            return self._dates.get(hit.media_id, "")
        return None

    @Slot(str, int)
    def _on_thumbnails_thumbnail_ready(self, path: str, side_px: int) -> None:
        if side_px != GRID_SIDE_PX:
            return
        for row in self._rows_by_path.get(path, []):
            index = self.index(row)
            self.dataChanged.emit(index, index, [Qt.ItemDataRole.DecorationRole])
