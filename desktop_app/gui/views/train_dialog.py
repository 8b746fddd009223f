"""The training dialog: which method, how many bits, whether album folders count as labels."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtCore import Qt, Slot
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLayout,
    QVBoxLayout,
    QWidget,
)

from core.hashing.registry import HasherSpec
from core.hashing.selection import AUTO
from core.library.training.trainer import TrainOptions
from desktop_app.application.hashing_text import (
    AUTO_CHOICE,
    AUTO_EXPLANATION,
    RECOMMENDATION,
    method_choice,
    method_explanation,
)
from desktop_app.gui.views.labels import plain_label, plain_tooltip

CODE_LENGTHS = (16, 32, 64, 128)
DIALOG_WIDTH_PX = 440
_INTRO = (
    "Training reads the features already in the library (CLIP does not run again), "
    "gives every photo and caption a code, and switches search to it."
)
_ALBUMS = "Count album folders as labels"
_ALBUMS_TIP = "A photo in <library folder>/Holidays/… gets the label “holidays”."


Limits = Mapping[str, tuple[int, str]]
"""Per method key: the longest code it can train on this library, and why."""


class TrainDialog(QDialog):
    """Asks what to train; ``options()`` holds the answer. Code lengths a method would
    refuse on this library (``limits``) are not offered for it."""

    def __init__(
        self,
        specs: Sequence[HasherSpec],
        current: TrainOptions,
        parent: QWidget | None = None,
        limits: Limits | None = None,
    ) -> None:
        super().__init__(parent)
        self._limits = dict(limits or {})
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
        self.recommendation_label = plain_label(RECOMMENDATION)
        self.bits_note_label = plain_label(is_subtle=True)
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
        form.addRow("Learn from:", self.method_combo)
        form.addRow("Code length:", self.bits_combo)
        form.addRow("", self.bits_note_label)
        form.addRow("", self.albums_check)
        layout = QVBoxLayout(self)
        layout.setSpacing(10)
        layout.addWidget(plain_label(_INTRO))
        layout.addWidget(self.recommendation_label)
        layout.addLayout(form)
        layout.addWidget(self.explanation_label)  # full width: long explanations wrap, unclipped
        layout.addWidget(self.buttons)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinimumSize)

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
            self._offer_lengths(AUTO)
        elif 0 <= index < len(self._specs):
            self.explanation_label.setText(method_explanation(self._specs[index]))
            self._offer_lengths(self._specs[index].key)

    def _offer_lengths(self, key: str) -> None:
        """Enable only the code lengths ``key`` can train here; keep the choice if it can."""
        limit = self._limits.get(key)
        model = self.bits_combo.model()
        valid: list[int] = []
        for row in range(self.bits_combo.count()):
            bits = int(self.bits_combo.itemData(row))
            is_valid = limit is None or bits <= limit[0]
            item = model.item(row) if isinstance(model, QStandardItemModel) else None
            if item is not None:
                item.setEnabled(is_valid)
            if is_valid:
                valid.append(row)
        if valid and self.bits_combo.currentIndex() not in valid:
            self.bits_combo.setCurrentIndex(valid[-1])
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(bool(valid))
        if limit is None:
            self.bits_note_label.setText("")
        elif valid:
            self.bits_note_label.setText(f"Longer codes are not offered: {limit[1]}.")
        else:
            self.bits_note_label.setText(f"No code length fits yet: {limit[1]}.")
        self.bits_note_label.setVisible(limit is not None)

    def offered_lengths(self) -> list[int]:
        """The code lengths that can be chosen for the method on show."""
        model = self.bits_combo.model()
        assert isinstance(model, QStandardItemModel)
        return [
            int(self.bits_combo.itemData(row))
            for row in range(self.bits_combo.count())
            if model.item(row).isEnabled()
        ]


def ask_for_training(
    parent: QWidget, specs: Sequence[HasherSpec], current: TrainOptions, limits: Limits
) -> TrainOptions | None:
    """Show the dialog; the chosen options, or None when cancelled."""
    dialog = TrainDialog(specs, current, parent, limits)
    return dialog.options() if dialog.exec() == QDialog.DialogCode.Accepted else None
