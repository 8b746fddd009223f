"""The library panel: folders with their counts, indexing progress with Cancel, skipped files."""

from __future__ import annotations

import os

from PySide6.QtCore import QLocale, Qt, Signal, Slot
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.library.watching.folder_watcher import FolderWatchState
from core.library.watching.service import WatchStatus
from core.types import IndexReport, SkippedFile
from desktop_app.application.library import FolderRow, LibraryOverview
from desktop_app.application.watch_text import SHORT_STATES, WATCHING_OFF, describe_state
from desktop_app.gui.controllers.indexing_controller import IndexProgress
from desktop_app.gui.views.labels import plain_label, plain_tooltip
from desktop_app.gui.views.progress_row import ProgressRow

FOLDER_TABLE_MAX_HEIGHT_PX = 200
COLUMNS = ("Folder", "Photos", "Captions", "Errors", "Watched")
WATCHED_COLUMN = 4
STARTING_TOOLTIP = "Starting to watch this folder…"


def _folder_name(path: str) -> str:
    return os.path.basename(path.rstrip(os.sep)) or path


def _count(value: int) -> str:
    return QLocale.system().toString(value)


def _kinds(overview: LibraryOverview) -> str:
    """`` (2 RAW, 1 video)``: how many of the items are RAW photos and videos, if any."""
    parts = []
    if overview.raw_photos:
        parts.append(f"{_count(overview.raw_photos)} RAW")
    if overview.videos:
        parts.append(f"{_count(overview.videos)} video{'s' if overview.videos != 1 else ''}")
    return f" ({', '.join(parts)})" if parts else ""


