"""The window as it runs by default: the model in a process of its own (encoder.process)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.config import EncoderConfig, IndexingConfig
from core.encoders.encoder_process import EncoderProcess
from core.library.folders import register_folder
from core.library.indexing.indexer import Indexer
from core.search.engine import SearchEngine
from core.store.database import Store
from desktop_app.application.model_choice import lazy_encoder
from tests.desktop_app.conftest import (
    OpenWindow,
    drop,
    mime_with,
    open_library_window,
    wait_for_page,
    wait_for_view,
)

# the first request starts the model process: a fresh torch import on a busy machine
PROCESS_TIMEOUT_MS = 120_000


def stored_vectors(library: Path) -> dict[tuple[str, str], bytes]:
    """Every stored vector by (file name, photo or caption text), as its float16 blob."""
    with Store.open(library) as store:
        photos = store.db.execute(
            "SELECT m.path, f.vector FROM image_features f JOIN media m ON m.id = f.media_id"
        ).fetchall()
        captions = store.db.execute(
            "SELECT m.path, c.text, f.vector FROM caption_features f"
            " JOIN captions c ON c.id = f.caption_id JOIN media m ON m.id = c.media_id"
        ).fetchall()
    vectors = {(Path(p).name, "photo"): bytes(v) for p, v in photos}
    vectors.update({(Path(p).name, str(text)): bytes(v) for p, text, v in captions})
    return vectors


def test_the_window_searches_through_its_model_process_and_stops_it_on_close(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path, photos: Path,
    model_process: EncoderConfig,
) -> None:  # fmt: skip
    parts = open_library_window(qtbot, open_window, indexed_library)
    window = parts.window
    query = photos / "chelsea.jpg"

    assert drop(window, mime_with(query))

    wait_for_view(qtbot, window, "resultsPage")
    area = window.search_area
    qtbot.waitUntil(lambda: len(area.results_model.hits) == 10, timeout=PROCESS_TIMEOUT_MS)
    # the library was indexed in-process: the model process gives the very same vector,
    # so the same photos score the same (the query photo itself is left out of its results)
    with Store.open(indexed_library) as store:
        inline = lazy_encoder(replace(model_process, process="inline"))
        engine = SearchEngine(store, inline, IndexingConfig())
        expected = engine.search_image(query, 20, target="photos")
    shown = area.results_model.hits
    assert [h.path for h in shown] == [h.path for h in expected]
    assert [h.score for h in shown] == pytest.approx([h.score for h in expected], abs=1e-3)
    assert str(query.resolve()) not in [h.path for h in shown]
    assert parts.controllers is not None
    served = parts.controllers.model.encoder.get()
    assert isinstance(served, EncoderProcess)
    pid = served.pid
    assert pid is not None
    assert pid != os.getpid()

    parts.shut_down()

    assert served.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_indexing_through_the_model_process_stores_the_vectors_hashlens_index_stores(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, photos: Path,
    model_process: EncoderConfig,
) -> None:  # fmt: skip
    library = tmp_path / "window.sqlite"
    parts = open_window(library)
    window, indexing = parts.window, parts.controllers.indexing  # type: ignore[union-attr]
    wait_for_page(qtbot, window, "emptyPage")
    with qtbot.waitSignal(indexing.finished, timeout=PROCESS_TIMEOUT_MS) as finished:
        drop(window, mime_with(photos))
    assert finished.args[0].encoded_images == 11

    inline = tmp_path / "inline.sqlite"
    with Store.open(inline) as store:
        register_folder(store, str(photos.resolve()))
        Indexer(store, lazy_encoder(model_process), IndexingConfig()).run()  # as the CLI does

    by_window, by_cli = stored_vectors(library), stored_vectors(inline)
    assert len(by_window) == 22  # 11 photos and their 11 sidecar captions
    assert by_window == by_cli
