"""Composition root of the GUI: configuration, tasks, controllers, window, and their wiring.

Everything the window needs is built here and passed in, so a test can build the
same window against a temporary library (and with fake dialogs). The library is
only ever opened inside tasks, each with its own Store (see ``desktop_app.gui.tasks``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from PySide6.QtCore import QSettings, QUrl
from PySide6.QtGui import QDesktopServices, QIcon

from core import paths
from core.config import AppConfig, load_config
from core.errors import CoreError
from core.library.watching.service import own_paths
from core.search.duplicate_report import grouping_options
from core.types import SearchHit
from desktop_app.application.hashing_text import training_summary
from desktop_app.application.library import FoldersAdded, LibraryOverview
from desktop_app.gui.controllers.bulk_controller import BulkController
from desktop_app.gui.controllers.detail_controller import DetailController
from desktop_app.gui.controllers.duplicates_controller import DuplicatesController
from desktop_app.gui.controllers.hashing_controller import HashingController
from desktop_app.gui.controllers.indexing_controller import IndexingController
from desktop_app.gui.controllers.library_controller import LibraryController
from desktop_app.gui.controllers.model_controller import ModelController, ModelState
from desktop_app.gui.controllers.search_controller import SearchController
from desktop_app.gui.controllers.watch_controller import WatchController
from desktop_app.gui.file_manager import FileManager
from desktop_app.gui.full_images import FullImageLoader
from desktop_app.gui.preferences import Preferences, default_settings
from desktop_app.gui.tasks import TaskRunner
from desktop_app.gui.thumbnails import ThumbnailLoader
from desktop_app.gui.views.dialogs import Dialogs, QtDialogs
from desktop_app.gui.views.main_window import MainWindow

logger = logging.getLogger(__name__)

ICON_RESOURCE = ("icons", "hashlens.svg")
THUMBNAIL_FOLDER = "thumbnails"
SCRATCH_FOLDER = "scratch"
MAX_FOLDERS_SHOWN = 5
NO_MODEL_TO_INDEX = (
    "Indexing needs a model first: press Download on the Model card, or import a weights "
    "file you copied over (File ▸ Import Model File…)."
)


def app_icon() -> QIcon:
    """The application icon from the ``resources`` package.

    Installed wheels and the PyInstaller build both keep resources as plain files,
    and QIcon reads an SVG lazily, so the path itself (not a temporary copy) is used.
    """
    return QIcon(str(resources.files("resources").joinpath(*ICON_RESOURCE)))


@dataclass(frozen=True)
class Controllers:
    """The controllers of one session."""

    library: LibraryController
    model: ModelController
    indexing: IndexingController
    search: SearchController
    detail: DetailController
    bulk: BulkController
    hashing: HashingController
    watch: WatchController
    duplicates: DuplicatesController


@dataclass(frozen=True)
class Composition:
    """The objects of one GUI session; the caller keeps it alive while the window is open."""

    tasks: TaskRunner
    controllers: Controllers | None
    window: MainWindow

    def shut_down(self) -> None:
        """Stop watching, stop indexing and training at the next batch, wait for every task."""
        if self.controllers is not None:
            self.controllers.watch.stop()
            self.controllers.indexing.cancel()
            self.controllers.hashing.cancel()
        self.tasks.wait_for_done()
        if self.controllers is not None:
            self.controllers.model.close()


def _window(
    library_path: Path, tasks: TaskRunner, config: AppConfig | None, dialogs: Dialogs,
    settings: QSettings | None,
) -> MainWindow:  # fmt: skip
    max_pixels = config.indexing.max_image_pixels if config else 120_000_000
    thumbnails = ThumbnailLoader(tasks, paths.cache_dir() / THUMBNAIL_FOLDER, max_pixels)
    preferences = Preferences(settings or default_settings())
    full_images = FullImageLoader(tasks, max_pixels)
    return MainWindow(library_path, app_icon(), thumbnails, dialogs, preferences, full_images)


def compose(
    library_path: Path | None = None,
    *,
    dialogs: Dialogs | None = None,
    settings: QSettings | None = None,
) -> Composition:
    """Build the window and its controllers, and start reading the library in the background."""
    tasks = TaskRunner()
    dialogs = dialogs or QtDialogs()
    try:
        config = load_config(library_path=library_path)
    except CoreError as exc:  # e.g. a broken config.toml: say so in the window
        fallback = (library_path or paths.default_library_path()).expanduser().resolve()
        window = _window(fallback, tasks, None, dialogs, settings)
        window.show_library_error(exc.user_message)
        return Composition(tasks, None, window)
    window = _window(config.library_path, tasks, config, dialogs, settings)
    controllers = _controllers(config, tasks)
    _wire(window, controllers)
    window.show_loading()
    controllers.library.open()
    return Composition(tasks, controllers, window)


def _controllers(config: AppConfig, tasks: TaskRunner) -> Controllers:
    path = config.library_path
    model = ModelController(path, config.encoder, tasks)
    scratch = paths.cache_dir() / SCRATCH_FOLDER
    watch = WatchController(config.watch, own_paths(path, paths.cache_dir()))
    return Controllers(
        library=LibraryController(path, config.encoder, tasks),
        model=model,
        indexing=IndexingController(
            path, config, lambda: model.encoder, tasks, unsettled=watch.unsettled_paths
        ),
        search=SearchController(path, config, lambda: model.encoder, tasks, scratch),
        detail=DetailController(path, tasks),
        bulk=BulkController(path, tasks),
        hashing=HashingController(path, lambda: model.encoder, tasks),
        watch=watch,
        duplicates=DuplicatesController(
            path, lambda: model.encoder, tasks, grouping_options(config.duplicates)
        ),
    )


def _wire(window: MainWindow, c: Controllers) -> None:
    """Connect the window's signals to the controllers and their signals to the window."""
    _wire_library(window, c)
    _wire_search(window, c)
    _wire_detail(window, c)
    _wire_hashing(window, c)
    _wire_watch(window, c)
    _wire_duplicates(window, c)


