"""Browsing and filtering in the window: every photo by date on open, more results as the
grid scrolls, sort order, thumbnail size, folder and date filters (issue 17)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image
from PySide6.QtCore import QDate, Qt
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from core.config import EncoderConfig, IndexingConfig
from core.library.folders import register_folder
from core.library.indexing.indexer import Indexer
from core.store.database import Store
from desktop_app.application.model_choice import lazy_encoder
from desktop_app.gui.app import Composition
from tests.desktop_app.conftest import (
    OpenWindow,
    RecordingDialogs,
    open_library_window,
    show_active,
    wait_for_view,
)

TIMEOUT_MS = 30_000
DAYS = {"chelsea.jpg": "2021-03-04", "coffee.jpg": "2024-05-31", "rocket.jpg": "2023-01-15"}


def _date_photos(library: Path, days: dict[str, str]) -> None:
    with Store.open(library) as store, store.atomic():
        store.db.execute("UPDATE media SET taken_at = '2000-01-01T00:00:00'")
        for name, day in days.items():
            store.db.execute(
                "UPDATE media SET taken_at = ? WHERE path LIKE ?", [f"{day}T10:00:00", f"%/{name}"]
            )


def _names(parts: Composition) -> list[str]:
    return [Path(h.path).name for h in parts.window.search_area.results_model.hits]


def _wait_for_hits(qtbot: QtBot, parts: Composition, count: int) -> None:
    model = parts.window.search_area.results_model
    qtbot.waitUntil(lambda: len(model.hits) == count, timeout=TIMEOUT_MS)


def test_the_library_opens_on_every_photo_newest_first_without_loading_the_model(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    _date_photos(indexed_library, DAYS)
    parts = open_library_window(qtbot, open_window, indexed_library)

    wait_for_view(qtbot, parts.window, "resultsPage")
    _wait_for_hits(qtbot, parts, 11)
    assert _names(parts)[:3] == ["coffee.jpg", "rocket.jpg", "chelsea.jpg"]
    area = parts.window.search_area
    assert area.header_label.text() == "All photos"
    assert area.status_label.text().startswith("11 photos, newest first.")
    assert not parts.controllers.model.encoder.is_loaded  # type: ignore[union-attr]

    area.filter_bar.order_combo.activated.emit(area.filter_bar.order_combo.findData("oldest"))
    assert _names(parts)[-3:] == ["chelsea.jpg", "rocket.jpg", "coffee.jpg"]


def test_escape_clears_the_search_back_to_every_photo(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    window = parts.window
    qtbot.keyClicks(window.query_edit, "a cat")
    qtbot.waitUntil(
        lambda: window.search_area.header_label.text() == "Photos for “a cat”", timeout=TIMEOUT_MS
    )

    window.escape()

    qtbot.waitUntil(
        lambda: window.search_area.header_label.text() == "All photos", timeout=TIMEOUT_MS
    )
    assert window.query_edit.text() == ""
    _wait_for_hits(qtbot, parts, 11)


def test_results_grow_as_the_grid_reaches_its_end_keeping_what_was_shown(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HASHLENS_SEARCH_K", "4")  # a first page of 4: the grid does not fill
    parts = open_library_window(qtbot, open_window, indexed_library)
    window, model = parts.window, parts.window.search_area.results_model
    _wait_for_hits(qtbot, parts, 11)  # the listing of every photo
    first_pages: list[tuple[str, ...]] = []
    inserted: list[int] = []
    model.rowsInserted.connect(lambda _parent, first, _last: inserted.append(first))
    parts.controllers.search.results_changed.connect(  # type: ignore[union-attr]
        lambda outcome: first_pages.append(tuple(h.path for h in outcome.photos))
    )

    qtbot.keyClicks(window.query_edit, "a cat")

    qtbot.waitUntil(lambda: len(first_pages) >= 2 and len(model.hits) == 11, timeout=TIMEOUT_MS)
    assert len(first_pages[0]) == 4
    assert first_pages[-1][:4] == first_pages[0]  # the first page stays where it was
    assert inserted == [4]  # appended, not reset
    assert window.search_area.status_label.text() == "Best 11 matches, most similar first."


def test_sort_by_date_and_back_to_relevance(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    _date_photos(indexed_library, DAYS)
    parts = open_library_window(qtbot, open_window, indexed_library)
    area = parts.window.search_area
    with qtbot.waitSignal(parts.controllers.search.results_changed, timeout=TIMEOUT_MS):  # type: ignore[union-attr]
        parts.controllers.search.search_text_now("a cup of coffee")  # type: ignore[union-attr]
    ranked = _names(parts)
    combo = area.filter_bar.order_combo

    combo.activated.emit(combo.findData("newest"))
    assert _names(parts)[:3] == ["coffee.jpg", "rocket.jpg", "chelsea.jpg"]
    assert sorted(_names(parts)) == sorted(ranked)
    combo.activated.emit(combo.findData("relevance"))
    assert _names(parts) == ranked


def test_the_size_slider_shrinks_and_grows_the_thumbnails(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    _wait_for_hits(qtbot, parts, 11)
    area = parts.window.search_area
    parts.window.show()
    qtbot.waitExposed(parts.window)
    view, model = area.results_view, area.results_model
    large = view.visualRect(model.index(0)).width()

    area.filter_bar.size_slider.setValue(area.filter_bar.size_slider.minimum())

    small = view.visualRect(model.index(0)).width()
    assert view.thumbnail_side == 96
    assert small < large - 64
    assert view.visualRect(model.index(1)).left() < large  # more cells per row


@pytest.fixture
def two_folders(
    indexed_library: Path, tmp_path: Path, photos: Path, tiny_model: EncoderConfig
) -> Path:
    second = tmp_path / "trip"
    second.mkdir()
    for name in ("chelsea.jpg", "coffee.jpg"):
        shutil.copy(photos / name, second / f"trip_{name}")
        shutil.copy(
            photos / name.replace(".jpg", ".txt"), second / f"trip_{name.replace('.jpg', '.txt')}"
        )
    with Store.open(indexed_library) as store:
        register_folder(store, str(second.resolve()))
        Indexer(store, lazy_encoder(tiny_model), IndexingConfig()).run()
    return second


def test_clicking_a_folder_and_a_date_range_filter_searches_and_browsing(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path, two_folders: Path
) -> None:
    _date_photos(
        indexed_library, {"trip_chelsea.jpg": "2024-07-01", "trip_coffee.jpg": "2024-07-09"}
    )
    parts = open_library_window(qtbot, open_window, indexed_library)
    window, area = parts.window, parts.window.search_area
    _wait_for_hits(qtbot, parts, 13)
    panel = window.library_panel
    qtbot.waitUntil(lambda: panel.folder_table.rowCount() == 2)
    row = next(r for r, f in enumerate(panel.folders) if f.path == str(two_folders.resolve()))

    panel.folder_table.cellClicked.emit(row, 0)

    _wait_for_hits(qtbot, parts, 2)
    assert _names(parts) == ["trip_coffee.jpg", "trip_chelsea.jpg"]
    assert area.filter_bar.folder_combo.currentText() == "trip"
    qtbot.keyClicks(window.query_edit, "a cat")  # a search keeps the filter
    qtbot.waitUntil(lambda: area.header_label.text() == "Photos for “a cat”", timeout=TIMEOUT_MS)
    _wait_for_hits(qtbot, parts, 2)

    area.filter_bar.after_edit.setDate(QDate(2024, 7, 5))
    _wait_for_hits(qtbot, parts, 1)
    assert _names(parts) == ["trip_coffee.jpg"]

    area.filter_bar.before_edit.setDate(QDate(2024, 7, 1))  # reversed: said, nothing lost
    assert "The date range is reversed: 2024-07-05 is after 2024-07-01." in area.status_label.text()
    assert _names(parts) == ["trip_coffee.jpg"]

    area.filter_bar.after_edit.setDate(QDate(2020, 1, 1))
    area.filter_bar.before_edit.setDate(QDate(2020, 12, 31))  # nothing in 2020
    qtbot.waitUntil(lambda: area.header_label.text() == "No photos match", timeout=TIMEOUT_MS)
    assert "No photo is in " in area.status_label.text()
    assert "from 2020-01-01, until 2020-12-31" in area.status_label.text()

    area.filter_bar.clear_button.click()
    _wait_for_hits(qtbot, parts, 11 + 2)


def _select_rows(parts: Composition, rows: list[int]) -> None:
    from PySide6.QtCore import QItemSelectionModel

    view, model = parts.window.search_area.results_view, parts.window.search_area.results_model
    selection = view.selectionModel()
    selection.clearSelection()
    for row in rows:
        selection.select(model.index(row), QItemSelectionModel.SelectionFlag.Select)


def _action(menu: object, text: str) -> object:
    return next(a for a in menu.actions() if a.text() == text)  # type: ignore[attr-defined]


def test_several_selected_photos_are_tagged_exported_and_copied_from_the_context_menu(
    qtbot: QtBot,
    open_window: OpenWindow,
    indexed_library: Path,
    dialogs: RecordingDialogs,
    tmp_path: Path,
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    _wait_for_hits(qtbot, parts, 11)
    _select_rows(parts, [0, 2, 5])
    view = parts.window.search_area.results_view
    chosen = [h.path for h in view.selected_hits()]
    assert len(chosen) == 3
    menu = view.context_menu()
    assert not _action(menu, "Show Details").isEnabled()  # type: ignore[attr-defined]
    assert _action(menu, "Open 3 Photos").isEnabled()  # type: ignore[attr-defined]

    dialogs.text = "Holiday"
    with qtbot.waitSignal(parts.controllers.bulk.done, timeout=TIMEOUT_MS):  # type: ignore[union-attr]
        _action(menu, "Add Tag…").trigger()  # type: ignore[attr-defined]
    assert parts.window.statusBar().currentMessage() == "Tagged 3 photos “Holiday”."
    qtbot.keyClicks(parts.window.query_edit, "#holiday")
    qtbot.waitUntil(
        lambda: (
            sorted(h.path for h in parts.window.search_area.results_model.hits) == sorted(chosen)
        ),
        timeout=TIMEOUT_MS,
    )

    _select_rows(parts, [0, 1, 2])
    out = tmp_path / "export"
    out.mkdir()
    (out / Path(chosen[0]).name).write_bytes(b"already here")  # never overwritten
    dialogs.folder = out
    with qtbot.waitSignal(parts.controllers.bulk.done, timeout=TIMEOUT_MS):  # type: ignore[union-attr]
        _action(view.context_menu(), "Export Copies…").trigger()  # type: ignore[attr-defined]
    assert (out / Path(chosen[0]).name).read_bytes() == b"already here"
    assert len(list(out.iterdir())) == 4
    assert parts.window.statusBar().currentMessage() == f"Copied 3 photos to {out}."

    _action(view.context_menu(), "Copy Paths").trigger()  # type: ignore[attr-defined]
    assert sorted(QGuiApplication.clipboard().text().splitlines()) == sorted(chosen)


def test_an_empty_tag_for_many_photos_is_refused_with_a_reason(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path, dialogs: RecordingDialogs
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    _wait_for_hits(qtbot, parts, 11)
    _select_rows(parts, [0, 1])
    dialogs.text = "two\nlines"
    _action(parts.window.search_area.results_view.context_menu(), "Add Tag…").trigger()  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: len(dialogs.errors) == 1, timeout=TIMEOUT_MS)
    assert dialogs.errors[0].summary == "The photos were not changed"


def test_the_viewer_walks_the_results_zooms_goes_full_screen_and_survives_a_deleted_photo(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    window = parts.window
    show_active(qtbot, window)
    _wait_for_hits(qtbot, parts, 11)
    view = window.search_area.results_view
    hits = window.search_area.results_model.hits
    Path(hits[2].path).unlink()  # deleted while the library still lists it
    view.setFocus()
    view.setCurrentIndex(window.search_area.results_model.index(0))

    qtbot.keyClick(view, Qt.Key.Key_Space)

    viewer = window.viewer
    assert viewer is not None
    assert viewer.isVisible()
    qtbot.waitUntil(lambda: not viewer.image_label.pixmap().isNull(), timeout=TIMEOUT_MS)
    assert viewer.position_label.text() == "1 of 11"
    assert not viewer.previous_button.isEnabled()
    fitted = viewer.zoom
    assert fitted <= 1.0
    qtbot.keyClick(viewer, Qt.Key.Key_1)
    assert viewer.zoom == 1.0
    with Image.open(hits[0].path) as photo:  # the photo's own pixels, not the thumbnail
        assert viewer.image_label.pixmap().width() == photo.width
    qtbot.keyClick(viewer, Qt.Key.Key_Plus)
    assert viewer.zoom == pytest.approx(1.25)
    qtbot.keyClick(viewer, Qt.Key.Key_0)
    assert viewer.zoom == pytest.approx(fitted)

    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    assert viewer.position_label.text() == "2 of 11"
    assert viewer.current == hits[1]
    qtbot.keyClick(viewer, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: "no longer on disk" in viewer.image_label.text(), timeout=TIMEOUT_MS)
    qtbot.keyClick(viewer, Qt.Key.Key_Right)  # the next one still shows
    qtbot.waitUntil(lambda: not viewer.image_label.pixmap().isNull(), timeout=TIMEOUT_MS)
    assert viewer.position_label.text() == "4 of 11"

    qtbot.keyClick(viewer, Qt.Key.Key_F)
    qtbot.waitUntil(viewer.isFullScreen)
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not viewer.isFullScreen())
    qtbot.keyClick(viewer, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not viewer.isVisible())


def test_photos_landing_while_browsing_keep_the_grid_where_it_was(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    window = parts.window
    window.show()
    window.resize(900, 600)
    _wait_for_hits(qtbot, parts, 11)
    view, model = window.search_area.results_view, window.search_area.results_model
    bar = view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    view.setCurrentIndex(model.index(9))
    bar.setValue(bar.maximum())
    place, current = bar.value(), view.current_hit()
    assert place > 0

    with qtbot.waitSignal(parts.controllers.search.results_changed, timeout=TIMEOUT_MS):  # type: ignore[union-attr]
        parts.controllers.search.library_changed()  # type: ignore[union-attr]  # a batch landed

    qtbot.waitUntil(lambda: bar.value() == place)
    assert view.current_hit() == current
