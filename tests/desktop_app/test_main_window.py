"""The window's pages and folder handling, driven through the real composition root."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QLabel
from pytestqt.qtbot import QtBot

from core.config import EncoderConfig
from core.store.database import Store
from desktop_app.__main__ import run
from tests.desktop_app.conftest import (
    OpenWindow,
    RecordingDialogs,
    drop,
    mime_with,
    shown_text,
    wait_for_page,
)
from tests.library_files import make_newer_library

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _library_with_folder(path: Path, folder: Path) -> None:
    folder.mkdir()
    with Store.open(path) as store, store.atomic():
        store.media.add_folder(str(folder.resolve()))


def _registered_folders(path: Path) -> list[str]:
    with Store.open(path) as store:
        return [f.path for f in store.media.folders()]


def test_first_run_invites_a_folder_and_offers_the_default_model_with_its_size(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    window = open_window(tmp_path / "library.sqlite").window

    wait_for_page(qtbot, window, "emptyPage")

    text = shown_text(window)
    assert "Your library is empty" in text
    assert "Drag a folder of photos here" in text
    assert window.empty_page.add_button.isVisibleTo(window)
    panel = window.first_run_model_panel
    qtbot.waitUntil(lambda: panel.needs_attention)
    assert "ViT-B-32" in panel.message_label.text()
    assert panel.download_button.text() == "Download (605 MB)"
    assert panel.import_file_button.isVisibleTo(window)
    assert not window.query_edit.isEnabled()
    assert window.windowTitle() == "HashLens"


def test_first_run_with_a_local_model_file_needs_no_model_choice(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, tiny_model: EncoderConfig
) -> None:
    window = open_window(tmp_path / "library.sqlite").window
    wait_for_page(qtbot, window, "emptyPage")

    panel = window.first_run_model_panel
    qtbot.waitUntil(lambda: "is ready" in panel.message_label.text())
    assert not panel.needs_attention


def test_library_panel_lists_folders_by_name_with_counts_as_plain_text(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    library = tmp_path / "library.sqlite"
    folder = tmp_path / "Holidays <b>2023"
    _library_with_folder(library, folder)

    window = open_window(library).window
    wait_for_page(qtbot, window, "libraryPage")

    table = window.library_panel.folder_table
    assert table.rowCount() == 1
    qtbot.waitUntil(lambda: window.library_panel.watched_text(0) != "…")
    cells = [table.item(0, column).text() for column in range(table.columnCount())]
    assert cells == ["Holidays <b>2023", "0", "0", "0", "yes"]
    assert "watched with file events" in table.item(0, 4).toolTip()
    assert html.escape(str(folder.resolve())) in table.item(0, 0).toolTip()
    assert window.current_view == "hintPage"
    assert window.query_edit.isEnabled()


def test_status_bar_shows_the_library_path(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    library = tmp_path / "library.sqlite"
    window = open_window(library).window
    wait_for_page(qtbot, window, "emptyPage")

    label = window.findChild(QLabel, "libraryPathLabel")
    assert label is not None
    assert label.text().startswith("Library: ")
    assert str(library.resolve()) in label.toolTip()


def test_dropping_a_folder_registers_it_and_lists_it(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    library = tmp_path / "library.sqlite"
    photos = tmp_path / "photos"
    photos.mkdir()
    window = open_window(library).window
    wait_for_page(qtbot, window, "emptyPage")

    assert drop(window, mime_with(photos))

    qtbot.waitUntil(lambda: _registered_folders(library) == [str(photos.resolve())])
    wait_for_page(qtbot, window, "libraryPage")
    assert window.library_panel.folder_table.item(0, 0).text() == "photos"
    assert "Added" in window.statusBar().currentMessage()


def test_add_folder_button_uses_the_folder_picked_in_the_dialog(
    qtbot: QtBot, open_window: OpenWindow, dialogs: RecordingDialogs, tmp_path: Path
) -> None:
    library = tmp_path / "library.sqlite"
    dialogs.folder = tmp_path / "picked"
    dialogs.folder.mkdir()
    window = open_window(library).window
    wait_for_page(qtbot, window, "emptyPage")

    window.empty_page.add_button.click()

    qtbot.waitUntil(lambda: _registered_folders(library) == [str(dialogs.folder.resolve())])


def test_dropping_a_file_that_is_not_a_folder_registers_nothing_and_says_why(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    library = tmp_path / "library.sqlite"
    notes = tmp_path / "notes.txt"
    notes.write_text("not a folder")
    window = open_window(library).window
    wait_for_page(qtbot, window, "emptyPage")

    drop(window, mime_with(notes))

    qtbot.waitUntil(lambda: "not a folder" in window.statusBar().currentMessage())
    assert _registered_folders(library) == []
    assert window.current_page == "emptyPage"


def test_removing_a_folder_asks_first_then_forgets_it(
    qtbot: QtBot, open_window: OpenWindow, dialogs: RecordingDialogs, tmp_path: Path
) -> None:
    library = tmp_path / "library.sqlite"
    _library_with_folder(library, tmp_path / "old")
    window = open_window(library).window
    wait_for_page(qtbot, window, "libraryPage")
    panel = window.library_panel
    panel.folder_table.selectRow(0)

    dialogs.answer_confirm = False
    panel.remove_button.click()
    assert len(dialogs.confirms) == 1
    assert _registered_folders(library) != []

    dialogs.answer_confirm = True
    panel.remove_button.click()
    wait_for_page(qtbot, window, "emptyPage")
    assert _registered_folders(library) == []
    assert "files themselves are not touched" in dialogs.confirms[-1]


def test_library_from_a_newer_version_shows_why_and_is_left_untouched(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    library = tmp_path / "library.sqlite"
    before = make_newer_library(library)

    window = open_window(library).window
    wait_for_page(qtbot, window, "errorPage")

    assert "newer version of HashLens" in shown_text(window)
    assert not window.acceptDrops()
    assert library.read_bytes() == before


def test_file_that_is_not_a_library_shows_why_and_is_left_untouched(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    notes = tmp_path / "notes.sqlite"
    notes.write_text("my notes, not a database\n" * 50)
    before = notes.read_bytes()

    window = open_window(notes).window
    wait_for_page(qtbot, window, "errorPage")

    assert "not a HashLens library" in shown_text(window)
    assert notes.read_bytes() == before


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_screenshot_option_writes_a_png_of_the_window(
    qapp: QApplication, tmp_path: Path, scheme: str
) -> None:
    shot = tmp_path / "shots" / "window.png"
    palette = qapp.palette()
    try:
        status = run(
            ["--library", str(tmp_path / "lib.sqlite"), "--screenshot", str(shot),
             "--color-scheme", scheme]
        )  # fmt: skip
        window_color = qapp.palette().window().color()
    finally:
        qapp.setPalette(palette)

    assert status == 0
    assert shot.read_bytes().startswith(PNG_SIGNATURE)
    image = QImage(str(shot))
    assert image.width() >= 760
    assert image.height() >= 520
    assert (window_color.lightness() < 128) == (scheme == "dark")
    corner = image.pixelColor(image.width() // 2, image.height() - 40)
    assert (corner.lightness() < 128) == (scheme == "dark")