def _wire_library(window: MainWindow, c: Controllers) -> None:
    panel = window.library_panel
    c.library.overview_changed.connect(window.show_overview)
    c.library.folders_added.connect(window.show_folders_added)
    c.library.library_failed.connect(window.show_library_error)
    c.library.error_raised.connect(window.show_error)
    window.folders_chosen.connect(c.library.add_folders)
    window.folder_removal_confirmed.connect(c.library.remove_folder)
    c.library.folder_removed.connect(window.search_area.forget_folder)
    c.library.folder_removed.connect(lambda _path: c.search.library_changed())
    panel.album_labels_toggled.connect(c.library.set_album_labels)
    window.weights_chosen.connect(c.model.import_weights)
    for model_panel in (window.model_panel, window.first_run_model_panel):
        c.model.state_changed.connect(model_panel.show_state)
        model_panel.download_requested.connect(c.model.download)
    c.model.error_raised.connect(window.show_error)
    panel.index_requested.connect(lambda: _index_now(window, c))
    panel.cancel_requested.connect(c.indexing.cancel)
    panel.cancel_requested.connect(panel.show_cancelling)
    c.indexing.started.connect(lambda: panel.show_indexing(True))
    c.indexing.progress_changed.connect(panel.show_progress)
    c.indexing.batch_landed.connect(c.library.refresh)
    c.indexing.batch_landed.connect(c.search.library_changed)
    c.indexing.finished.connect(window.show_index_report)
    c.indexing.failed.connect(window.show_error)
    c.indexing.failed.connect(lambda _report: panel.show_indexing(False))
    c.indexing.model_unavailable.connect(c.model.report_unavailable)
    c.indexing.model_unavailable.connect(lambda _report: panel.show_indexing(False))
    c.indexing.busy.connect(window.show_message)
    c.indexing.busy.connect(lambda _message: panel.show_indexing(False))
    c.library.overview_changed.connect(lambda overview: _on_overview(c, overview))
    c.library.folders_added.connect(lambda outcome: _on_folders_added(c, outcome))
    c.model.model_ready.connect(lambda: _on_model_ready(c))


