"""The Duplicates view (issue 17): one strip per group, largest copy first, grid actions on
them, and no file touched."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QItemSelectionModel
from PySide6.QtGui import QAction
from pytestqt.qtbot import QtBot

from core.config import EncoderConfig, IndexingConfig
from core.library.folders import register_folder
from core.library.indexing.indexer import Indexer
from core.search.duplicate_groups import GroupingOptions
from core.search.duplicate_report import DuplicateReport, ReportGroup
from core.store.database import Store
from core.store.records import FileFacts
from desktop_app.application.model_choice import lazy_encoder
from desktop_app.gui.tasks import TaskRunner
from desktop_app.gui.thumbnails import ThumbnailLoader
from desktop_app.gui.views.duplicates_page import DuplicatesPage, GroupStrip
from tests.desktop_app.conftest import OpenWindow, open_library_window, wait_for_view
from tests.pipeline.test_cli_duplicates import make_duplicates

TIMEOUT_MS = 30_000


@pytest.fixture
def duplicate_library(
    tmp_path: Path, tiny_model: EncoderConfig, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, dict[str, Path]]:
    # random test weights put every pair of photos at cosine 0.97-0.998; a re-encoded copy
    # stays above 0.9999 (see tests/pipeline/test_cli_duplicates.py)
    monkeypatch.setenv("HASHLENS_DUPLICATES_MIN_COSINE", "0.9995")
    folder = tmp_path / "photos"
    files = make_duplicates(folder)
    library = tmp_path / "library.sqlite"
    with Store.open(library) as store:
        register_folder(store, str(folder.resolve()))
        Indexer(store, lazy_encoder(tiny_model), IndexingConfig()).run()
    return library, files


def _names(strip: GroupStrip) -> list[str]:
    model = strip.model()
    return [Path(hit.path).name for hit in model.hits]  # type: ignore[attr-defined]


def test_duplicates_view_shows_each_group_largest_first_with_the_grid_actions(
    qtbot: QtBot, open_window: OpenWindow, duplicate_library: tuple[Path, dict[str, Path]]
) -> None:
    library, files = duplicate_library
    before = sorted(p.name for p in files["original"].parent.iterdir())
    parts = open_library_window(qtbot, open_window, library)
    window = parts.window
    menu_entry = next(a for a in window.findChildren(QAction) if a.text() == "Find &Duplicates")
    menu_entry.trigger()
    page = window.duplicates_page
    assert window.current_view == "duplicatesPage"
    qtbot.waitUntil(lambda: len(page.strips) == 2, timeout=TIMEOUT_MS)

    titles = [label.text() for label in page._titles]
    assert titles[0] == "Exact copies · 2 photos"
    assert titles[1].startswith("Near-duplicates · 2 photos · cosine ≥ 0.99")
    exact, near = page.strips
    assert _names(exact) == [files["original"].name, files["exact"].name]
    assert _names(near) == [files["edited"].name, files["near"].name]  # larger one first
    assert "2 groups, 4 of 13 photos" in page.status_label.text()
    assert "Nothing is deleted" in page.note_label.text()

    # select both near copies: the grid's context menu acts on the whole selection
    flags = QItemSelectionModel.SelectionFlag.Select
    for row in range(2):
        near.selectionModel().select(near.model().index(row, 0), flags)
    menu = near.context_menu()
    texts = [a.text() for a in menu.actions()]
    assert "Delete" not in " ".join(texts)  # the app offers no deleting
    reveal = next(a for a in menu.actions() if a.text() == "Show in Folder")
    assert reveal.isEnabled()
    with qtbot.waitSignal(page.reveal_requested, timeout=TIMEOUT_MS) as shown:
        reveal.trigger()
    assert [Path(p).name for p in shown.args[0]] == _names(near)

    with qtbot.waitSignal(window.hit_opened, timeout=TIMEOUT_MS) as opened:
        near.hit_opened.emit(near.model().hits[1])  # type: ignore[attr-defined]
    assert Path(opened.args[0].path).name == files["near"].name

    wait_for_view(qtbot, window, "detailPage")
    window.escape()
    assert window.current_view == "duplicatesPage"  # back where the photo was opened from
    window.show_duplicates()  # look again
    qtbot.waitUntil(lambda: len(page.strips) == 2, timeout=TIMEOUT_MS)
    controllers = parts.controllers
    assert controllers is not None
    with qtbot.waitSignal(controllers.search.results_changed, timeout=TIMEOUT_MS):
        controllers.search.library_changed()  # e.g. watched folders changed: a refresh
    assert window.current_view == "duplicatesPage"  # the refresh does not take the view away
    page.bursts_check.setChecked(True)  # look again, with bursts
    qtbot.waitUntil(
        lambda: "bursts: shots within 10 s" in page.status_label.text(), timeout=TIMEOUT_MS
    )
    assert len(page.strips) == 2  # no capture times here, so no burst joins a group
    assert window.leave_duplicates()
    assert window.current_view != "duplicatesPage"
    assert sorted(p.name for p in files["original"].parent.iterdir()) == before


def test_duplicates_view_says_when_nothing_is_indexed(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, tiny_model: EncoderConfig
) -> None:
    folder = tmp_path / "photos"
    make_duplicates(folder)
    library = tmp_path / "library.sqlite"
    with Store.open(library) as store:
        register_folder(store, str(folder.resolve()))
    parts = open_library_window(qtbot, open_window, library)
    parts.window.show_duplicates()
    page = parts.window.duplicates_page
    qtbot.waitUntil(lambda: "no indexed photos" in page.status_label.text(), timeout=TIMEOUT_MS)
    assert page.strips == []


def test_many_groups_are_built_a_strip_per_turn_and_a_new_report_replaces_them(
    qtbot: QtBot, tmp_path: Path
) -> None:
    def report(n: int) -> DuplicateReport:
        groups = tuple(
            ReportGroup(
                "near",
                0.97,
                tuple(
                    FileFacts(2 * i + j, str(tmp_path / f"{i}-{j}.jpg"), 10, "h", 4, 4, None)
                    for j in range(2)
                ),
            )
            for i in range(n)
        )
        return DuplicateReport(groups, 2 * n, None, None, None, GroupingOptions())

    tasks = TaskRunner()
    page = DuplicatesPage(ThumbnailLoader(tasks, tmp_path / "thumbs", 10**8))
    qtbot.addWidget(page)
    page.show_report(report(30))
    assert 0 < len(page.strips) < 30  # the rest come on later event-loop turns
    qtbot.waitUntil(lambda: len(page.strips) == 30, timeout=TIMEOUT_MS)
    assert not page.is_building
    page.show_report(report(30))
    page.show_report(report(3))  # a newer report: the older one's pending strips are dropped
    qtbot.waitUntil(lambda: not page.is_building, timeout=TIMEOUT_MS)
    qtbot.wait(50)
    assert len(page.strips) == 3
    tasks.wait_for_done(5000)
