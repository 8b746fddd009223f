"""The status bar's watching indicator: how many folders are watched, how many changes wait."""

from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QLabel

from core.library.watching.service import WatchStatus
from desktop_app.application.watch_text import WATCHING_OFF, status_details, status_line
from desktop_app.gui.views.labels import plain_tooltip

ATTENTION_MARK = "⚠ "
GAP_PX = 16


class WatchIndicator(QLabel):
    """A short line in the status bar; the tooltip names each folder and how it is watched."""

    def __init__(self, poll_interval_s: float = 5.0) -> None:
        super().__init__()
        self.setObjectName("watchIndicator")
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setContentsMargins(0, 0, GAP_PX, 0)  # apart from the library path beside it
        self._poll_interval_s = poll_interval_s
        self.setVisible(False)

    def set_poll_interval(self, poll_interval_s: float) -> None:
        """The interval the tooltip quotes for polled and missing folders."""
        self._poll_interval_s = poll_interval_s

    @Slot(object)
    def show_status(self, status: WatchStatus) -> None:
        """Show what watching does now (hidden while the library has no folders)."""
        self.setVisible(bool(status.folders))
        mark = ATTENTION_MARK if status.watched < len(status.folders) else ""
        self.setText(mark + status_line(status))
        self.setToolTip(plain_tooltip(status_details(status, self._poll_interval_s)))

    @Slot()
    def show_off(self) -> None:
        """The settings turned watching off."""
        self.setVisible(True)
        self.setText("Not watching folders")
        self.setToolTip(plain_tooltip(WATCHING_OFF))