def _wire_search(window: MainWindow, c: Controllers) -> None:
    area = window.search_area
    window.query_edited.connect(c.search.set_text)
    window.query_submitted.connect(c.search.search_text_now)
    window.image_chosen.connect(c.search.search_image)
    window.image_pasted.connect(c.search.search_pasted_image)
    area.image_query_panel.words_changed.connect(c.search.add_words_to_image)
    c.search.results_changed.connect(area.show_results)
    c.search.search_failed.connect(area.show_failure)
    c.search.busy_changed.connect(area.show_busy)
    area.results_view.more_wanted.connect(c.search.fetch_more)
    area.filter_bar.filter_changed.connect(c.search.set_filter)
    area.filter_bar.min_score_changed.connect(c.search.set_min_score)
    window.library_panel.folder_chosen.connect(area.filter_bar.set_folder)
    c.library.overview_changed.connect(
        lambda overview: area.filter_bar.set_folders([f.path for f in overview.folders])
    )
    c.library.overview_changed.connect(
        lambda overview: area.filter_bar.set_cameras(overview.cameras)
    )
    c.library.overview_changed.connect(lambda overview: _browse_first(c, overview))
    c.search.model_unavailable.connect(c.model.report_unavailable)
    c.search.model_unavailable.connect(area.show_failure)
    c.search.model_starting.connect(area.show_model_starting)
    c.search.model_starting.connect(lambda _query: c.model.show_starting())
    c.search.model_started.connect(c.model.show_started)


def _wire_detail(window: MainWindow, c: Controllers) -> None:
    page = window.search_area.detail_page
    window.hit_opened.connect(lambda hit: _open_hit(c, hit))
    c.detail.detail_changed.connect(window.search_area.show_detail)
    c.detail.error_raised.connect(window.show_error)
    c.detail.captions_edited.connect(lambda: _index_if_ready(c))
    page.caption_added.connect(c.detail.add_caption)
    page.caption_edited.connect(c.detail.edit_caption)
    page.tags_changed.connect(c.detail.set_tags)
    page.open_requested.connect(lambda path: _open_externally(window, Path(path)))
    files = FileManager(lambda folder: _open_externally(window, Path(folder)), parent=window)
    page.show_in_folder_requested.connect(files.reveal)
    _wire_selection(window, c, files)


def _wire_selection(window: MainWindow, c: Controllers, files: FileManager) -> None:
    """The grid's context menu: actions on every selected photo."""
    view, bulk = window.search_area.results_view, c.bulk
    view.search_requested.connect(lambda path: c.search.search_image(Path(path)))
    view.open_requested.connect(lambda paths: _open_all(window, paths))
    view.reveal_requested.connect(lambda paths: _reveal_all(files, paths))
    view.tag_requested.connect(lambda ids: _tag_selected(window, c, ids))
    view.export_requested.connect(lambda paths: _export_selected(window, c, paths))
    bulk.done.connect(window.show_message)
    bulk.error_raised.connect(window.show_error)
    bulk.labels_changed.connect(c.search.library_changed)


def _open_all(window: MainWindow, paths: list[str]) -> None:
    for path in paths:
        _open_externally(window, Path(path))


def _reveal_all(files: FileManager, paths: list[str]) -> None:
    for path in _one_per_folder(paths):
        files.reveal(path)


def _one_per_folder(paths: list[str]) -> list[str]:
    """The first selected photo of each folder (one file-manager window per folder)."""
    firsts: dict[str, str] = {}
    for path in paths:
        firsts.setdefault(str(Path(path).parent), path)
    return list(firsts.values())[:MAX_FOLDERS_SHOWN]


def _tag_selected(window: MainWindow, c: Controllers, media_ids: list[int]) -> None:
    count = len(media_ids)
    name = window.dialogs.ask_text(window, "Add a tag", f"Tag for {count} photos:")
    if name is not None:
        c.bulk.tag(media_ids, name)


def _export_selected(window: MainWindow, c: Controllers, paths: list[str]) -> None:
    folder = window.dialogs.pick_folder(window, f"Copy {len(paths)} photos to")
    if folder is not None:
        c.bulk.export(paths, folder)


def _wire_duplicates(window: MainWindow, c: Controllers) -> None:
    """The duplicates view: groups found off the GUI thread, the grid's actions on them."""
    page = window.duplicates_page
    window.duplicates_requested.connect(c.duplicates.find)
    c.duplicates.started.connect(page.show_searching)
    c.duplicates.groups_found.connect(page.show_report)
    c.duplicates.failed.connect(page.show_failure)
    files = FileManager(lambda folder: _open_externally(window, Path(folder)), parent=window)
    page.search_requested.connect(lambda path: c.search.search_image(Path(path)))
    page.open_requested.connect(lambda paths: _open_all(window, paths))
    page.reveal_requested.connect(lambda paths: _reveal_all(files, paths))
    page.tag_requested.connect(lambda ids: _tag_selected(window, c, ids))
    page.export_requested.connect(lambda paths: _export_selected(window, c, paths))


