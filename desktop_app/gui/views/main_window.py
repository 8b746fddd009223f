"""The main window: search field, library side panel, results, detail view, menus, status bar.

Wiring only: the window shows what it is given (``show_*`` slots) and reports what
the user did (signals). It never opens the library or touches files; the composition
root in ``desktop_app.gui.app`` connects it to the controllers that do, off the GUI thread.
Every text is plain text: paths and captions are never interpreted as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QEvent, QSize, Qt, Signal, Slot
from PySide6.QtGui import (
    QCloseEvent,
    QDragEnterEvent,
    QDragLeaveEvent,
    QDragMoveEvent,
    QDropEvent,
    QGuiApplication,
    QIcon,
    QKeyEvent,
    QKeySequence,
    QShortcut,
)
from PySide6.QtWidgets import (
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from core.types import IndexReport, SearchHit
from desktop_app.application.error_report import ErrorReport
from desktop_app.application.library import FolderRow, FoldersAdded, LibraryOverview
from desktop_app.gui.full_images import FullImageLoader
from desktop_app.gui.preferences import Preferences
from desktop_app.gui.thumbnails import ThumbnailLoader
from desktop_app.gui.views import window_drops as drops
from desktop_app.gui.views.dialogs import IMAGE_FILTER, WEIGHTS_FILTER, Dialogs
from desktop_app.gui.views.duplicates_page import DuplicatesPage
from desktop_app.gui.views.hashing_panel import HashingPanel
from desktop_app.gui.views.library_panel import LibraryPanel
from desktop_app.gui.views.menus import add_menu
from desktop_app.gui.views.model_panel import ModelPanel
from desktop_app.gui.views.pages import EmptyPage, MessagePage
from desktop_app.gui.views.search_area import SearchArea
from desktop_app.gui.views.skipped_dialog import SkippedDialog
from desktop_app.gui.views.viewer import PhotoViewer
from desktop_app.gui.views.watch_indicator import WatchIndicator
from desktop_app.gui.views.window_layout import (
    build_central,
    build_query_edit,
    build_sidebar_scroll,
    library_path_label,
)
from desktop_app.gui.views.window_messages import folders_added_text, index_report_text
from desktop_app.gui.views.window_navigation import ViewNavigator

WINDOW_SIZE = QSize(1180, 760)
MINIMUM_SIZE = QSize(760, 520)
SIDEBAR_WIDTH_PX = 380


class MainWindow(QMainWindow):
    """The HashLens window.

    Signals:
        folders_chosen: ``tuple[Path, ...]`` dropped on the window or picked from a dialog.
        folder_removal_confirmed: ``int`` id of a folder the user agreed to remove.
        image_chosen: ``Path`` of an image to search with (dropped, picked or a result).
        image_pasted: ``QImage`` from the clipboard to search with.
        weights_chosen: ``Path`` of a model weights file or folder to import.
        hit_opened: ``SearchHit`` whose photo the detail view should show.
        duplicates_requested: ``bool`` the user asked to see the duplicate groups (with
            bursts when True).
        query_edited: ``str`` as the user types; ``query_submitted`` on Enter.
    """

    folders_chosen = Signal(object)
    folder_removal_confirmed = Signal(int)
    image_chosen = Signal(object)
    image_pasted = Signal(object)
    weights_chosen = Signal(object)
    hit_opened = Signal(object)
    query_edited = Signal(str)
    query_submitted = Signal(str)
    duplicates_requested = Signal(bool)

    def __init__(
        self,
        library_path: Path,
        icon: QIcon,
        thumbnails: ThumbnailLoader,
        dialogs: Dialogs,
        preferences: Preferences,
        full_images: FullImageLoader | None = None,
    ) -> None:
        super().__init__()
        self._dialogs = dialogs
        self._preferences = preferences
        self._photo_count = 0
        self.skipped_dialog: SkippedDialog | None = None
        self.setWindowTitle("HashLens")
        self.setWindowIcon(icon)
        self.setAcceptDrops(True)
        self.setMinimumSize(MINIMUM_SIZE)

        self.query_edit = build_query_edit()
        self.query_edit.textEdited.connect(self.query_edited)
        self.query_edit.returnPressed.connect(self._on_query_edit_return_pressed)
        self.query_edit.installEventFilter(self)
        self.photo_button = QPushButton("Search by Photo…")
        self.photo_button.clicked.connect(self._on_photo_button_clicked)

        self.model_panel = ModelPanel()
        self.first_run_model_panel = ModelPanel()
        self.library_panel = LibraryPanel()
        self.hashing_panel = HashingPanel(dialogs)
        self.search_area = SearchArea(thumbnails)
        self.duplicates_page = DuplicatesPage(thumbnails)
        self.search_area.addWidget(self.duplicates_page)
        self._navigator = ViewNavigator(self, self.search_area, self.duplicates_page, full_images)
        self._build_pages(icon)
        self._build_menus()
        self._build_status_bar(library_path)
        self._connect_children()
        self.reset_layout()
        preferences.restore(self, self.splitter)

    def _build_pages(self, icon: QIcon) -> None:
        self.loading_page = MessagePage("loadingPage", "Opening the library…")
        self.error_page = MessagePage("errorPage", "This library can’t be opened")
        self.empty_page = EmptyPage(icon, self.first_run_model_panel)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setObjectName("librarySplitter")
        self.sidebar_scroll = build_sidebar_scroll(
            [self.library_panel, self.hashing_panel, self.model_panel]
        )
        self.splitter.addWidget(self.sidebar_scroll)
        self.splitter.addWidget(self.search_area)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        library_page = QWidget()
        library_page.setObjectName("libraryPage")
        page_layout = QVBoxLayout(library_page)
        page_layout.setContentsMargins(0, 0, 0, 0)
        page_layout.addWidget(self.splitter)
        self.pages = QStackedWidget()
        for page in (self.loading_page, self.error_page, self.empty_page, library_page):
            self.pages.addWidget(page)
        self.library_page = library_page
        self._central = build_central([self.query_edit, self.photo_button], self.pages)
        self.setCentralWidget(self._central)

    def _build_menus(self) -> None:
        bar, keys = self.menuBar(), QKeySequence.StandardKey
        add_menu(bar, self, "&File", [
            ("&Add Folder…", self.ask_for_folder, [keys.Open]),
            ("Search by &Photo…", self._on_photo_button_clicked, ["Ctrl+Shift+O"]),
            None,
            ("Import Model &File…", self.ask_for_weights_file, []),
            ("Import Model F&older…", self.ask_for_weights_folder, []),
            None,
            ("&Quit", self.close, [keys.Quit]),
        ])  # fmt: skip
        add_menu(bar, self, "&Edit", [
            ("&Find", self.focus_search, [keys.Find]),
            ("Search with Pasted &Image", self.paste_image, ["Ctrl+Shift+V", keys.Paste]),
        ])  # fmt: skip
        add_menu(bar, self, "&View", [
            ("Find &Duplicates", self.show_duplicates, ["Ctrl+Shift+D"]),
        ])  # fmt: skip
        QShortcut(QKeySequence("/"), self, self.focus_search)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.escape)

    def _build_status_bar(self, library_path: Path) -> None:
        self.watch_indicator = WatchIndicator()
        self.statusBar().addPermanentWidget(self.watch_indicator)
        self.statusBar().addPermanentWidget(library_path_label(library_path))

    def _connect_children(self) -> None:
        self.empty_page.add_folder_requested.connect(self.ask_for_folder)
        panel = self.library_panel
        panel.add_folder_requested.connect(self.ask_for_folder)
        panel.remove_folder_requested.connect(self._on_library_panel_remove_folder_requested)
        panel.skipped_requested.connect(self.show_skipped_files)
        for model_panel in (self.model_panel, self.first_run_model_panel):
            model_panel.import_file_requested.connect(self.ask_for_weights_file)
            model_panel.import_folder_requested.connect(self.ask_for_weights_folder)
        area = self.search_area
        area.results_view.hit_opened.connect(self.hit_opened)
        area.image_query_panel.hit_opened.connect(self.hit_opened)
        area.detail_page.back_requested.connect(self.back_from_detail)
        area.results_view.hit_opened.connect(self._on_results_view_hit_opened)
        area.results_view.view_requested.connect(self._navigator.view_result)
        area.detail_page.view_requested.connect(self._navigator.view_detail_photo)
        area.detail_page.search_requested.connect(self._on_detail_page_search_requested)
        duplicates = self.duplicates_page
        duplicates.back_requested.connect(self.leave_duplicates)
        duplicates.refresh_requested.connect(
            lambda: self.duplicates_requested.emit(duplicates.include_bursts)
        )
        duplicates.hit_opened.connect(self._on_duplicates_page_hit_opened)
        duplicates.view_requested.connect(self.open_viewer)

    @property
    def dialogs(self) -> Dialogs:
        """The questions the window asks (files, folders, confirmations, text)."""
        return self._dialogs

    @property
    def viewer(self) -> PhotoViewer | None:
        """The full-size viewer, once a photo was shown in it."""
        return self._navigator.viewer

    @property
    def current_page(self) -> str:
        """Object name of the whole-window page (``emptyPage``, ``libraryPage``, ``errorPage``…)."""
        page = self.pages.currentWidget()
        return page.objectName() if page is not None else ""

    @property
    def current_view(self) -> str:
        """Object name of the right-side page (``hintPage``, ``resultsPage``, ``detailPage``)."""
        return self.search_area.current_view

    def reset_layout(self) -> None:
        """Default size and panel widths (for screenshots that must not depend on the last run)."""
        self.resize(WINDOW_SIZE)
        self.splitter.setSizes([SIDEBAR_WIDTH_PX, WINDOW_SIZE.width() - SIDEBAR_WIDTH_PX])

    def set_query(self, text: str) -> None:
        self.query_edit.setText(text)

    # shown state -----------------------------------------------------------
    @Slot()
    def show_loading(self) -> None:
        self.pages.setCurrentWidget(self.loading_page)

    @Slot(object)
    def show_overview(self, overview: LibraryOverview) -> None:
        self.setAcceptDrops(True)
        self._photo_count = overview.photos
        self.library_panel.show_overview(overview)
        has_folders = bool(overview.folders)
        self.query_edit.setEnabled(has_folders)
        self.photo_button.setEnabled(has_folders)
        if not has_folders:
            self.pages.setCurrentWidget(self.empty_page)
            return
        if self.pages.currentWidget() is not self.library_page:
            self.pages.setCurrentWidget(self.library_page)
            self.search_area.show_hint(overview.photos)
        elif self.current_view == "hintPage":
            self.search_area.show_hint(overview.photos)

    @Slot(str)
    def show_library_error(self, message: str) -> None:
        """The library cannot be used at all: say why, and refuse drops."""
        self.setAcceptDrops(False)
        self.query_edit.setEnabled(False)
        self.photo_button.setEnabled(False)
        self.error_page.set_message(
            message, "Open another library with: hashlens-gui --library FILE"
        )
        self.pages.setCurrentWidget(self.error_page)

    @Slot(str)
    def show_message(self, message: str) -> None:
        self.statusBar().showMessage(message)

    @Slot(object)
    def show_error(self, report: ErrorReport) -> None:
        self.show_message(f"{report.summary}: {report.message}")
        self._dialogs.error(self, report)

    @Slot(object)
    def show_folders_added(self, outcome: FoldersAdded) -> None:
        self.show_message(folders_added_text(outcome))

    @Slot(object)
    def show_index_report(self, report: IndexReport) -> None:
        self.library_panel.show_indexing(False)
        self.show_message(index_report_text(report))

    @Slot()
    def show_skipped_files(self) -> None:
        self.skipped_dialog = SkippedDialog(self.library_panel.skipped, self)
        self.skipped_dialog.show()

    # user actions ----------------------------------------------------------
    @Slot()
    def focus_search(self) -> None:
        self.query_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.query_edit.selectAll()

    @Slot()
    def show_duplicates(self) -> None:
        """Show the duplicates view and ask for its groups (once a library is open)."""
        if self.current_page != "libraryPage":
            self.show_message("Add a folder first; then HashLens can look for duplicates.")
            return
        self._navigator.show_duplicates()
        self.duplicates_requested.emit(self.duplicates_page.include_bursts)

    @Slot()
    def leave_duplicates(self) -> bool:
        """Back from the duplicates view to the photos; False if it was not on show."""
        return self._navigator.leave_duplicates()

    @Slot()
    def back_from_detail(self) -> bool:
        """Leave the detail view for the view it was opened from; False if not on show."""
        return self._navigator.back_from_detail()

    @Slot(object)
    def _on_duplicates_page_hit_opened(self, hit: SearchHit) -> None:
        self._navigator.note_detail_opened(is_from_duplicates=True)
        self.hit_opened.emit(hit)

    @Slot(object)
    def _on_results_view_hit_opened(self, _hit: SearchHit) -> None:
        self._navigator.note_detail_opened(is_from_duplicates=False)

    @Slot()
    def escape(self) -> None:
        """Esc: leave the detail or duplicates view; otherwise clear the search."""
        if self.back_from_detail() or self.leave_duplicates():
            return
        self.query_edit.clear()
        self.query_edited.emit("")
        self.search_area.show_hint(self._photo_count)
        self.focus_search()

    @Slot()
    def ask_for_folder(self) -> None:
        folder = self._dialogs.pick_folder(self, "Add a folder of photos")
        if folder is not None:
            self.folders_chosen.emit((folder,))

    @Slot()
    def ask_for_weights_file(self) -> None:
        chosen = self._dialogs.pick_file(self, "Import model weights", WEIGHTS_FILTER)
        if chosen is not None:
            self.weights_chosen.emit(chosen)

    @Slot()
    def ask_for_weights_folder(self) -> None:
        chosen = self._dialogs.pick_folder(self, "Import a model folder")
        if chosen is not None:
            self.weights_chosen.emit(chosen)

    @Slot()
    def paste_image(self) -> None:
        """Search with the image (or image file) on the clipboard."""
        pasted = drops.pasted_photo(QGuiApplication.clipboard().mimeData())
        if isinstance(pasted, Path):
            self.image_chosen.emit(pasted)
        elif pasted is not None:
            self.image_pasted.emit(pasted)
        else:
            self.show_message("The clipboard holds no image to search with.")

    @Slot()
    def _on_photo_button_clicked(self) -> None:
        chosen = self._dialogs.pick_file(self, "Search with a photo", IMAGE_FILTER)
        if chosen is not None:
            self.image_chosen.emit(chosen)

    def open_viewer(self, hits: Sequence[SearchHit], row: int) -> None:
        """Show ``hits[row]`` full size; next and previous walk ``hits``."""
        self._navigator.open_viewer(hits, row)

    @Slot(str)
    def _on_detail_page_search_requested(self, path: str) -> None:
        self.search_area.back_to_results()
        self.image_chosen.emit(Path(path))

    @Slot()
    def _on_query_edit_return_pressed(self) -> None:
        self.query_submitted.emit(self.query_edit.text())

    @Slot(object)
    def _on_library_panel_remove_folder_requested(self, folder: FolderRow) -> None:
        question = (
            f"Remove {folder.path} from the library? Its photos leave the search results; "
            "the files themselves are not touched."
        )
        if self._dialogs.confirm(self, "Remove folder", question, "Remove"):
            self.folder_removal_confirmed.emit(folder.id)

    # events ----------------------------------------------------------------
    def eventFilter(self, watched: object, event: object) -> bool:  # noqa: N802 - Qt override
        is_down = (
            watched is self.query_edit
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Down
        )
        if is_down and self._navigator.focus_results():
            return True
        return super().eventFilter(watched, event)  # type: ignore[arg-type]

    @property
    def is_drop_highlighted(self) -> bool:
        """Whether the window shows that a drag over it can be dropped."""
        return drops.is_drop_highlighted(self._central)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802 - Qt override
        if drops.has_local_files(event.mimeData()) and drops.accept_as_copy(event):
            drops.set_drop_highlight(self._central, True)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802 - Qt override
        if drops.has_local_files(event.mimeData()):
            drops.accept_as_copy(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:  # noqa: N802 - Qt override
        drops.set_drop_highlight(self._central, False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802 - Qt override
        drops.set_drop_highlight(self._central, False)
        paths = drops.local_paths(event.mimeData())
        if not paths or not drops.accept_as_copy(event):
            return
        images = [p for p in paths if drops.is_image_path(p)]
        folders = tuple(p for p in paths if not drops.is_image_path(p))
        if folders:
            self.show_message("Adding to the library…")
            self.folders_chosen.emit(folders)
        if images and self.current_page == "libraryPage":
            self.image_chosen.emit(images[0])
        elif images and not folders:
            self.show_message("Add a folder first; then drop a photo to search with it.")

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt override
        self._preferences.save(self, self.splitter)
        super().closeEvent(event)
