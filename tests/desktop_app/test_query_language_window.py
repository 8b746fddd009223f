"""The window reads the query language of ``hashlens search`` (one core parser): in the search
box, and as words added to a photo search."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from core.config import EncoderConfig, IndexingConfig
from core.encoders.encoder import LazyEncoder
from core.search.engine import SearchEngine
from core.search.query_syntax import SYNTAX_HINT
from core.store.database import Store
from desktop_app.application.model_choice import lazy_encoder
from tests.desktop_app.conftest import (
    OpenWindow,
    drop,
    mime_with,
    open_library_window,
    wait_for_view,
)

SEARCH_TIMEOUT_MS = 20_000


def _core_ranking(library: Path, encoder: LazyEncoder, query: str) -> list[str]:
    with Store.open(library) as store:
        engine = SearchEngine(store, encoder, IndexingConfig())
        return [hit.path for hit in engine.search_text(query, 20)]


def test_the_search_box_ranks_a_combined_query_as_the_cli_does(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path, tiny_model: EncoderConfig
) -> None:
    window = open_library_window(qtbot, open_window, indexed_library).window
    assert SYNTAX_HINT in window.query_edit.toolTip()
    query = "a cup of coffee + 2*a rocket - a cat"
    expected = _core_ranking(indexed_library, lazy_encoder(tiny_model), query)
    plain = _core_ranking(
        indexed_library, lazy_encoder(tiny_model), "a cup of coffee a rocket a cat"
    )
    assert expected != plain  # the signs and the weight are read, not searched as words

    qtbot.keyClicks(window.query_edit, query)

    wait_for_view(qtbot, window, "resultsPage")
    model = window.search_area.results_model
    qtbot.waitUntil(
        lambda: (
            window.search_area.header_label.text() == f"Photos for “{query}”"
            and len(model.hits) == 11
        ),
        timeout=SEARCH_TIMEOUT_MS,
    )
    assert [h.path for h in model.hits] == expected


def test_a_query_the_parser_refuses_is_worded_in_the_window(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    window = open_library_window(qtbot, open_window, indexed_library).window

    window.query_edit.setText("a cat + + a dog")
    window.query_submitted.emit("a cat + + a dog")

    wait_for_view(qtbot, window, "resultsPage")
    area = window.search_area
    qtbot.waitUntil(
        lambda: area.header_label.text() == "The query cannot be searched",
        timeout=SEARCH_TIMEOUT_MS,
    )
    assert "empty term after '+'" in area.status_label.text()
    assert area.results_model.hits == ()

    window.query_edit.setText("-rain")
    window.query_submitted.emit("-rain")
    qtbot.waitUntil(
        lambda: "only says what to leave out" in area.status_label.text(),
        timeout=SEARCH_TIMEOUT_MS,
    )


def test_words_added_to_a_dropped_photo_make_one_query_as_on_the_cli(
    qtbot: QtBot,
    open_window: OpenWindow,
    indexed_library: Path,
    photos: Path,
    tiny_model: EncoderConfig,
) -> None:
    window = open_library_window(qtbot, open_window, indexed_library).window
    photo = (photos / "chelsea.jpg").resolve()
    words = "a rocket -a cup of coffee"
    with Store.open(indexed_library) as store:
        engine = SearchEngine(store, lazy_encoder(tiny_model), IndexingConfig())
        expected = [h.path for h in engine.search_text(words, 20, images=[photo])]
        alone = [h.path for h in engine.search_image(photo, 20, target="photos")]
    assert expected != alone
    assert str(photo) not in expected
    area = window.search_area
    assert drop(window, mime_with(photo))
    qtbot.waitUntil(lambda: len(area.results_model.hits) == 10, timeout=SEARCH_TIMEOUT_MS)
    panel = area.image_query_panel
    assert SYNTAX_HINT in panel.words_edit.toolTip()

    qtbot.keyClicks(panel.words_edit, words)
    qtbot.keyClick(panel.words_edit, Qt.Key.Key_Return)

    qtbot.waitUntil(
        lambda: area.header_label.text() == f"Photos like chelsea.jpg and “{words}”",
        timeout=SEARCH_TIMEOUT_MS,
    )
    qtbot.waitUntil(
        lambda: [h.path for h in area.results_model.hits] == expected, timeout=SEARCH_TIMEOUT_MS
    )
    assert panel.isVisibleTo(window)

    panel.words_edit.clear()
    qtbot.keyClick(panel.words_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: area.header_label.text() == "Photos like chelsea.jpg", timeout=SEARCH_TIMEOUT_MS
    )
    qtbot.waitUntil(
        lambda: [h.path for h in area.results_model.hits] == alone, timeout=SEARCH_TIMEOUT_MS
    )