class LibraryPanel(QWidget):
    """Folders and indexing.

    Signals:
        add_folder_requested: the user wants to pick a folder to add.
        remove_folder_requested: the ``FolderRow`` the user wants removed.
        index_requested: the user wants the library brought up to date.
        cancel_requested: the user wants the running index stopped.
        skipped_requested: the user wants to see the skipped files.
        album_labels_toggled: ``(folder id, bool)`` whether the folder's first-level
            sub-folders should count as labels (albums) when training.
        folder_chosen: ``str`` path of a folder the user clicked (the results show its
            photos only).
    """

    add_folder_requested = Signal()
    remove_folder_requested = Signal(object)
    index_requested = Signal()
    cancel_requested = Signal()
    skipped_requested = Signal()
    album_labels_toggled = Signal(int, bool)
    folder_chosen = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("libraryPanel")
        self._folders: tuple[FolderRow, ...] = ()
        self._skipped: tuple[SkippedFile, ...] = ()
        self._watch_states: dict[str, FolderWatchState] = {}
        self._is_watching_off = False
        self._poll_interval_s = 5.0
        self.totals_label = plain_label(is_subtle=True)
        self.folder_table = self._build_table()
        self.add_button = QPushButton("Add Folder…")
        self.add_button.clicked.connect(self.add_folder_requested)
        self.remove_button = QPushButton("Remove")
        self.remove_button.setEnabled(False)
        self.remove_button.clicked.connect(self._on_remove_button_clicked)
        self.index_button = QPushButton("Index now")
        self.index_button.clicked.connect(self.index_requested)
        self.progress = ProgressRow()
        self.progress_label = self.progress.label
        self.progress_bar = self.progress.bar
        self.cancel_button = self.progress.cancel_button
        self.cancel_button.clicked.connect(self.cancel_requested)
        self.skipped_button = QPushButton()
        self.skipped_button.setFlat(True)
        self.skipped_button.setStyleSheet("text-align: left; padding: 2px 0;")
        self.skipped_button.clicked.connect(self.skipped_requested)
        self._lay_out()
        self.show_indexing(False)
        self.show_skipped(())

    def _build_table(self) -> QTableWidget:
        table = QTableWidget(0, len(COLUMNS))
        table.setObjectName("folderTable")
        table.setHorizontalHeaderLabels(list(COLUMNS))
        table.verticalHeader().setVisible(False)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        table.setWordWrap(False)
        table.setShowGrid(False)
        table.setAlternatingRowColors(True)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for column in range(1, len(COLUMNS)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        table.setMaximumHeight(FOLDER_TABLE_MAX_HEIGHT_PX)
        table.itemSelectionChanged.connect(self._on_folder_table_selection_changed)
        table.cellClicked.connect(self._on_folder_table_cell_clicked)
        self.album_action = QAction("Sub-folders Are Labels (Albums)", table)
        self.album_action.setCheckable(True)
        self.album_action.setEnabled(False)
        self.album_action.setToolTip(
            "Training learns from the album each photo sits in: its first-level sub-folder."
        )
        self.album_action.triggered.connect(self._on_album_action_triggered)
        table.addAction(self.album_action)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        return table

    def _lay_out(self) -> None:
        buttons = QHBoxLayout()
        buttons.setSpacing(6)
        for button in (self.add_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.index_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(plain_label("Library", scale=1.25, is_bold=True))
        layout.addWidget(self.totals_label)
        layout.addWidget(self.folder_table)
        layout.addLayout(buttons)
        layout.addWidget(self.progress_label)
        layout.addLayout(self.progress.bar_layout())
        layout.addWidget(self.skipped_button)
        layout.addStretch(1)

    @property
    def folders(self) -> tuple[FolderRow, ...]:
        """The folders on show."""
        return self._folders

    @Slot(object)
    def show_overview(self, overview: LibraryOverview) -> None:
        self.totals_label.setText(
            f"{_count(overview.photos)} photos{_kinds(overview)} · "
            f"{_count(overview.captions)} captions"
            + (f" · {_count(overview.pending)} waiting" if overview.pending else "")
        )
        selected = self._selected_folder()
        self._folders = overview.folders
        table = self.folder_table
        table.setRowCount(len(overview.folders))
        for row, folder in enumerate(overview.folders):
            cells = (_folder_name(folder.path), _count(folder.photos), _count(folder.captions))
            for column, value in enumerate((*cells, _count(folder.errors))):
                item = QTableWidgetItem(value)  # item text is always plain text
                if column:
                    item.setTextAlignment(
                        Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                    )
                albums = "\nIts sub-folders count as labels (albums)." * folder.is_album_source
                item.setToolTip(plain_tooltip(folder.path + albums))
                table.setItem(row, column, item)
            self._show_watched_cell(row, folder.path)
            if selected is not None and folder.id == selected.id:
                table.selectRow(row)
        self._on_folder_table_selection_changed()  # the selected folder's settings may change
        self.show_skipped(overview.skipped)

    @Slot(object)
    def show_watch_status(self, status: WatchStatus) -> None:
        """Fill the Watched column: yes, polling, missing or no, with the reason as a tooltip."""
        self._watch_states = {state.path: state for state in status.folders}
        for row, folder in enumerate(self._folders):
            self._show_watched_cell(row, folder.path)

    def set_poll_interval(self, poll_interval_s: float) -> None:
        """The interval the tooltips quote for polled and missing folders."""
        self._poll_interval_s = poll_interval_s

    def show_watching_off(self) -> None:
        """The settings turned watching off."""
        self._is_watching_off = True
        for row, folder in enumerate(self._folders):
            self._show_watched_cell(row, folder.path)

    def watched_text(self, row: int) -> str:
        """What the Watched column says for a row."""
        item = self.folder_table.item(row, WATCHED_COLUMN)
        return item.text() if item is not None else ""

    def _show_watched_cell(self, row: int, path: str) -> None:
        state = self._watch_states.get(path)
        if self._is_watching_off:
            text, tip = "off", WATCHING_OFF
        elif state is None:
            text, tip = "…", STARTING_TOOLTIP
        else:
            text, tip = SHORT_STATES[state.mode], describe_state(state, self._poll_interval_s)
        item = QTableWidgetItem(text)
        item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        item.setToolTip(plain_tooltip(tip))
        self.folder_table.setItem(row, WATCHED_COLUMN, item)

    @Slot(bool)
    def show_indexing(self, is_running: bool) -> None:
        self.progress.set_running(is_running)
        self.index_button.setEnabled(not is_running)

    @Slot(object)
    def show_progress(self, progress: IndexProgress) -> None:
        self.progress.show_progress(progress)

    @Slot()
    def show_cancelling(self) -> None:
        self.progress.show_stopping("Stopping after the current batch…")

    @Slot(object)
    def show_report(self, report: IndexReport) -> None:
        self.show_indexing(False)

    def show_skipped(self, skipped: tuple[SkippedFile, ...]) -> None:
        self._skipped = skipped
        count = len(skipped)
        self.skipped_button.setText(
            f"{count} file{'s' if count != 1 else ''} skipped — see why…" if count else ""
        )
        self.skipped_button.setVisible(bool(count))

    @property
    def skipped(self) -> tuple[SkippedFile, ...]:
        """The skipped files on record."""
        return self._skipped

    def _selected_folder(self) -> FolderRow | None:
        rows = self.folder_table.selectionModel().selectedRows()
        if not rows or rows[0].row() >= len(self._folders):
            return None
        return self._folders[rows[0].row()]

    @Slot(int, int)
    def _on_folder_table_cell_clicked(self, row: int, _column: int) -> None:
        if 0 <= row < len(self._folders):
            self.folder_chosen.emit(self._folders[row].path)

    @Slot()
    def _on_folder_table_selection_changed(self) -> None:
        folder = self._selected_folder()
        self.remove_button.setEnabled(folder is not None)
        self.album_action.setEnabled(folder is not None)
        self.album_action.setChecked(folder is not None and folder.is_album_source)

    @Slot(bool)
    def _on_album_action_triggered(self, is_checked: bool) -> None:
        folder = self._selected_folder()
        if folder is not None:
            self.album_labels_toggled.emit(folder.id, is_checked)

    @Slot()
    def _on_remove_button_clicked(self) -> None:
        folder = self._selected_folder()
        if folder is not None:
            self.remove_folder_requested.emit(folder)
