"""The minimal main window, driven through the real composition root and a real library."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit
from pytestqt.qtbot import QtBot

from core.store.database import Store
from desktop_app.__main__ import run
from desktop_app.views.main_window import MainWindow
from tests.desktop_app.conftest import OpenWindow, shown_text, wait_for_page
from tests.library_files import make_newer_library

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _library_with_folder(path: Path, folder: Path) -> None:
    folder.mkdir()
    with Store.open(path) as store, store.atomic():
        store.media.add_folder(str(folder.resolve()))


def _registered_folders(path: Path) -> list[str]:
    with Store.open(path) as store:
        return [f.path for f in store.media.folders()]


def _mime_with(*paths: Path) -> QMimeData:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    return mime


def _drop(window: MainWindow, mime: QMimeData) -> bool:
    """Send a drag-enter then a drop of ``mime`` at the window's centre; True if accepted."""
    centre = QPointF(window.rect().center())
    actions = Qt.DropAction.CopyAction
    buttons, modifiers = Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(centre, actions, mime, buttons, modifiers)
    QApplication.sendEvent(window, enter)
    drop = QDropEvent(centre, actions, mime, buttons, modifiers)
    QApplication.sendEvent(window, drop)
    return enter.isAccepted() and drop.isAccepted()


def test_first_run_invites_the_user_to_add_a_folder(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    window = open_window(tmp_path / "library.sqlite").window

    wait_for_page(qtbot, window, "emptyPage")

    text = shown_text(window)
    assert "Drag a folder of photos here" in text
    assert "add DIR" in text
    assert "index" in text
    assert window.windowTitle() == "HashLens"


def test_library_with_a_folder_shows_its_counts_and_folders(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    library = tmp_path / "library.sqlite"
    _library_with_folder(library, tmp_path / "Holidays <b>2023")

    window = open_window(library).window
    wait_for_page(qtbot, window, "summaryPage")

    text = shown_text(window)
    assert str((tmp_path / "Holidays <b>2023").resolve()) in text  # shown as typed
    assert "Photos indexed" in text
    assert "Folders\n1" in text or "1\nFolders" in text
    assert "index" in text  # nothing scanned yet: the next step is named


def test_status_bar_shows_the_library_path(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    library = tmp_path / "library.sqlite"
    window = open_window(library).window
    wait_for_page(qtbot, window, "emptyPage")

    labels = window.statusBar().findChildren(QLabel)
    assert str(library.resolve()) in [label.toolTip() for label in labels]
    assert any(label.text().startswith("Library: ") for label in labels)


def test_dropping_a_folder_registers_it_and_asks_to_index(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    library = tmp_path / "library.sqlite"
    photos = tmp_path / "photos"
    photos.mkdir()
    window = open_window(library).window
    wait_for_page(qtbot, window, "emptyPage")

    assert _drop(window, _mime_with(photos))

    qtbot.waitUntil(lambda: _registered_folders(library) == [str(photos.resolve())])
    wait_for_page(qtbot, window, "summaryPage")
    assert str(photos.resolve()) in shown_text(window)
    message = window.statusBar().currentMessage()
    assert "Added" in message
    assert "index" in message


def test_dropping_a_file_registers_nothing_and_says_why(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    library = tmp_path / "library.sqlite"
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(b"not really a photo")
    window = open_window(library).window
    wait_for_page(qtbot, window, "emptyPage")

    _drop(window, _mime_with(photo))

    qtbot.waitUntil(lambda: "not a folder" in window.statusBar().currentMessage())
    assert _registered_folders(library) == []
    assert window.current_page == "emptyPage"


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


def test_enter_in_the_search_field_points_to_the_cli(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path
) -> None:
    window = open_window(tmp_path / "library.sqlite").window
    query_edit = window.findChild(QLineEdit)
    assert query_edit is not None
    assert query_edit.placeholderText() == "Search your photos…"

    qtbot.keyClicks(query_edit, "red car")
    qtbot.keyClick(query_edit, Qt.Key.Key_Return)

    assert "search 'red car'" in window.statusBar().currentMessage()


def test_screenshot_option_writes_a_png_of_the_window(qapp: QApplication, tmp_path: Path) -> None:
    shot = tmp_path / "shots" / "window.png"

    status = run(["--library", str(tmp_path / "library.sqlite"), "--screenshot", str(shot)])

    assert status == 0
    assert shot.read_bytes().startswith(PNG_SIGNATURE)
    image = QImage(str(shot))
    assert image.width() >= 640
    assert image.height() >= 480
    assert shot.stat().st_size > 5_000
