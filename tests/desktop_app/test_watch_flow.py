"""Watching from the window: the indicator, a photo that appears in the open search, a
folder that goes away and comes back."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pytestqt.qtbot import QtBot

from core.library.watching.folder_watcher import FolderWatchState
from core.library.watching.service import WatchStatus
from desktop_app.application.watch_text import status_line
from desktop_app.gui.views.watch_indicator import WatchIndicator
from tests.desktop_app.conftest import OpenWindow, open_library_window, wait_for_view

TIMEOUT_MS = 30_000


@pytest.fixture
def quick_watching(monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in (("QUIET_S", "0.2"), ("SETTLE_S", "0.1"), ("POLL_INTERVAL_S", "0.3")):
        monkeypatch.setenv(f"HASHLENS_WATCH_{key}", value)


def test_status_line_counts_folders_and_waiting_changes() -> None:
    watched = FolderWatchState("/p/a", "events")
    polled = FolderWatchState("/p/b", "polling", "a network or virtual drive (nfs4)")
    gone = FolderWatchState("/p/c", "missing", "the folder is not there")
    assert status_line(WatchStatus((watched,))) == "Watching 1 folder"
    assert status_line(WatchStatus((watched, polled), pending=1)) == (
        "Watching 2 folders · 1 change waiting"
    )
    assert status_line(WatchStatus((watched, gone), pending=1200)) == (
        "Watching 1 of 2 folders · 1,200 changes waiting"
    )


def test_indicator_flags_unwatched_folders_and_names_each_in_its_tooltip(qtbot: QtBot) -> None:
    indicator = WatchIndicator(poll_interval_s=5)
    qtbot.addWidget(indicator)
    assert indicator.isHidden()  # no folders yet
    indicator.show_status(
        WatchStatus((FolderWatchState("/p/Photos", "events"),
                     FolderWatchState("/media/Card", "missing", "the folder is not there")))
    )  # fmt: skip
    assert not indicator.isHidden()
    assert indicator.text() == "⚠ Watching 1 of 2 folders"
    tip = indicator.toolTip()
    assert "Photos: watched with file events" in tip
    assert "Card: not watched: the folder is not there; looking for it every 5 s" in tip
    indicator.show_off()
    assert indicator.text() == "Not watching folders"


@pytest.mark.usefixtures("quick_watching")
def test_a_photo_copied_into_a_watched_folder_appears_in_the_open_search(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path, photos: Path, tmp_path: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    window, controllers = parts.window, parts.controllers
    assert controllers is not None
    panel, indicator = window.library_panel, window.watch_indicator
    qtbot.waitUntil(lambda: indicator.text() == "Watching 1 folder", timeout=TIMEOUT_MS)
    assert panel.watched_text(0) == "yes"
    statuses: list[WatchStatus] = []
    controllers.watch.status_changed.connect(statuses.append)
    controllers.search.search_text_now("a cat")
    wait_for_view(qtbot, window, "resultsPage")
    model = window.search_area.results_model
    qtbot.waitUntil(lambda: len(model.hits) == 11, timeout=TIMEOUT_MS)

    pixels = np.random.default_rng(5).integers(0, 255, size=(40, 60, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "new.jpg")
    shutil.copyfile(tmp_path / "new.jpg", photos / "new.jpg")

    new_path = str((photos / "new.jpg").resolve())
    qtbot.waitUntil(lambda: new_path in {h.path for h in model.hits}, timeout=TIMEOUT_MS)
    assert len(model.hits) == 12  # the search ran again with the new photo in the library
    qtbot.waitUntil(lambda: panel.folder_table.item(0, 1).text() == "12", timeout=TIMEOUT_MS)
    assert any(s.pending for s in statuses)  # the indicator counted it while it settled
    qtbot.waitUntil(lambda: indicator.text() == "Watching 1 folder", timeout=TIMEOUT_MS)
    assert "1 new" in window.statusBar().currentMessage()


@pytest.mark.usefixtures("quick_watching")
def test_a_folder_that_goes_away_is_shown_missing_and_watched_again_when_back(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path, photos: Path
) -> None:
    parts = open_library_window(qtbot, open_window, indexed_library)
    panel, indicator = parts.window.library_panel, parts.window.watch_indicator
    qtbot.waitUntil(lambda: panel.watched_text(0) == "yes", timeout=TIMEOUT_MS)

    photos.rename(photos.with_name("unplugged"))
    qtbot.waitUntil(lambda: panel.watched_text(0) == "missing", timeout=TIMEOUT_MS)
    assert indicator.text() == "⚠ Watching 0 of 1 folder"
    assert "not there" in panel.folder_table.item(0, 4).toolTip()

    photos.with_name("unplugged").rename(photos)
    qtbot.waitUntil(lambda: panel.watched_text(0) == "yes", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: panel.folder_table.item(0, 1).text() == "11", timeout=TIMEOUT_MS)
    qtbot.waitUntil(lambda: indicator.text() == "Watching 1 folder", timeout=TIMEOUT_MS)
