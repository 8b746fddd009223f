"""The Dialogs service: every modal question and file picker goes through it.

The window gets one in its constructor; tests pass a recording fake instead of
patching ``QMessageBox`` or ``QFileDialog``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMessageBox, QWidget

from core.hashing.registry import HasherSpec
from core.library.training.trainer import TrainOptions
from desktop_app.application.error_report import ErrorReport
from desktop_app.gui.views.error_dialog import ErrorDialog
from desktop_app.gui.views.train_dialog import ask_for_training

IMAGE_FILTER = "Images (*.jpg *.jpeg *.png *.webp *.heic *.heif *.avif *.tif *.tiff *.bmp *.gif)"
WEIGHTS_FILTER = "Model weights (*.safetensors *.bin *.pt *.pth);;All files (*)"


class Dialogs(Protocol):
    """Questions the window asks; each returns the answer (None or False when cancelled)."""

    def error(self, parent: QWidget, report: ErrorReport) -> None:
        """Show an error with its details."""

    def confirm(self, parent: QWidget, title: str, question: str, action: str) -> bool:
        """Ask before doing ``action`` (the button's label)."""

    def pick_folder(self, parent: QWidget, title: str) -> Path | None:
        """A folder chosen by the user."""

    def pick_file(self, parent: QWidget, title: str, name_filter: str) -> Path | None:
        """A file chosen by the user."""

    def ask_text(self, parent: QWidget, title: str, label: str) -> str | None:
        """A line of text typed by the user (a tag name...)."""

    def choose_training(
        self,
        parent: QWidget,
        specs: Sequence[HasherSpec],
        current: TrainOptions,
        limits: Mapping[str, tuple[int, str]],
    ) -> TrainOptions | None:
        """What to train (method, code length, album labels), starting from ``current``;
        ``limits``: per method, the longest code it can train on this library, and why."""


class QtDialogs:
    """The real dialogs."""

    def error(self, parent: QWidget, report: ErrorReport) -> None:
        ErrorDialog(report, parent).exec()

    def confirm(self, parent: QWidget, title: str, question: str, action: str) -> bool:
        box = QMessageBox(QMessageBox.Icon.Question, title, question, parent=parent)
        box.setTextFormat(Qt.TextFormat.PlainText)
        confirm = box.addButton(action, QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return box.clickedButton() is confirm

    def pick_folder(self, parent: QWidget, title: str) -> Path | None:
        chosen = QFileDialog.getExistingDirectory(parent, title)
        return Path(chosen) if chosen else None

    def pick_file(self, parent: QWidget, title: str, name_filter: str) -> Path | None:
        chosen, _ = QFileDialog.getOpenFileName(parent, title, "", name_filter)
        return Path(chosen) if chosen else None

    def ask_text(self, parent: QWidget, title: str, label: str) -> str | None:
        text, is_ok = QInputDialog.getText(parent, title, label)
        return text if is_ok and text.strip() else None

    def choose_training(
        self,
        parent: QWidget,
        specs: Sequence[HasherSpec],
        current: TrainOptions,
        limits: Mapping[str, tuple[int, str]],
    ) -> TrainOptions | None:
        return ask_for_training(parent, specs, current, limits)
