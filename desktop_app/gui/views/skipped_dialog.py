"""The files that could not be indexed, each with its reason."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.store.records import printable
from core.types import SkippedFile
from desktop_app.gui.views.labels import plain_label, plain_tooltip


class SkippedDialog(QDialog):
    """A table of skipped files (path, reason); they are retried when they change.

    Files that could not be read just then (moved, no permission) are retried at every scan.
    """

    def __init__(self, skipped: tuple[SkippedFile, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("skippedDialog")
        self.setWindowTitle("Skipped files")
        self.resize(760, 420)
        self.table = QTableWidget(len(skipped), 2)
        self.table.setHorizontalHeaderLabels(["File", "Why"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.setColumnWidth(0, 300)
        for row, item in enumerate(skipped):
            for column, text in enumerate((printable(item.path), item.reason)):
                cell = QTableWidgetItem(text)
                cell.setToolTip(plain_tooltip(text))
                self.table.setItem(row, column, cell)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            plain_label(
                "These files could not be used. HashLens tries them again when they change, "
                "and at every scan if they only could not be read just then.",
                is_subtle=True,
            )
        )
        layout.addWidget(self.table)
        layout.addWidget(buttons)

    def rows(self) -> list[tuple[str, str]]:
        """(file, reason) as shown."""
        cells = [[self.table.item(r, c) for c in (0, 1)] for r in range(self.table.rowCount())]
        return [(f.text() if f else "", w.text() if w else "") for f, w in cells]
