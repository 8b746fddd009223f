"""The full-size viewer: one photo at a time, next/previous, zoom and full screen.

Keys: Left/Right (or PgUp/PgDown) previous/next, + and - zoom, 0 fits the window, 1 shows
the photo at 100 %, F or F11 full screen, Esc leaves full screen or closes. Ctrl+wheel
zooms too. Pixels come from a ``FullImageLoader`` (decoded off the GUI thread).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QKeyEvent, QKeySequence, QPixmap, QResizeEvent, QShortcut, QWheelEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.types import SearchHit
from desktop_app.gui.full_images import FullImage, FullImageLoader
from desktop_app.gui.views.labels import plain_label

ZOOM_STEP = 1.25
MIN_ZOOM, MAX_ZOOM = 0.05, 16.0
VIEWER_SIZE = (1000, 720)


class PhotoViewer(QWidget):
    """A window showing the photos of a result list, one at a time, at full size."""

    def __init__(self, loader: FullImageLoader, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("photoViewer")
        self.setWindowTitle("HashLens")
        self.resize(*VIEWER_SIZE)
        self._loader = loader
        self._hits: tuple[SearchHit, ...] = ()
        self._row = 0
        self._pixmap: QPixmap | None = None
        self._zoom: float | None = None  # None: fit to the window
        self.image_label = QLabel()
        self.image_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll_area = QScrollArea()
        self.scroll_area.setObjectName("viewerScroll")
        self.scroll_area.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.scroll_area.setWidget(self.image_label)
        self.scroll_area.setWidgetResizable(False)
        self.caption_label = plain_label(is_subtle=True)
        self.caption_label.setWordWrap(False)
        self.position_label = plain_label(is_subtle=True)
        self.previous_button = QPushButton("‹ Previous")
        self.next_button = QPushButton("Next ›")
        self.fit_button = QPushButton("Fit")
        self.actual_button = QPushButton("100 %")
        self.full_screen_button = QPushButton("Full Screen")
        self.previous_button.clicked.connect(self.show_previous)
        self.next_button.clicked.connect(self.show_next)
        self.fit_button.clicked.connect(self.fit)
        self.actual_button.clicked.connect(lambda: self.set_zoom(1.0))
        self.full_screen_button.clicked.connect(self.toggle_full_screen)
        self._lay_out()
        self._add_shortcuts()
        loader.loaded.connect(self._on_loader_loaded)

    def _lay_out(self) -> None:
        bar = QHBoxLayout()
        bar.setSpacing(6)
        bar.addWidget(self.previous_button)
        bar.addWidget(self.next_button)
        bar.addWidget(self.position_label)
        bar.addWidget(self.caption_label, 1)
        for button in (self.fit_button, self.actual_button, self.full_screen_button):
            bar.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self.scroll_area, 1)
        layout.addLayout(bar)

    def _add_shortcuts(self) -> None:
        keys = [
            ((Qt.Key.Key_Right, Qt.Key.Key_PageDown), self.show_next),
            ((Qt.Key.Key_Left, Qt.Key.Key_PageUp), self.show_previous),
            ((Qt.Key.Key_Plus, Qt.Key.Key_Equal), self.zoom_in),
            ((Qt.Key.Key_Minus,), self.zoom_out),
            ((Qt.Key.Key_0,), self.fit),
            ((Qt.Key.Key_1,), lambda: self.set_zoom(1.0)),
            ((Qt.Key.Key_F, Qt.Key.Key_F11), self.toggle_full_screen),
        ]
        for codes, handler in keys:
            for code in codes:
                QShortcut(QKeySequence(code), self, handler)

    # what is shown -----------------------------------------------------------
    @property
    def current(self) -> SearchHit | None:
        """The photo on show."""
        return self._hits[self._row] if self._hits else None

    @property
    def zoom(self) -> float:
        """The scale the photo is drawn at (1.0 = one image pixel per screen pixel)."""
        if self._pixmap is None or self._pixmap.isNull():
            return 1.0
        return self._zoom if self._zoom is not None else self._fit_scale()

    def show_hits(self, hits: Sequence[SearchHit], row: int) -> None:
        """Show ``hits[row]``; next and previous walk ``hits``."""
        self._hits = tuple(hits)
        self._row = max(0, min(row, len(self._hits) - 1))
        self._load()

    @Slot()
    def show_next(self) -> None:
        if self._row + 1 < len(self._hits):
            self._row += 1
            self._load()

    @Slot()
    def show_previous(self) -> None:
        if self._row > 0:
            self._row -= 1
            self._load()

    @Slot()
    def zoom_in(self) -> None:
        self.set_zoom(self.zoom * ZOOM_STEP)

    @Slot()
    def zoom_out(self) -> None:
        self.set_zoom(self.zoom / ZOOM_STEP)

    @Slot()
    def fit(self) -> None:
        """Scale the photo to fit the window (the default)."""
        self._zoom = None
        self._draw()

    def set_zoom(self, zoom: float) -> None:
        """Draw the photo at ``zoom`` (clamped to 5 %-1600 %)."""
        self._zoom = max(MIN_ZOOM, min(MAX_ZOOM, zoom))
        self._draw()

    @Slot()
    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def _load(self) -> None:
        hit = self.current
        if hit is None:
            return
        name = os.path.basename(hit.path)
        self.setWindowTitle(f"{name} — HashLens")
        self.caption_label.setText(hit.caption.replace("\n", " ") or name)
        self.position_label.setText(f"{self._row + 1} of {len(self._hits)}")
        self.previous_button.setEnabled(self._row > 0)
        self.next_button.setEnabled(self._row + 1 < len(self._hits))
        self._pixmap = None
        self._zoom = None
        full = self._loader.request(hit.path)
        if full is None:
            self.image_label.setPixmap(QPixmap())
            self.image_label.setText("Loading…")
            self.image_label.adjustSize()
        else:
            self._show_full(full)

    @Slot(object)
    def _on_loader_loaded(self, full: FullImage) -> None:
        hit = self.current
        if hit is not None and full.path == hit.path:
            self._show_full(full)

    def _show_full(self, full: FullImage) -> None:
        if full.image is None:
            self._pixmap = None
            self.image_label.setPixmap(QPixmap())
            self.image_label.setText(full.problem)
            self.image_label.resize(self.scroll_area.viewport().size())
            return
        self._pixmap = QPixmap.fromImage(full.image)
        self._draw()

    def _fit_scale(self) -> float:
        assert self._pixmap is not None
        area = self.scroll_area.viewport().size()
        scale = min(area.width() / self._pixmap.width(), area.height() / self._pixmap.height())
        return min(1.0, scale)  # never blow a small photo up to fit

    def _draw(self) -> None:
        if self._pixmap is None or self._pixmap.isNull():
            return
        zoom = self.zoom
        size = self._pixmap.size() * zoom
        mode = Qt.TransformationMode.SmoothTransformation
        scaled = self._pixmap.scaled(size, Qt.AspectRatioMode.KeepAspectRatio, mode)
        self.image_label.setText("")
        self.image_label.setPixmap(scaled)
        self.image_label.resize(scaled.size())
        self.fit_button.setEnabled(self._zoom is not None)

    # events -------------------------------------------------------------------
    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        if self._zoom is None:
            self._draw()

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt override
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            (self.zoom_in if event.angleDelta().y() > 0 else self.zoom_out)()
            event.accept()
            return
        super().wheelEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        if event.key() == Qt.Key.Key_Escape:
            if self.isFullScreen():
                self.showNormal()
            else:
                self.close()
            return
        super().keyPressEvent(event)
