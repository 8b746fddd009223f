"""The results grid: thumbnail, start of the caption, score and file name per cell."""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import (
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
    Slot,
)
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QGuiApplication,
    QKeyEvent,
    QPainter,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from core.types import SearchHit
from desktop_app.gui.thumbnails import GRID_SIDE_PX
from desktop_app.gui.views.results_list_model import DATE_ROLE, HIT_ROLE, ResultsListModel

CELL_PADDING_PX = 8
TEXT_LINES = 2
Index = QModelIndex | QPersistentModelIndex


class ResultDelegate(QStyledItemDelegate):
    """Paints one hit; text is drawn as plain text, never as markup.

    ``side_px`` is the thumbnail's side in the grid (the size slider sets it); thumbnails
    are made at ``GRID_SIDE_PX`` and drawn scaled down.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.side_px = GRID_SIDE_PX

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        line = option.fontMetrics.height()
        return QSize(
            self.side_px + 2 * CELL_PADDING_PX,
            self.side_px + 3 * CELL_PADDING_PX + TEXT_LINES * line,
        )

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        hit = index.data(HIT_ROLE)
        if not isinstance(hit, SearchHit):
            return
        painter.save()
        palette = option.palette
        rect = option.rect.adjusted(2, 2, -2, -2)
        is_selected = bool(option.state & QStyle.StateFlag.State_Selected)
        if is_selected:
            painter.setBrush(palette.color(QPalette.ColorRole.Highlight))
            painter.setPen(Qt.PenStyle.NoPen)
            painter.drawRoundedRect(rect, 8, 8)
        frame = QRect(
            rect.left() + CELL_PADDING_PX - 2,
            rect.top() + CELL_PADDING_PX - 2,
            self.side_px,
            self.side_px,
        )
        shown = self._paint_thumbnail(
            painter, frame, index.data(Qt.ItemDataRole.DecorationRole), palette
        )
        _paint_badge(painter, shown, badge_text(hit))
        text_color = QPalette.ColorRole.HighlightedText if is_selected else QPalette.ColorRole.Text
        subtle_color = text_color if is_selected else QPalette.ColorRole.PlaceholderText
        metrics = option.fontMetrics
        line = metrics.height()
        top = frame.bottom() + CELL_PADDING_PX
        width = frame.width()
        caption = hit.caption.replace("\n", " ").strip() or os.path.basename(hit.path)
        name = os.path.basename(hit.path)
        lines = (
            (metrics.elidedText(caption, Qt.TextElideMode.ElideRight, width), text_color),
            (
                metrics.elidedText(
                    f"{hit.score:.2f} · {name}" if _is_ranked(index) else _dated(index, name),
                    Qt.TextElideMode.ElideMiddle,
                    width,
                ),
                subtle_color,
            ),
        )
        for row, (text, role) in enumerate(lines):
            painter.setPen(palette.color(role))
            painter.drawText(
                QRect(frame.left(), top + row * line, width, line), Qt.AlignmentFlag.AlignLeft, text
            )
        if option.state & QStyle.StateFlag.State_HasFocus:
            painter.setPen(palette.color(QPalette.ColorRole.Highlight))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(rect, 8, 8)
        painter.restore()

    @staticmethod
    def _paint_thumbnail(
        painter: QPainter, frame: QRect, pixmap: object, palette: QPalette
    ) -> QRect:
        """Draw the thumbnail (or its placeholder); the rectangle it covers."""
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            scaled = pixmap.size().scaled(frame.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(frame.center())
            painter.drawPixmap(target, pixmap)
            return target
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
        painter.drawRoundedRect(frame, 6, 6)
        return frame


BADGES = {"video": "▶", "raw": "RAW"}
"""The mark on a thumbnail that is not a plain photo: a video's frame, a RAW's preview."""


def badge_text(hit: SearchHit) -> str:
    """``▶`` on a video, ``RAW`` on a RAW photo, ``""`` on any other photo."""
    return BADGES.get(hit.media, "")


def _paint_badge(painter: QPainter, thumbnail: QRect, text: str) -> None:
    """A small dark label in the thumbnail's lower left corner (readable on any picture)."""
    if not text:
        return
    metrics = painter.fontMetrics()
    pad = 4
    box = QRect(0, 0, metrics.horizontalAdvance(text) + 2 * pad, metrics.height() + pad)
    box.moveBottomLeft(thumbnail.bottomLeft() + QPoint(pad, -pad))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor(0, 0, 0, 170))
    painter.drawRoundedRect(box, 4, 4)
    painter.setPen(QColor(255, 255, 255))
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


