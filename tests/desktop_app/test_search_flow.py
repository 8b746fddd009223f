"""Search from the window: text as you type, by photo (drop, paste), and stale answers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QThreadPool
from PySide6.QtGui import QGuiApplication, QImage
from pytestqt.qtbot import QtBot

from core.config import load_config
from core.search.engine import Snapshot
from core.store.database import Store
from core.types import SearchHit
from desktop_app.application.model_choice import lazy_encoder
from desktop_app.application.search import SearchContext, SearchOutcome, SearchQuery
from desktop_app.gui.controllers.search_controller import SearchController
from desktop_app.gui.tasks import TaskRunner
from tests.desktop_app.conftest import (
    OpenWindow,
    drop,
    mime_with,
    open_library_window,
    wait_for_view,
)

SEARCH_TIMEOUT_MS = 20_000


def test_typing_shows_a_grid_of_photos_from_the_library(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path, photos: Path
) -> None:
    window = open_library_window(qtbot, open_window, indexed_library).window

    qtbot.keyClicks(window.query_edit, "a cat on a sofa")

    wait_for_view(qtbot, window, "resultsPage")
    model = window.search_area.results_model
    header = window.search_area.header_label
    qtbot.waitUntil(
        lambda: header.text() == "Photos for “a cat on a sofa”" and len(model.hits) == 11,
        timeout=SEARCH_TIMEOUT_MS,
    )
    assert {Path(h.path).parent for h in model.hits} == {photos.resolve()}
    assert [h.score for h in model.hits] == sorted((h.score for h in model.hits), reverse=True)
    assert window.search_area.header_label.text() == "Photos for “a cat on a sofa”"
    assert not window.search_area.image_query_panel.isVisibleTo(window)


def test_dropping_a_photo_lists_captions_that_describe_it_and_similar_photos(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path, photos: Path
) -> None:
    window = open_library_window(qtbot, open_window, indexed_library).window
    query = photos / "chelsea.jpg"

    assert drop(window, mime_with(query))

    wait_for_view(qtbot, window, "resultsPage")
    area = window.search_area
    qtbot.waitUntil(lambda: len(area.results_model.hits) == 10, timeout=SEARCH_TIMEOUT_MS)
    assert str(query.resolve()) not in [h.path for h in area.results_model.hits]  # not itself
    captions = area.image_query_panel.captions()
    assert len(captions) == 11
    assert any(row.endswith("Chelsea the cat.") for row in captions)
    assert area.image_query_panel.isVisibleTo(window)
    assert area.header_label.text() == "Photos like chelsea.jpg"


def test_pasted_image_searches_like_a_dropped_one(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path, photos: Path
) -> None:
    window = open_library_window(qtbot, open_window, indexed_library).window
    QGuiApplication.clipboard().setImage(QImage(str(photos / "coffee.jpg")))

    window.paste_image()

    area = window.search_area
    qtbot.waitUntil(lambda: len(area.image_query_panel.captions()) == 11, timeout=SEARCH_TIMEOUT_MS)
    assert len(area.results_model.hits) == 11


def test_searching_before_anything_is_indexed_explains_why_nothing_shows(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, tiny_model: object
) -> None:
    library = tmp_path / "library.sqlite"
    folder = tmp_path / "later"
    folder.mkdir()
    with Store.open(library) as store, store.atomic():
        store.media.add_folder(str(folder))
    window = open_library_window(qtbot, open_window, library).window

    window.query_edit.setText("anything")
    window.query_submitted.emit("anything")

    wait_for_view(qtbot, window, "resultsPage")
    qtbot.waitUntil(lambda: "indexed" in window.search_area.status_label.text())
    assert window.search_area.results_model.hits == ()


class _ScriptedSearch:
    """A search job whose answers the test releases, in any order it likes."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.gates: dict[str, threading.Event] = {}

    def __call__(
        self, context: SearchContext, query: SearchQuery, request_id: int, snapshot: Snapshot | None
    ) -> SearchOutcome:
        self.calls.append(query.text)
        gate = self.gates.setdefault(query.text, threading.Event())
        assert gate.wait(10)
        hit = SearchHit("photo", request_id, f"/photos/{query.text}.jpg", query.text, 0.5)
        return SearchOutcome(request_id, query, (hit,), (), snapshot)  # type: ignore[arg-type]

    def release(self, text: str) -> None:
        self.gates.setdefault(text, threading.Event()).set()


@pytest.fixture
def scripted(qtbot: QtBot, tmp_path: Path) -> Iterator[tuple[SearchController, _ScriptedSearch]]:
    job = _ScriptedSearch()
    pool = QThreadPool.globalInstance()
    threads = pool.maxThreadCount()
    pool.setMaxThreadCount(max(2, threads))  # two answers in flight at once, even on one core
    config = load_config(library_path=tmp_path / "lib.sqlite")
    encoder = lazy_encoder(config.encoder)
    tasks = TaskRunner()
    controller = SearchController(
        config.library_path, config, lambda: encoder, tasks, tmp_path, job=job
    )
    yield controller, job
    for text in list(job.gates):
        job.release(text)
    tasks.wait_for_done()
    pool.setMaxThreadCount(threads)


def test_a_slow_old_answer_never_replaces_a_newer_one(
    qtbot: QtBot, scripted: tuple[SearchController, _ScriptedSearch]
) -> None:
    controller, job = scripted
    shown: list[SearchOutcome] = []
    controller.results_changed.connect(shown.append)

    controller.search_text_now("old")
    controller.search_text_now("new")
    qtbot.waitUntil(lambda: job.calls == ["old", "new"] or job.calls == ["new", "old"])
    with qtbot.waitSignal(controller.results_changed):
        job.release("new")
    job.release("old")
    qtbot.wait(200)  # give the stale answer every chance to arrive

    assert [o.query.text for o in shown] == ["new"]
    assert shown[0].request_id == controller.latest_request_id


def test_typing_is_debounced_into_one_search_for_the_last_text(
    qtbot: QtBot, scripted: tuple[SearchController, _ScriptedSearch]
) -> None:
    controller, job = scripted
    for text in ("r", "re", "red", "red c", "red car"):
        controller.set_text(text)
    job.release("red car")

    with qtbot.waitSignal(controller.results_changed) as shown:
        pass
    assert job.calls == ["red car"]
    assert shown.args[0].query.text == "red car"


def test_clearing_the_query_drops_an_answer_still_on_its_way(
    qtbot: QtBot, scripted: tuple[SearchController, _ScriptedSearch]
) -> None:
    controller, job = scripted
    shown: list[SearchOutcome] = []
    controller.results_changed.connect(shown.append)
    controller.search_text_now("dog")
    qtbot.waitUntil(lambda: job.calls == ["dog"])

    with qtbot.waitSignal(controller.cleared):
        controller.set_text("")
    job.release("dog")
    job.release("")  # clearing lists every photo again
    qtbot.wait(200)

    assert [o.query.text for o in shown] == [""]
    assert controller.query == SearchQuery()