def _wire_hashing(window: MainWindow, c: Controllers) -> None:
    panel, hashing = window.hashing_panel, c.hashing
    panel.training_requested.connect(hashing.train)
    panel.cancel_requested.connect(hashing.cancel)
    panel.activation_requested.connect(hashing.activate)
    hashing.overview_changed.connect(panel.show_overview)
    hashing.overview_failed.connect(panel.show_overview_failure)
    hashing.overview_failed.connect(
        lambda report: window.show_message(f"{report.summary}: {report.message}")
    )
    hashing.training_started.connect(lambda: panel.show_training(True))
    hashing.progress_changed.connect(panel.show_progress)
    hashing.busy_changed.connect(panel.show_busy)
    hashing.hashers_changed.connect(c.search.library_changed)
    hashing.training_finished.connect(lambda report: window.show_message(training_summary(report)))
    hashing.training_cancelled.connect(
        lambda: window.show_message("Training cancelled; the library is as it was.")
    )
    hashing.activated.connect(
        lambda hasher: window.show_message(f"Search now uses {hasher.key} ({hasher.n_bits} bits).")
    )
    hashing.failed.connect(window.show_error)
    c.indexing.started.connect(lambda: panel.show_indexing(True))
    c.indexing.finished.connect(lambda _report: panel.show_indexing(False))
    c.indexing.failed.connect(lambda _report: panel.show_indexing(False))
    c.indexing.model_unavailable.connect(lambda _report: panel.show_indexing(False))
    c.indexing.busy.connect(lambda _message: panel.show_indexing(False))
    c.indexing.finished.connect(hashing.refresh)
    c.model.state_changed.connect(lambda state: _on_model_state(c, state))


def _wire_watch(window: MainWindow, c: Controllers) -> None:
    """Folders on show are watched; settled changes queue one index run; status is shown."""
    indicator, panel, watch = window.watch_indicator, window.library_panel, c.watch
    indicator.set_poll_interval(watch.poll_interval_s)
    panel.set_poll_interval(watch.poll_interval_s)
    if not watch.is_enabled:
        indicator.show_off()
        panel.show_watching_off()
        return
    c.library.overview_changed.connect(
        lambda overview: watch.watch_folders([f.path for f in overview.folders])
    )
    watch.status_changed.connect(indicator.show_status)
    watch.status_changed.connect(panel.show_watch_status)
    watch.index_wanted.connect(lambda: _index_if_ready(c))


def _on_model_state(c: Controllers, state: ModelState) -> None:
    """The library's model is known (or was just loaded): read its hashing state."""
    if state.kind == "ready":
        c.hashing.refresh()


def _browse_first(c: Controllers, overview: LibraryOverview) -> None:
    """The library opens on every photo, newest first (once; later the query rules)."""
    if c.search.query is None and overview.folders:
        c.search.browse()


def _open_hit(c: Controllers, hit: SearchHit) -> None:
    c.detail.open(hit.media_id)


def _open_externally(window: MainWindow, path: Path) -> None:
    if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))):
        window.show_message(f"No program could open {path}.")


def _index_if_ready(c: Controllers) -> None:
    """Index now if the model is ready; else the model panel asks for one first."""
    if c.model.is_ready:
        c.indexing.start()


def _index_now(window: MainWindow, c: Controllers) -> None:
    """The user asked to index: without a model, say what to do instead of nothing."""
    if c.model.is_ready:
        c.indexing.start()
    elif c.model.state.kind == "working":
        window.show_message("The model is loading; indexing starts as soon as it is ready.")
    else:
        window.show_message(NO_MODEL_TO_INDEX)
        window.model_panel.setFocus()


def _on_overview(c: Controllers, overview: LibraryOverview) -> None:
    c.model.set_status(overview.model)


def _on_folders_added(c: Controllers, outcome: FoldersAdded) -> None:
    if outcome.added:
        _index_if_ready(c)


def _on_model_ready(c: Controllers) -> None:
    c.search.library_changed()
    overview = c.library.overview
    if overview is not None and (overview.pending or overview.folders):
        c.indexing.start()