def _copy_lines(paths: list[str]) -> None:
    QGuiApplication.clipboard().setText("\n".join(paths))


def _dated(index: Index, name: str) -> str:
    """``2024-05-31 · IMG_1.jpg`` for a photo listed by date."""
    day = str(index.data(DATE_ROLE) or "")[:10]
    return f"{day} · {name}" if day else name


def _is_ranked(index: Index) -> bool:
    """Whether to show the score: ranked hits in ranked order (sorted by date, or a listing
    of photos, shows the date)."""
    model = index.model()
    return getattr(model, "order", "relevance") == "relevance"


LAYOUT_BATCH = 200
"""Cells laid out per event-loop turn: a grid of 10,000 photos (every photo of the library)
is laid out in 50 short steps instead of one stall of a fifth of a second (measured: the
longest GUI-thread gap while 10,000 hits land falls from 167-199 ms to 16 ms, same process,
loaded 2-core machine)."""
OPEN_AT_ONCE = 10
"""More photos than this are not opened in one go (one viewer window each)."""


class ResultsView(QListView):
    """A grid of hits. Arrow keys move; Enter or a double click opens a hit; Shift and
    Ctrl select several, which the context menu acts on.

    Signals:
        hit_opened: the ``SearchHit`` to show in the detail view.
        more_wanted: the grid was scrolled near its end.
        search_requested: ``str`` path of a photo to search with.
        open_requested / reveal_requested / export_requested: ``list[str]`` paths.
        tag_requested: ``list[int]`` photo ids to tag.
        view_requested: ``int`` row to show in the full-size viewer (Space, or the menu).
    """

    hit_opened = Signal(object)
    more_wanted = Signal()
    search_requested = Signal(str)
    open_requested = Signal(object)
    reveal_requested = Signal(object)
    export_requested = Signal(object)
    tag_requested = Signal(object)
    view_requested = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultsView")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(LAYOUT_BATCH)
        self.setSpacing(6)
        self.setWordWrap(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.delegate = ResultDelegate(self)
        self.setItemDelegate(self.delegate)
        self.doubleClicked.connect(self._on_double_clicked)
        self._more_timer = QTimer(self)  # owned: never fires after the view is gone
        self._more_timer.setSingleShot(True)
        self._more_timer.setInterval(0)
        self._more_timer.timeout.connect(self._want_more_if_near_the_end)
        self._pending_scroll: int | None = None
        bar = self.verticalScrollBar()
        bar.valueChanged.connect(self._want_more_if_near_the_end)
        bar.rangeChanged.connect(self._restore_scroll)
        bar.rangeChanged.connect(self._want_more_if_near_the_end)

    @property
    def thumbnail_side(self) -> int:
        """The side of the thumbnails in the grid, in pixels."""
        return self.delegate.side_px

    def set_thumbnail_side(self, side_px: int) -> None:
        """Grow or shrink the grid's cells (the slider); the current photo stays in view."""
        if side_px == self.delegate.side_px:
            return
        self.delegate.side_px = side_px
        current = self.currentIndex()
        self.scheduleDelayedItemsLayout()
        self.executeDelayedItemsLayout()
        if current.isValid():
            self.scrollTo(current)

    def keep_place(self, media_id: int | None, scroll_value: int) -> None:
        """After the same query's hits were read again (new photos landed): the same photo
        stays current and the grid where it was, once it is laid out again."""
        model = self.model()
        if media_id is not None and isinstance(model, ResultsListModel):
            rows = (row for row, hit in enumerate(model.hits) if hit.media_id == media_id)
            row = next(rows, None)
            if row is not None:
                flag = QItemSelectionModel.SelectionFlag.ClearAndSelect
                self.selectionModel().setCurrentIndex(model.index(row, 0), flag)
        self._pending_scroll = scroll_value
        self._restore_scroll()

    @Slot()
    def _restore_scroll(self) -> None:
        bar = self.verticalScrollBar()
        if self._pending_scroll is not None and bar.maximum() >= self._pending_scroll:
            bar.setValue(self._pending_scroll)
            self._pending_scroll = None

    @Slot()
    def check_for_more(self) -> None:
        """Once laid out, ask for more hits if the grid ends within a viewport (also when
        it does not fill the view, so scrolling is never needed to see past a first page)."""
        self._more_timer.start()

    @Slot()
    def _want_more_if_near_the_end(self) -> None:
        """Near the bottom (or when the grid does not fill the view): ask for more hits."""
        bar = self.verticalScrollBar()
        model = self.model()
        if model is None or model.rowCount() == 0:
            return
        if bar.value() >= bar.maximum() - self.viewport().height():
            self.more_wanted.emit()

    def selected_hits(self) -> list[SearchHit]:
        """The selected hits in grid order (else the one under the keyboard cursor)."""
        rows = sorted(index.row() for index in self.selectionModel().selectedIndexes())
        model = self.model()
        hits = [model.index(row, 0).data(HIT_ROLE) for row in rows] if model else []
        chosen = [hit for hit in hits if isinstance(hit, SearchHit)]
        current = self.current_hit()
        return chosen or ([current] if current is not None else [])

    def context_menu(self) -> QMenu:
        """The actions on the selection (built afresh; its actions emit this view's signals)."""
        hits = self.selected_hits()
        paths = [hit.path for hit in hits]
        menu = QMenu(self)
        many = len(hits) > 1
        single = hits[0] if len(hits) == 1 else None
        open_text = f"Open {len(hits)} Photos" if many else "Open"
        can_open = 0 < len(hits) <= OPEN_AT_ONCE
        row = self.currentIndex().row()
        entries: list[tuple[str, Callable[[], None], bool]] = [
            ("View Full Size", lambda: self.view_requested.emit(row), single is not None),
            ("Show Details", lambda: self.hit_opened.emit(single), single is not None),
            ("Search with This Photo", lambda: self.search_requested.emit(paths[0]), not many),
            (open_text, lambda: self.open_requested.emit(paths), can_open),
            ("Show in Folder", lambda: self.reveal_requested.emit(paths), bool(hits)),
            ("Copy Paths" if many else "Copy Path", lambda: _copy_lines(paths), bool(hits)),
            ("Add Tag…", lambda: self.tag_requested.emit([h.media_id for h in hits]), bool(hits)),
            ("Export Copies…", lambda: self.export_requested.emit(paths), bool(hits)),
        ]  # fmt: skip
        for text, handler, is_enabled in entries:
            action = menu.addAction(text)
            action.triggered.connect(handler)
            action.setEnabled(is_enabled)
        if len(hits) > OPEN_AT_ONCE:
            menu.actions()[3].setToolTip(f"Select at most {OPEN_AT_ONCE} photos to open them.")
        return menu

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:  # noqa: N802 - Qt override
        index = self.indexAt(event.pos())
        if index.isValid() and not self.selectionModel().isSelected(index):
            self.setCurrentIndex(index)  # a right click on an unselected photo selects it
        if self.selected_hits():
            self.context_menu().exec(event.globalPos())

    def current_hit(self) -> SearchHit | None:
        """The hit under the keyboard cursor."""
        hit = self.currentIndex().data(HIT_ROLE)
        return hit if isinstance(hit, SearchHit) else None

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Space and self.currentIndex().isValid():
            self.view_requested.emit(self.currentIndex().row())
            return
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            hit = self.current_hit()
            if hit is not None:
                self.hit_opened.emit(hit)
                return
        super().keyPressEvent(event)

    @Slot(QModelIndex)
    def _on_double_clicked(self, index: QModelIndex) -> None:
        hit = index.data(HIT_ROLE)
        if isinstance(hit, SearchHit):
            self.hit_opened.emit(hit)
