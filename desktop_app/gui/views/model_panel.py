"""The model card: which CLIP model reads the photos, and how to get one when it is missing."""

from __future__ import annotations

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QFrame, QHBoxLayout, QProgressBar, QPushButton, QVBoxLayout

from desktop_app.application.progress_text import format_bytes
from desktop_app.gui.controllers.model_controller import ModelState
from desktop_app.gui.views.labels import plain_label

CARD_QSS = "QFrame#modelPanel { border: 1px solid palette(mid); border-radius: 8px; }"

_INTRO = (
    "HashLens needs a CLIP model to understand your photos. It runs on this computer; "
    "nothing is uploaded."
)
_OFFLINE = "No internet here? Import the weights file or folder you copied over."


class ModelPanel(QFrame):
    """Shows a ``ModelState``; asks for a download or an import when the model is missing.

    Signals:
        download_requested: the user wants the default model downloaded.
        import_file_requested: the user wants to pick a weights file.
        import_folder_requested: the user wants to pick a weights folder.
    """

    download_requested = Signal()
    import_file_requested = Signal()
    import_folder_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("modelPanel")
        self.setStyleSheet(CARD_QSS)
        self.title_label = plain_label("Model", is_bold=True)
        self.message_label = plain_label(is_selectable=True)
        self.hint_label = plain_label(_OFFLINE, is_subtle=True)
        self.progress_bar = QProgressBar()
        self.progress_bar.setTextVisible(False)
        self.download_button = QPushButton("Download")
        self.download_button.clicked.connect(self.download_requested)
        self.import_file_button = QPushButton("Import file…")
        self.import_file_button.clicked.connect(self.import_file_requested)
        self.import_folder_button = QPushButton("Import folder…")
        self.import_folder_button.clicked.connect(self.import_folder_requested)
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for button in (self.download_button, self.import_file_button, self.import_folder_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(8)
        layout.addWidget(self.title_label)
        layout.addWidget(self.message_label)
        layout.addWidget(self.progress_bar)
        layout.addLayout(buttons)
        layout.addWidget(self.hint_label)
        self.show_state(ModelState("unknown", ""))

    @property
    def needs_attention(self) -> bool:
        """Whether the user has to act (no model yet, or it failed to load)."""
        return self.download_button.isVisibleTo(self)

    @Slot(object)
    def show_state(self, state: ModelState) -> None:
        asks = state.kind in {"needed", "failed"}
        working = state.kind == "working"
        self.title_label.setText("Model" if not asks else "Choose a model")
        self.message_label.setText(self._message(state))
        self.progress_bar.setVisible(working)
        if state.progress is not None and state.progress[1] > 0:
            self.progress_bar.setRange(0, 1000)
            self.progress_bar.setValue(int(1000 * state.progress[0] / state.progress[1]))
        else:
            self.progress_bar.setRange(0, 0)  # busy indicator
        size = f" ({format_bytes(state.download_bytes)})" if state.download_bytes else ""
        self.download_button.setText(f"Download{size}")
        for widget in (
            self.download_button, self.import_file_button, self.import_folder_button,
            self.hint_label,
        ):  # fmt: skip
            widget.setVisible(asks)
        self.setVisible(state.kind != "unknown")

    @staticmethod
    def _message(state: ModelState) -> str:
        if state.kind == "ready":
            return f"{state.name} is ready."
        if state.kind == "working":
            return f"{state.name}: {state.message}"
        if state.kind == "failed":
            return f"{state.message}\n\n{_INTRO}"
        size = f", about {format_bytes(state.download_bytes)}," if state.download_bytes else ""
        return f"{_INTRO} Download {state.name}{size} once, or import one you already have."
