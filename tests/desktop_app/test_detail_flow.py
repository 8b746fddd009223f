"""The detail view: opened from a result by keyboard; tags and captions written to the store."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.store.database import Store
from desktop_app.gui.app import Composition
from tests.desktop_app.conftest import (
    OpenWindow,
    RecordingDialogs,
    open_library_window,
    show_active,
    wait_for_view,
)

SEARCH_TIMEOUT_MS = 20_000


def _open_first_result(qtbot: QtBot, parts: Composition) -> None:
    window = parts.window
    show_active(qtbot, window)
    window.query_edit.setFocus()
    qtbot.keyClicks(window.query_edit, "coffee")
    qtbot.keyClick(window.query_edit, Qt.Key.Key_Return)
    model = window.search_area.results_model
    qtbot.waitUntil(lambda: len(model.hits) > 0, timeout=SEARCH_TIMEOUT_MS)
    qtbot.keyClick(window.query_edit, Qt.Key.Key_Down)  # into the grid
    qtbot.waitUntil(window.search_area.results_view.hasFocus)
    qtbot.keyClick(window.search_area.results_view, Qt.Key.Key_Return)
    wait_for_view(qtbot, window, "detailPage")


def _labels(library: Path, path: str) -> list[tuple[str, str]]:
    with Store.open(library) as store:
        media = store.media.media_by_path(path)
        assert media is not None
        return [(label.name, label.origin) for label in store.labels.of(media.id)]


def _captions(library: Path, path: str) -> list[tuple[str, str]]:
    with Store.open(library) as store:
        media = store.media.media_by_path(path)
        assert media is not None
        return [(text, source) for _, text, source in store.media.captions_of(media.id)]


def test_enter_on_a_result_shows_its_path_captions_and_preview(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)

    _open_first_result(qtbot, parts)

    page = parts.window.search_area.detail_page
    first = parts.window.search_area.results_model.hits[0]
    assert page.detail is not None
    assert page.path_label.text() == first.path
    assert page.name_label.text() == Path(first.path).name
    assert [page.caption_list.item(i).text() for i in range(page.caption_list.count())] == [
        text for text, _ in _captions(indexed_library, first.path)
    ]
    assert "pixels" in page.facts_label.text()
    qtbot.waitUntil(lambda: not page.preview_label.pixmap().isNull())


def test_tags_added_and_removed_in_the_detail_view_are_written_to_the_store(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    _open_first_result(qtbot, parts)
    page = parts.window.search_area.detail_page
    assert page.detail is not None
    path = page.detail.path

    for tag in ("breakfast", "<i>favourite</i>"):
        with qtbot.waitSignal(parts.controllers.detail.detail_changed):  # type: ignore[union-attr]
            qtbot.keyClicks(page.tag_edit, tag)
            qtbot.keyClick(page.tag_edit, Qt.Key.Key_Return)

    assert _labels(indexed_library, path) == [("<i>favourite</i>", "user"), ("breakfast", "user")]
    assert page.tag_list.item(0).text() == "<i>favourite</i>  (your tag)"

    page.tag_list.setCurrentRow(1)
    assert page.remove_tag_button.isEnabled()
    with qtbot.waitSignal(parts.controllers.detail.detail_changed):  # type: ignore[union-attr]
        page.remove_tag_button.click()
    assert _labels(indexed_library, path) == [("<i>favourite</i>", "user")]


def test_a_guessed_label_shows_its_origin_and_confidence(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    with Store.open(indexed_library) as store, store.atomic():
        for media_id in store.media.paths_of(list(range(1, 100))):
            store.labels.set_labels(media_id, ["sky"], "zero-shot", 0.625)
    parts = open_library_window(qtbot, open_window, indexed_library)
    _open_first_result(qtbot, parts)
    page = parts.window.search_area.detail_page
    texts = [page.tag_list.item(i).text() for i in range(page.tag_list.count())]
    assert "sky  (zero-shot guess 0.62)" in texts


def test_a_caption_added_then_edited_in_the_detail_view_is_stored_as_the_users(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    _open_first_result(qtbot, parts)
    page = parts.window.search_area.detail_page
    detail = parts.controllers.detail  # type: ignore[union-attr]
    assert page.detail is not None
    path = page.detail.path
    file_caption = page.caption_list.item(0)
    assert not file_caption.flags() & Qt.ItemFlag.ItemIsEditable  # comes from the sidecar

    with qtbot.waitSignal(detail.detail_changed):
        qtbot.keyClicks(page.caption_edit, "Espresso at the station")
        qtbot.keyClick(page.caption_edit, Qt.Key.Key_Return)
    assert ("Espresso at the station", "user") in _captions(indexed_library, path)

    mine = page.caption_list.item(page.caption_list.count() - 1)
    assert mine.flags() & Qt.ItemFlag.ItemIsEditable
    with qtbot.waitSignal(detail.detail_changed):
        mine.setText("Espresso in Lyon")
    captions = _captions(indexed_library, path)
    assert ("Espresso in Lyon", "user") in captions
    assert ("Espresso at the station", "user") not in captions


def test_editing_a_photo_that_left_the_library_shows_an_error_dialog(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path, dialogs: RecordingDialogs
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    _open_first_result(qtbot, parts)
    page = parts.window.search_area.detail_page
    assert page.detail is not None
    with Store.open(indexed_library) as store, store.atomic():
        store.media.delete_media([page.detail.media_id])

    qtbot.keyClicks(page.tag_edit, "gone")
    qtbot.keyClick(page.tag_edit, Qt.Key.Key_Return)

    qtbot.waitUntil(lambda: len(dialogs.errors) == 1)
    assert "no longer in the library" in dialogs.errors[0].message
    assert "LibraryError" in dialogs.errors[0].details
    assert "no longer in the library" in parts.window.statusBar().currentMessage()


def test_escape_leaves_the_detail_view_then_clears_the_search(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    window = parts.window
    _open_first_result(qtbot, parts)

    window.escape()
    assert window.current_view == "resultsPage"
    window.escape()
    assert window.current_view == "hintPage"
    assert window.query_edit.text() == ""
    assert window.search_area.results_model.hits == ()


def test_search_with_this_photo_runs_an_image_search(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    window = parts.window
    _open_first_result(qtbot, parts)
    page = window.search_area.detail_page
    assert page.detail is not None
    photo = page.detail.path

    page.buttons["Search with this photo"].click()

    panel = window.search_area.image_query_panel
    qtbot.waitUntil(lambda: len(panel.captions()) > 0, timeout=SEARCH_TIMEOUT_MS)
    assert window.current_view == "resultsPage"
    qtbot.waitUntil(lambda: len(window.search_area.results_model.hits) == 10)
    assert photo not in [h.path for h in window.search_area.results_model.hits]  # not itself
