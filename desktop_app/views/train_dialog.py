"""The training dialog: which method, how many bits, whether album folders count as labels."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QVBoxLayout,
    QWidget,
)

from core.hashing.registry import HasherSpec
from core.hashing.selection import AUTO
from core.indexing.trainer import TrainOptions
from desktop_app.hashing_text import (
    AUTO_CHOICE,
    AUTO_EXPLANATION,
    method_choice,
    method_explanation,
)
from desktop_app.views.labels import plain_label, plain_tooltip

CODE_LENGTHS = (16, 32, 64, 128)
DIALOG_WIDTH_PX = 440
_INTRO = (
    "Training reads the features already in the library (CLIP does not run again), "
    "gives every photo and caption a code, and switches search to it."
)
_ALBUMS = "Count album folders as labels"
_ALBUMS_TIP = "A photo in <library folder>/Holidays/… gets the label “holidays”."


class TrainDialog(QDialog):
    """Asks what to train; ``options()`` holds the answer."""

    def __init__(
        self, specs: Sequence[HasherSpec], current: TrainOptions, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Train a hashing model")
        self.setMinimumWidth(DIALOG_WIDTH_PX)
        self._specs = tuple(specs)
        self.method_combo = QComboBox()
        tip_role = Qt.ItemDataRole.ToolTipRole
        self.method_combo.addItem(AUTO_CHOICE, AUTO)
        self.method_combo.setItemData(0, plain_tooltip(AUTO_EXPLANATION), tip_role)
        for row, spec in enumerate(self._specs, start=1):
            self.method_combo.addItem(method_choice(spec), spec.key)
            self.method_combo.setItemData(row, plain_tooltip(spec.title), tip_role)
        self.explanation_label = plain_label(is_subtle=True)
        self.bits_combo = QComboBox()
        for bits in CODE_LENGTHS:
            self.bits_combo.addItem(f"{bits} bits ({bits // 8} bytes per item)", bits)
        self.albums_check = QCheckBox(_ALBUMS)
        self.albums_check.setToolTip(plain_tooltip(_ALBUMS_TIP))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Train")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._lay_out()
        self.method_combo.currentIndexChanged.connect(self._on_method_combo_changed)
        self._select(current)

    def _lay_out(self) -> None:
        form = QFormLayout()
        form.addRow("Method:", self.method_combo)
        form.addRow("", self.explanation_label)
        form.addRow("Code length:", self.bits_combo)
        form.addRow("", self.albums_check)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(plain_label(_INTRO))
        layout.addLayout(form)
        layout.addWidget(self.buttons)

    def _select(self, current: TrainOptions) -> None:
        self.method_combo.setCurrentIndex(max(self.method_combo.findData(current.method), 0))
        self.bits_combo.setCurrentIndex(max(self.bits_combo.findData(current.n_bits), 0))
        self.albums_check.setChecked(current.albums)
        self._on_method_combo_changed()

    def options(self) -> TrainOptions:
        """The choice on show."""
        return TrainOptions(
            method=str(self.method_combo.currentData()),
            n_bits=int(self.bits_combo.currentData()),
            albums=self.albums_check.isChecked(),
        )

    @Slot()
    def _on_method_combo_changed(self) -> None:
        index = self.method_combo.currentIndex() - 1
        if index == -1:
            self.explanation_label.setText(AUTO_EXPLANATION)
        elif 0 <= index < len(self._specs):
            self.explanation_label.setText(method_explanation(self._specs[index]))


def ask_for_training(
    parent: QWidget, specs: Sequence[HasherSpec], current: TrainOptions
) -> TrainOptions | None:
    """Show the dialog; the chosen options, or None when cancelled."""
    dialog = TrainDialog(specs, current, parent)
    return dialog.options() if dialog.exec() == QDialog.DialogCode.Accepted else None
