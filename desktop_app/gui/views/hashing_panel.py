"""The hashing card: the active method and its codes, what it learned from, how well it
retrieves the user's own labelled photos, training with progress and Cancel, switching."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Signal, Slot
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QPushButton, QVBoxLayout

from core.hashing.registry import HasherSpec, hasher_specs
from core.hashing.selection import AUTO
from core.library.training.online_progress import describe_online
from core.library.training.trainer import TrainOptions
from desktop_app.application.error_report import ErrorReport
from desktop_app.application.hashing import HashingOverview, TrainedHasher, short_title
from desktop_app.application.hashing_text import (
    EMPTY_INVITATION,
    NOT_INDEXED_INVITATION,
    describe_codes,
    describe_footprint,
    describe_labels,
    describe_own_map,
    longest_code,
)
from desktop_app.gui.controllers.indexing_controller import IndexProgress
from desktop_app.gui.views.dialogs import Dialogs
from desktop_app.gui.views.labels import plain_label, plain_tooltip
from desktop_app.gui.views.progress_row import ProgressRow

CARD_QSS = "QFrame#hashingPanel { border: 1px solid palette(mid); border-radius: 8px; }"
DEFAULT_METHOD = AUTO
DEFAULT_BITS = 64
_INDEXING_TIP = "Training waits until indexing has finished."


def switch_choice(hasher: TrainedHasher) -> str:
    """A line of the switch list: ``BATCH · 64 bits · v2``."""
    return f"{short_title(hasher.title)} · {hasher.n_bits} bits · v{hasher.version}"


class HashingPanel(QFrame):
    """Shows a ``HashingOverview``; asks what to train and which trained model to use.

    Signals:
        training_requested: the ``TrainOptions`` the user chose.
        cancel_requested: the user wants the training run stopped.
        activation_requested: ``int`` id of a trained hasher search should use.
    """

    training_requested = Signal(object)
    cancel_requested = Signal()
    activation_requested = Signal(int)

    def __init__(self, dialogs: Dialogs, specs: Sequence[HasherSpec] | None = None) -> None:
        super().__init__()
        self.setObjectName("hashingPanel")
        self.setStyleSheet(CARD_QSS)
        self._dialogs = dialogs
        self._specs = tuple(specs if specs is not None else hasher_specs())
        self._overview = HashingOverview(is_indexed=False)
        self._is_busy = False
        self._is_indexing = False
        self.title_label = plain_label("Hashing", is_bold=True)
        self.method_label = plain_label(is_selectable=True)
        self.codes_label = plain_label(is_subtle=True)
        self.footprint_label = plain_label()
        self.labels_label = plain_label()
        self.own_map_label = plain_label()
        self.own_map_label.setObjectName("ownMapLabel")
        self.message_label = plain_label()
        self.progress = ProgressRow(is_subtle=True)
        self.progress_label = self.progress.label
        self.progress_bar = self.progress.bar
        self.cancel_button = self.progress.cancel_button
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.switch_label = plain_label("Use:")
        self.switch_combo = QComboBox()
        self.switch_combo.setToolTip(plain_tooltip("Switch search to a model trained earlier."))
        self.switch_combo.activated.connect(self._on_switch_combo_activated)
        self.train_button = QPushButton("Train…")
        self.train_button.clicked.connect(self._on_train_button_clicked)
        self._lay_out()
        self.show_training(False)
        self.show_overview(self._overview)

    def _lay_out(self) -> None:
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        buttons.addWidget(self.switch_label)
        buttons.addWidget(self.switch_combo, 1)
        buttons.addStretch(0)
        buttons.addWidget(self.train_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 12, 10)
        layout.setSpacing(6)
        layout.addWidget(self.title_label)
        for label in (
            self.message_label, self.method_label, self.codes_label, self.footprint_label,
            self.labels_label, self.own_map_label, self.progress_label,
        ):  # fmt: skip
            layout.addWidget(label)
        layout.addLayout(self.progress.bar_layout())
        layout.addLayout(buttons)

    @property
    def overview(self) -> HashingOverview:
        """The state on show."""
        return self._overview

    @Slot(object)
    def show_overview(self, overview: HashingOverview) -> None:
        self._overview = overview
        active = overview.active
        if not overview.is_indexed:
            self.message_label.setText(NOT_INDEXED_INVITATION)
        elif active is None:
            self.message_label.setText(EMPTY_INVITATION)
        self.message_label.setVisible(active is None)
        self.method_label.setText(active.title if active else "")
        self.codes_label.setText(describe_codes(active) if active else "")
        self.footprint_label.setText(
            describe_footprint(overview.footprint) if overview.footprint else ""
        )
        labels = describe_labels(active, overview.details) if active else ""
        online = overview.details.online
        if active and online is not None:
            labels = f"{labels}\n{describe_online(online)}"
        self.labels_label.setText(labels)
        self.own_map_label.setText(describe_own_map(overview.own_map) if overview.own_map else "")
        for label in (self.method_label, self.codes_label, self.footprint_label):
            label.setVisible(active is not None)
        self.labels_label.setVisible(active is not None)
        self.own_map_label.setVisible(overview.own_map is not None)
        self.train_button.setText("Retrain…" if active else "Train…")
        self._fill_switch_combo(overview.trained)
        self._enable()

    @Slot(object)
    def show_overview_failure(self, report: ErrorReport) -> None:
        """A read of the state failed: say so in the card; what was on show stays."""
        self.message_label.setText(f"{report.summary}. {report.message}")
        self.message_label.setVisible(True)

    def _fill_switch_combo(self, trained: tuple[TrainedHasher, ...]) -> None:
        self.switch_combo.clear()
        for hasher in trained:
            self.switch_combo.addItem(switch_choice(hasher), hasher.id)
            if hasher.is_active:
                self.switch_combo.setCurrentIndex(self.switch_combo.count() - 1)
        for widget in (self.switch_label, self.switch_combo):
            widget.setVisible(len(trained) > 1)

    @Slot(bool)
    def show_training(self, is_running: bool) -> None:
        self.progress.set_running(is_running)

    @Slot(object)
    def show_progress(self, progress: IndexProgress) -> None:
        self.progress.show_progress(progress)

    @Slot(bool)
    def show_busy(self, is_busy: bool) -> None:
        """Training or switching runs: no second one until it ends."""
        self._is_busy = is_busy
        if not is_busy:
            self.show_training(False)
        self._enable()

    @Slot(bool)
    def show_indexing(self, is_indexing: bool) -> None:
        """Indexing runs: training waits for its features."""
        self._is_indexing = is_indexing
        self._enable()

    def _enable(self) -> None:
        is_free = not self._is_busy and not self._is_indexing
        self.train_button.setEnabled(is_free and self._overview.is_indexed and bool(self._specs))
        self.train_button.setToolTip(plain_tooltip(_INDEXING_TIP) if self._is_indexing else "")
        self.switch_combo.setEnabled(is_free)

    def code_limits(self) -> dict[str, tuple[int, str]]:
        """Per method, the longest code it can train on this library, and why."""
        overview, limits = self._overview, {}
        for spec in self._specs:
            limit = longest_code(spec.key, overview.feature_dim, overview.labelled_photos)
            if limit is not None:
                limits[spec.key] = limit
        return limits

    def _current_options(self) -> TrainOptions:
        active = self._overview.active
        if active is not None:
            return TrainOptions(active.key, active.n_bits)
        return TrainOptions(DEFAULT_METHOD, DEFAULT_BITS)

    @Slot()
    def _on_train_button_clicked(self) -> None:
        chosen = self._dialogs.choose_training(
            self, self._specs, self._current_options(), self.code_limits()
        )
        if chosen is not None:
            self.training_requested.emit(chosen)

    @Slot()
    def _on_cancel_button_clicked(self) -> None:
        self.progress.show_stopping("Stopping…")
        self.cancel_requested.emit()

    @Slot(int)
    def _on_switch_combo_activated(self, index: int) -> None:
        hasher_id = self.switch_combo.itemData(index)
        active = self._overview.active
        if hasher_id is not None and (active is None or int(hasher_id) != active.id):
            self.activation_requested.emit(int(hasher_id))
