"""The main window: a search field, one central page per library state, a status bar.

Wiring only: the window shows what it is given (``show_*`` slots) and reports what
the user did (signals). It never opens the library; the composition root in
``desktop_app.app`` connects it to the controller that does, off the GUI thread.
Every text is plain text: paths and captions are never interpreted as markup.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QLocale, QSize, Qt, Signal, Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QFont, QFontDatabase, QIcon, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QMainWindow,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

WINDOW_SIZE = QSize(960, 640)
MINIMUM_SIZE = QSize(640, 480)
STATUS_PATH_WIDTH_PX = 420
CONTENT_WIDTH_PX = 560
ICON_SIZE = QSize(96, 96)

_SUBTLE_FRAME_QSS = "QFrame#{name} {{ border: {style} palette(mid); border-radius: 10px; }}"


@dataclass(frozen=True, slots=True)
class LibrarySummary:
    """What the window shows about a library (read off the GUI thread)."""

    library_path: Path
    folders: tuple[str, ...]
    photos_indexed: int
    photos_pending: int
    photos_skipped: int
    captions: int

    @property
    def folder_count(self) -> int:
        """How many folders are registered."""
        return len(self.folders)


@dataclass(frozen=True, slots=True)
class FoldersAdded:
    """Outcome of dropping folders on the window."""

    added: tuple[str, ...]
    rejected: tuple[str, ...]  # one user message per path that is not a folder
    summary: LibrarySummary


def _label(
    text: str = "",
    *,
    scale: float = 1.0,
    is_bold: bool = False,
    is_subtle: bool = False,
    is_selectable: bool = False,
    is_monospace: bool = False,
) -> QLabel:
    """A plain-text, word-wrapping label that follows the system palette."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont) if is_monospace else None
    font = QFont(font or label.font())
    if scale != 1.0:
        font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(is_bold)
    label.setFont(font)
    if is_subtle:
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    if is_selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def _centered_column(page: QWidget, *widgets: QWidget) -> None:
    """Stack ``widgets`` in a fixed-width column centred on ``page``.

    The column fills the page's height, so the vertical layout gives each wrapped
    label the height its text needs at the column's width.
    """
    column = QWidget()
    column.setFixedWidth(CONTENT_WIDTH_PX)
    stack = QVBoxLayout(column)
    stack.setContentsMargins(0, 0, 0, 0)
    stack.setSpacing(12)
    stack.addStretch(1)
    for widget in widgets:
        stack.addWidget(widget)
    stack.addStretch(2)
    outer = QHBoxLayout(page)
    outer.addStretch(1)
    outer.addWidget(column)
    outer.addStretch(1)


class _EmptyPage(QWidget):
    """First run: a drop zone that says how to add photos."""

    def __init__(self, icon: QIcon, cli_command: str) -> None:
        super().__init__()
        self.setObjectName("emptyPage")
        zone = QFrame()
        zone.setObjectName("dropZone")
        zone.setStyleSheet(_SUBTLE_FRAME_QSS.format(name="dropZone", style="2px dashed"))
        icon_label = QLabel()
        icon_label.setFixedSize(ICON_SIZE)
        icon_label.setPixmap(icon.pixmap(ICON_SIZE))
        title = _label("Your library is empty", scale=1.6, is_bold=True)
        body = _label("Drag a folder of photos here, or run these commands in a terminal:")
        commands = _label(
            f"{cli_command} add DIR\n{cli_command} index", is_monospace=True, is_selectable=True
        )
        inside = QVBoxLayout(zone)
        inside.setContentsMargins(40, 36, 40, 36)
        inside.setSpacing(16)
        inside.addWidget(icon_label, 0, Qt.AlignmentFlag.AlignHCenter)
        for label in (title, body, commands):
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            inside.addWidget(label)  # full width, so wrapped text gets the zone's width
        _centered_column(self, zone)


