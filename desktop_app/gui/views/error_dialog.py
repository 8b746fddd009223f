"""A readable error with its details behind a toggle, and a button that copies them."""

from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.application.error_report import ErrorReport
from desktop_app.gui.views.labels import plain_label

DETAILS_HEIGHT_PX = 180


class ErrorDialog(QDialog):
    """Shows an :class:`ErrorReport`: summary, message, and (on demand) copyable details."""

    def __init__(self, report: ErrorReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("errorDialog")
        self.setWindowTitle(report.summary)
        self.setMinimumWidth(480)
        self._report = report
        self._details_edit = QPlainTextEdit(report.details)  # plain text by construction
        self._details_edit.setReadOnly(True)
        self._details_edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self._details_edit.setFixedHeight(DETAILS_HEIGHT_PX)
        self._details_edit.setVisible(False)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.details_button = QPushButton("Show details")
        self.details_button.setCheckable(True)
        self.details_button.toggled.connect(self._on_details_button_toggled)
        self.copy_button = QPushButton("Copy details")
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        buttons.addButton(self.details_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(plain_label(report.summary, scale=1.2, is_bold=True))
        layout.addWidget(plain_label(report.message, is_selectable=True))
        layout.addWidget(self._details_edit)
        layout.addWidget(buttons)

    @property
    def report(self) -> ErrorReport:
        """What the dialog shows."""
        return self._report

    @Slot(bool)
    def _on_details_button_toggled(self, is_shown: bool) -> None:
        self._details_edit.setVisible(is_shown)
        self.details_button.setText("Hide details" if is_shown else "Show details")
        self.adjustSize()

    @Slot()
    def _on_copy_button_clicked(self) -> None:
        text = f"{self._report.summary}\n{self._report.message}\n\n{self._report.details}"
        QGuiApplication.clipboard().setText(text)
        self.copy_button.setText("Copied")
