"""The results grid: thumbnail, start of the caption, score and file name per cell."""

from __future__ import annotations

import os

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal, Slot
from PySide6.QtGui import QKeyEvent, QPainter, QPalette, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from core.types import SearchHit
from desktop_app.thumbnails import GRID_SIDE_PX
from desktop_app.views.results_list_model import HIT_ROLE

CELL_PADDING_PX = 8
TEXT_LINES = 2
Index = QModelIndex | QPersistentModelIndex


class ResultDelegate(QStyledItemDelegate):
    """Paints one hit; text is drawn as plain text, never as markup."""

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:  # noqa: N802
        line = option.fontMetrics.height()
        return QSize(
            GRID_SIDE_PX + 2 * CELL_PADDING_PX,
            GRID_SIDE_PX + 3 * CELL_PADDING_PX + TEXT_LINES * line,
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
            GRID_SIDE_PX,
            GRID_SIDE_PX,
        )
        self._paint_thumbnail(painter, frame, index.data(Qt.ItemDataRole.DecorationRole), palette)
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
                    f"{hit.score:.2f} · {name}" if _is_ranked(index) else name,
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
    ) -> None:
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            scaled = pixmap.size().scaled(frame.size(), Qt.AspectRatioMode.KeepAspectRatio)
            target = QRect(0, 0, scaled.width(), scaled.height())
            target.moveCenter(frame.center())
            painter.drawPixmap(target, pixmap)
            return
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(palette.color(QPalette.ColorRole.AlternateBase))
        painter.drawRoundedRect(frame, 6, 6)


def _is_ranked(index: Index) -> bool:
    """Whether the hits carry scores (not a listing of filtered photos by date)."""
    model = index.model()
    return bool(getattr(model, "is_ranked", True))


class ResultsView(QListView):
    """A grid of hits. Arrow keys move; Enter or a double click opens a hit.

    Signals:
        hit_opened: the ``SearchHit`` to show in the detail view.
    """

    hit_opened = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("resultsView")
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setSpacing(6)
        self.setWordWrap(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setItemDelegate(ResultDelegate(self))
        self.doubleClicked.connect(self._on_double_clicked)

    def current_hit(self) -> SearchHit | None:
        """The hit under the keyboard cursor."""
        hit = self.currentIndex().data(HIT_ROLE)
        return hit if isinstance(hit, SearchHit) else None

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
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
