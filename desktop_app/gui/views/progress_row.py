"""A job's progress in a panel: a line of text, a bar and Cancel, shown only while it runs."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton

from desktop_app.gui.controllers.indexing_controller import IndexProgress
from desktop_app.gui.views.labels import plain_label


class ProgressRow:
    """The widgets of one job's progress; the panel places ``label`` and ``bar_layout()``."""

    def __init__(self, *, is_subtle: bool = False) -> None:
        self.label = plain_label(is_subtle=is_subtle)
        self.bar = QProgressBar()
        self.bar.setTextVisible(False)
        self.cancel_button = QPushButton("Cancel")

    def bar_layout(self) -> QHBoxLayout:
        """The bar with Cancel beside it."""
        row = QHBoxLayout()
        row.addWidget(self.bar, 1)
        row.addWidget(self.cancel_button)
        return row

    def set_running(self, is_running: bool) -> None:
        """Show (with a busy bar until the first update) or hide the row."""
        for widget in (self.label, self.bar, self.cancel_button):
            widget.setVisible(is_running)
        self.cancel_button.setEnabled(True)
        if is_running:
            self.label.setText("Starting…")
            self.bar.setRange(0, 0)

    def show_progress(self, progress: IndexProgress) -> None:
        """One update: its text, and the bar filled where the total is known."""
        self.label.setText(progress.text)
        if progress.total > 1:
            self.bar.setRange(0, progress.total)
            self.bar.setValue(progress.done)
        else:
            self.bar.setRange(0, 0)

    def show_stopping(self, text: str) -> None:
        """Cancel was pressed: say what happens now; Cancel cannot be pressed twice."""
        self.cancel_button.setEnabled(False)
        self.label.setText(text)
