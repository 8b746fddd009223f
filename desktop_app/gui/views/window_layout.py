"""The window's fixed widgets: search field, scrolling sidebar, central area, status path.

Layout only: these build widgets from the parts the window owns and connect nothing.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.search.query_syntax import SYNTAX_HINT
from desktop_app.gui.views.labels import plain_label, plain_tooltip
from desktop_app.gui.views.window_drops import DROP_QSS

STATUS_PATH_WIDTH_PX = 420


def build_query_edit() -> QLineEdit:
    """The search field; its tooltip is the query syntax as ``hashlens search`` reads it."""
    edit = QLineEdit()
    edit.setObjectName("queryEdit")
    edit.setPlaceholderText("Search your photos…  (Ctrl+F)")
    edit.setClearButtonEnabled(True)
    edit.setToolTip(plain_tooltip(SYNTAX_HINT))  # as hashlens search reads it
    edit.setAcceptDrops(False)  # a dropped folder or photo is for the window
    return edit


def build_sidebar_scroll(panels: list[QWidget]) -> QScrollArea:
    """The side panels stacked in a scroll area no narrower than they need.

    The first panel takes the spare height; too short a window scrolls, never overlaps.
    """
    sidebar = QWidget()
    side = QVBoxLayout(sidebar)
    side.setContentsMargins(0, 8, 12, 0)
    side.setSpacing(12)
    for i, panel in enumerate(panels):
        side.addWidget(panel, 1 if i == 0 else 0)
    scroll = QScrollArea()
    scroll.setObjectName("sidebarScroll")
    scroll.setWidget(sidebar)
    scroll.setWidgetResizable(True)  # too short a window scrolls, never overlaps
    scroll.setFrameShape(QScrollArea.Shape.NoFrame)
    scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    bar = scroll.verticalScrollBar().sizeHint().width()
    scroll.setMinimumWidth(sidebar.minimumSizeHint().width() + bar)
    return scroll


def build_central(top: list[QWidget], pages: QStackedWidget) -> QWidget:
    """The central area: ``top`` in a row (the first stretches) above ``pages``.

    Named ``centralArea`` so that ``DROP_QSS`` can frame it while a drag is over it.
    """
    row = QHBoxLayout()
    row.setSpacing(8)
    for i, widget in enumerate(top):
        row.addWidget(widget, 1 if i == 0 else 0)
    central = QWidget()
    central.setObjectName("centralArea")
    central.setStyleSheet(DROP_QSS)
    central.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
    layout = QVBoxLayout(central)
    layout.setContentsMargins(16, 12, 16, 8)
    layout.addLayout(row)
    layout.addWidget(pages, 1)
    return central


def library_path_label(library_path: Path) -> QLabel:
    """The status bar's ``Library: …`` label, elided in the middle, full path as tooltip."""
    path_label = plain_label(is_subtle=True)
    path_label.setWordWrap(False)
    text = str(library_path)
    elided = path_label.fontMetrics().elidedText(
        text, Qt.TextElideMode.ElideMiddle, STATUS_PATH_WIDTH_PX
    )
    path_label.setText(f"Library: {elided}")
    path_label.setToolTip(plain_tooltip(text))
    path_label.setObjectName("libraryPathLabel")
    return path_label