class _MessagePage(QWidget):
    """A title and a message: used while loading and when the library cannot be used."""

    def __init__(self, name: str, title: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self._title_label = _label(title, scale=1.4, is_bold=True)
        self._message_label = _label(is_selectable=True)
        self._hint_label = _label(is_subtle=True)
        _centered_column(self, self._title_label, self._message_label, self._hint_label)
        self.set_message("")

    def set_message(self, message: str, hint: str = "") -> None:
        for label, text in ((self._message_label, message), (self._hint_label, hint)):
            label.setText(text)
            label.setVisible(bool(text))


class _StatTile(QFrame):
    """One count with its caption."""

    def __init__(self, caption: str) -> None:
        super().__init__()
        self.setObjectName("statTile")
        self.setStyleSheet(_SUBTLE_FRAME_QSS.format(name="statTile", style="1px solid"))
        self._value_label = _label("0", scale=1.8, is_bold=True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 10, 16, 10)
        layout.addWidget(self._value_label)
        layout.addWidget(_label(caption, is_subtle=True))
        layout.addStretch(1)  # values and captions line up across tiles when one wraps

    def set_value(self, value: int) -> None:
        self._value_label.setText(QLocale.system().toString(value))


class _SummaryPage(QWidget):
    """Counts, the next step, and the registered folders."""

    _CAPTIONS = ("Photos indexed", "Waiting to be indexed", "Skipped", "Captions", "Folders")

    def __init__(self, cli_command: str) -> None:
        super().__init__()
        self.setObjectName("summaryPage")
        self._cli_command = cli_command
        self._tiles = [_StatTile(caption) for caption in self._CAPTIONS]
        self._hint_label = _label(is_subtle=True)
        self._folder_list = QListWidget()
        self._folder_list.setAlternatingRowColors(True)
        self._folder_list.setUniformItemSizes(True)
        self._folder_list.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self._folder_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self._folder_list.setStyleSheet("QListWidget::item { padding: 4px 6px; }")

        tiles = QGridLayout()
        tiles.setSpacing(12)
        for column, tile in enumerate(self._tiles):
            tiles.addWidget(tile, 0, column)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 16, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(_label("Library", scale=1.4, is_bold=True))
        layout.addLayout(tiles)
        layout.addWidget(self._hint_label)
        layout.addSpacing(8)
        layout.addWidget(_label("Folders", is_bold=True))
        layout.addWidget(self._folder_list, 1)

    def set_summary(self, summary: LibrarySummary) -> None:
        values = (
            summary.photos_indexed,
            summary.photos_pending,
            summary.photos_skipped,
            summary.captions,
            summary.folder_count,
        )
        for tile, value in zip(self._tiles, values, strict=True):
            tile.set_value(value)
        self._hint_label.setText(self._next_step(summary))
        self._folder_list.clear()
        self._folder_list.addItems(list(summary.folders))  # items are plain text
        for row, path in enumerate(summary.folders):
            self._folder_list.item(row).setToolTip(path)

    def _next_step(self, summary: LibrarySummary) -> str:
        index = f'run "{self._cli_command} index" in a terminal'
        if summary.photos_pending:
            count = QLocale.system().toString(summary.photos_pending)
            return f"{count} photos are waiting to be indexed: {index}."
        if summary.photos_indexed == 0:
            return f"No photos scanned yet: {index} to scan the folders below."
        return f"To pick up new or changed photos, {index}."


class MainWindow(QMainWindow):
    """The HashLens window.

    Signals:
        folders_dropped: ``tuple[Path, ...]`` of local paths dropped on the window.
    """

    folders_dropped = Signal(object)

    def __init__(self, library_path: Path, icon: QIcon, cli_command: str = "hashlens") -> None:
        super().__init__()
        self._cli_command = cli_command
        self.setWindowTitle("HashLens")
        self.setWindowIcon(icon)
        self.setAcceptDrops(True)
        self.resize(WINDOW_SIZE)
        self.setMinimumSize(MINIMUM_SIZE)

        self._query_edit = QLineEdit()
        self._query_edit.setPlaceholderText("Search your photos…")
        self._query_edit.setClearButtonEnabled(True)
        self._query_edit.setAcceptDrops(False)  # a dropped folder is for the window
        self._query_edit.returnPressed.connect(self._on_query_edit_return_pressed)

        self._loading_page = _MessagePage("loadingPage", "Opening the library…")
        self._error_page = _MessagePage("errorPage", "This library can’t be opened")
        self._empty_page = _EmptyPage(icon, cli_command)
        self._summary_page = _SummaryPage(cli_command)
        self._pages = QStackedWidget()
        for page in (self._loading_page, self._error_page, self._empty_page, self._summary_page):
            self._pages.addWidget(page)

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.setContentsMargins(16, 16, 16, 8)
        layout.addWidget(self._query_edit)
        layout.addWidget(self._pages, 1)
        self.setCentralWidget(central)
        self._build_status_bar(library_path)

    def _build_status_bar(self, library_path: Path) -> None:
        path_label = _label(is_subtle=True)
        path_label.setWordWrap(False)
        text = str(library_path)
        elided = path_label.fontMetrics().elidedText(
            text, Qt.TextElideMode.ElideMiddle, STATUS_PATH_WIDTH_PX
        )
        path_label.setText(f"Library: {elided}")
        path_label.setToolTip(text)
        self.statusBar().addPermanentWidget(path_label)

    @property
    def current_page(self) -> str:
        """Object name of the page on show (``emptyPage``, ``summaryPage``, ``errorPage``…)."""
        page = self._pages.currentWidget()
        return page.objectName() if page is not None else ""

    def set_query(self, text: str) -> None:
        self._query_edit.setText(text)

    @Slot()
    def show_loading(self) -> None:
        self._pages.setCurrentWidget(self._loading_page)

    @Slot(object)
    def show_summary(self, summary: LibrarySummary) -> None:
        self.setAcceptDrops(True)
        if summary.folder_count == 0:
            self._pages.setCurrentWidget(self._empty_page)
        else:
            self._summary_page.set_summary(summary)
            self._pages.setCurrentWidget(self._summary_page)

    @Slot(str)
    def show_library_error(self, message: str) -> None:
        """The library cannot be used at all: say why, and refuse drops."""
        self.setAcceptDrops(False)
        hint = "Open another library with: hashlens-gui --library FILE"
        self._error_page.set_message(message, hint)
        self._pages.setCurrentWidget(self._error_page)

    @Slot(str)
    def show_message(self, message: str) -> None:
        self.statusBar().showMessage(message)

    @Slot(object)
    def show_folders_added(self, outcome: FoldersAdded) -> None:
        parts = list(outcome.rejected)
        if len(outcome.added) == 1:
            parts.insert(0, f"Added {outcome.added[0]}. {self._index_hint('its')}")
        elif outcome.added:
            parts.insert(0, f"Added {len(outcome.added)} folders. {self._index_hint('their')}")
        self.show_message(" ".join(parts))

    def _index_hint(self, whose: str) -> str:
        return f'Run "{self._cli_command} index" in a terminal to scan {whose} photos.'

    @Slot()
    def _on_query_edit_return_pressed(self) -> None:
        query = self._query_edit.text().strip()
        if not query:
            return
        command = f"{self._cli_command} search {shlex.quote(query)}"
        self.show_message(f"Searching from this window is not there yet. In a terminal: {command}")

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        paths = tuple(Path(u.toLocalFile()) for u in event.mimeData().urls() if u.isLocalFile())
        if not paths:
            return
        event.acceptProposedAction()
        self.show_message("Adding to the library…")
        self.folders_dropped.emit(paths)
