"""Keyboard: focus search, move through results, open, Esc. Window state survives a restart."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, QSize, Qt
from pytestqt.qtbot import QtBot

from core.store.database import Store
from desktop_app.gui.app import compose
from tests.desktop_app.conftest import (
    OpenWindow,
    RecordingDialogs,
    open_library_window,
    show_active,
    wait_for_page,
    wait_for_view,
)

SEARCH_TIMEOUT_MS = 20_000


def test_keyboard_alone_finds_a_photo_and_opens_it(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    window = open_library_window(qtbot, open_window, indexed_library).window
    show_active(qtbot, window)
    view = window.search_area.results_view
    view.setFocus()

    qtbot.keySequence(window, "Ctrl+F")
    assert window.query_edit.hasFocus()
    qtbot.keyClicks(window.query_edit, "moon")
    qtbot.waitUntil(
        lambda: window.search_area.results_model.rowCount() == 11, timeout=SEARCH_TIMEOUT_MS
    )
    qtbot.keyClick(window.query_edit, Qt.Key.Key_Down)
    assert view.hasFocus()
    assert view.currentIndex().row() == 0
    qtbot.keyClick(view, Qt.Key.Key_Right)
    assert view.currentIndex().row() == 1
    second = window.search_area.results_model.hits[1]

    qtbot.keyClick(view, Qt.Key.Key_Return)
    wait_for_view(qtbot, window, "detailPage")
    assert window.search_area.detail_page.path_label.text() == second.path

    qtbot.keyClick(window.search_area.detail_page, Qt.Key.Key_Escape)
    assert window.current_view == "resultsPage"
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert window.current_view == "hintPage"
    assert window.query_edit.text() == ""
    assert window.query_edit.hasFocus()


def test_slash_focuses_the_search_field_but_types_a_slash_inside_it(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    window = open_library_window(qtbot, open_window, indexed_library).window
    show_active(qtbot, window)
    window.library_panel.folder_table.setFocus()

    qtbot.keyClick(window.library_panel.folder_table, Qt.Key.Key_Slash)
    assert window.query_edit.hasFocus()
    qtbot.keyClicks(window.query_edit, "a/b")
    assert window.query_edit.text() == "a/b"


def test_window_size_and_panel_widths_are_restored_on_the_next_start(
    qtbot: QtBot, tmp_path: Path, settings: QSettings, dialogs: RecordingDialogs
) -> None:
    library = tmp_path / "library.sqlite"
    with Store.open(library) as store, store.atomic():
        store.media.add_folder(str(tmp_path))
    first = compose(library, dialogs=dialogs, settings=settings)
    qtbot.addWidget(first.window)
    first.window.show()
    wait_for_page(qtbot, first.window, "libraryPage")
    # within the offscreen screen (800 x 600), which clamps restored geometry
    first.window.resize(QSize(780, 560))
    first.window.splitter.setSizes([300, 440])
    sizes = first.window.splitter.sizes()
    first.window.close()
    first.shut_down()

    second = compose(library, dialogs=dialogs, settings=settings)
    qtbot.addWidget(second.window)
    second.window.show()
    wait_for_page(qtbot, second.window, "libraryPage")

    assert second.window.size() == QSize(780, 560)
    # the restored widths apply once the shown window has laid out its panels
    qtbot.waitUntil(lambda: second.window.splitter.sizes() == sizes)
    second.shut_down()
