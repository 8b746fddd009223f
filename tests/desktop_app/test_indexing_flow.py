"""Indexing from the window with the tiny model: progress, results as batches land, Cancel."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from core.config import EncoderConfig
from core.library.indexing import image_stage
from core.store.database import Store
from core.store.lock import WriterLock
from core.types import IndexReport
from desktop_app.gui.controllers import indexing_controller
from desktop_app.gui.controllers.indexing_controller import IndexProgress
from tests.desktop_app.conftest import (
    OpenWindow,
    RecordingDialogs,
    drop,
    mime_with,
    wait_for_page,
)

INDEX_TIMEOUT_MS = 60_000


def _ready_photos(library: Path) -> int:
    with Store.open(library) as store:
        return store.stats().photos_ready


def _noise_photos(folder: Path, count: int) -> None:
    folder.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        pixels = rng.integers(0, 255, size=(48, 64, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(folder / f"noise_{i:03d}.png")


def test_dropped_folder_is_indexed_with_progress_and_skipped_files_listed(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, photos: Path,
    tiny_model: EncoderConfig,
) -> None:  # fmt: skip
    (photos / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 truncated")
    library = tmp_path / "library.sqlite"
    parts = open_window(library)
    window, indexing = parts.window, parts.controllers.indexing  # type: ignore[union-attr]
    wait_for_page(qtbot, window, "emptyPage")
    updates: list[IndexProgress] = []
    indexing.progress_changed.connect(updates.append)

    with (
        qtbot.waitSignal(indexing.started),
        qtbot.waitSignal(indexing.finished, timeout=INDEX_TIMEOUT_MS) as finished,
    ):
        drop(window, mime_with(photos))

    report = finished.args[0]
    assert isinstance(report, IndexReport)
    assert report.encoded_images == 11
    assert [s.path for s in report.skipped] == [str((photos / "broken.jpg").resolve())]
    photo_updates = [u for u in updates if u.text.startswith("Encoding photos")]
    assert photo_updates
    assert photo_updates[-1].done == photo_updates[-1].total == 12
    assert "of 12" in photo_updates[-1].text
    panel = window.library_panel
    qtbot.waitUntil(lambda: panel.folder_table.item(0, 1).text() == "11")
    assert panel.folder_table.item(0, 2).text() == "11"  # one sidecar caption per photo
    assert panel.folder_table.item(0, 3).text() == "1"
    assert not panel.cancel_button.isVisibleTo(window)
    assert "11 new" not in window.statusBar().currentMessage()  # 12 files were new
    assert "12 new" in window.statusBar().currentMessage()
    assert panel.skipped_button.text().startswith("1 file skipped")
    panel.skipped_button.click()
    assert window.skipped_dialog is not None
    [(path, reason)] = window.skipped_dialog.rows()
    assert path.endswith("broken.jpg")
    assert reason


@pytest.mark.usefixtures("tiny_model")
def test_cancel_stops_indexing_keeps_finished_batches_and_index_now_resumes(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HASHLENS_ENCODER_BATCH_SIZE", "1")  # one photo per batch
    # Until Cancel is clicked each photo takes at least 20 ms to decode, so the 200 take
    # seconds: a fast machine once finished them all in CI before the first (10 Hz
    # rate-limited) progress report reached the window and the click landed.
    clicked = threading.Event()
    real_open = image_stage.open_image

    def slow_until_cancel(path: Path, **kwargs: Any) -> Any:
        clicked.wait(timeout=0.02)
        return real_open(path, **kwargs)

    monkeypatch.setattr(image_stage, "open_image", slow_until_cancel)
    folder = tmp_path / "noise"
    total = 200
    _noise_photos(folder, total)
    library = tmp_path / "library.sqlite"
    parts = open_window(library)
    window, indexing = parts.window, parts.controllers.indexing  # type: ignore[union-attr]
    wait_for_page(qtbot, window, "emptyPage")
    panel = window.library_panel

    def first_photo_batch(update: IndexProgress) -> bool:
        return update.text.startswith("Encoding photos") and update.done >= 1

    with qtbot.waitSignal(indexing.finished, timeout=INDEX_TIMEOUT_MS) as finished:
        with qtbot.waitSignal(indexing.progress_changed, check_params_cb=first_photo_batch):
            drop(window, mime_with(folder))
        panel.cancel_button.click()
        clicked.set()
        assert "Stopping" in panel.progress_label.text()

    assert finished.args[0].cancelled
    kept = _ready_photos(library)
    assert 1 <= kept < total
    assert "cancelled" in window.statusBar().currentMessage()
    assert panel.index_button.isEnabled()

    with qtbot.waitSignal(indexing.finished, timeout=INDEX_TIMEOUT_MS) as resumed:
        panel.index_button.click()
    assert not resumed.args[0].cancelled
    assert resumed.args[0].encoded_images == total - kept
    assert _ready_photos(library) == total


@pytest.mark.usefixtures("tiny_model")
def test_window_stays_responsive_while_indexing(
    qtbot: QtBot, open_window: OpenWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HASHLENS_ENCODER_BATCH_SIZE", "1")
    folder = tmp_path / "noise"
    _noise_photos(folder, 60)
    parts = open_window(tmp_path / "library.sqlite")
    window, indexing = parts.window, parts.controllers.indexing  # type: ignore[union-attr]
    wait_for_page(qtbot, window, "emptyPage")
    ticks: list[int] = []
    timer = QTimer()
    timer.setInterval(10)
    timer.timeout.connect(lambda: ticks.append(1))
    with qtbot.waitSignal(indexing.finished, timeout=INDEX_TIMEOUT_MS):
        drop(window, mime_with(folder))
        timer.start()
    timer.stop()
    assert len(ticks) >= 3  # the GUI thread kept running its event loop during the run


def _album_sources(library: Path) -> list[bool]:
    with Store.open(library) as store:
        return [f.is_album_source for f in store.media.folders()]


def test_album_labels_are_switched_per_folder_from_the_folder_menu(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path
) -> None:
    parts = open_window(indexed_library)
    wait_for_page(qtbot, parts.window, "libraryPage")
    panel = parts.window.library_panel
    library = parts.controllers.library  # type: ignore[union-attr]
    qtbot.waitUntil(lambda: panel.folder_table.rowCount() == 1)
    assert not panel.album_action.isEnabled()  # nothing selected
    panel.folder_table.selectRow(0)
    assert panel.album_action in panel.folder_table.actions()
    assert panel.album_action.isEnabled()
    assert not panel.album_action.isChecked()
    for is_on in (True, False):
        with qtbot.waitSignal(library.overview_changed):
            panel.album_action.trigger()
        assert _album_sources(indexed_library) == [is_on]
        assert panel.album_action.isChecked() is is_on
        assert ("albums" in panel.folder_table.item(0, 0).toolTip()) is is_on


def test_a_library_busy_in_another_process_is_indexed_once_free_without_an_error_dialog(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path, photos: Path,
    dialogs: RecordingDialogs, monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setattr(indexing_controller, "BUSY_RETRY_MS", 200)
    shutil.copy(photos / "chelsea.jpg", photos / "chelsea-copy.jpg")
    Image.new("RGB", (40, 30), (200, 30, 30)).save(photos / "red.png")
    parts = open_window(indexed_library)
    window, indexing = parts.window, parts.controllers.indexing  # type: ignore[union-attr]
    wait_for_page(qtbot, window, "libraryPage")
    other_writer = WriterLock(indexed_library)  # what `hashlens index` holds while it runs
    other_writer.acquire()
    try:
        with qtbot.waitSignal(indexing.busy) as busy:
            window.library_panel.index_button.click()
        assert "Another HashLens process" in busy.args[0]
        assert "Another HashLens process" in window.statusBar().currentMessage()
        assert indexing.is_waiting_for_library
        assert window.library_panel.index_button.isEnabled()
        with qtbot.waitSignal(indexing.busy):  # still held: it keeps trying
            pass
    finally:
        other_writer.release()
    with qtbot.waitSignal(indexing.finished, timeout=INDEX_TIMEOUT_MS) as finished:
        pass
    assert finished.args[0].encoded_images == 1  # the copy reuses its original's vectors
    assert _ready_photos(indexed_library) == 13
    assert not indexing.is_waiting_for_library
    assert dialogs.errors == []


def test_cancel_stops_waiting_for_a_busy_library(
    qtbot: QtBot, open_window: OpenWindow, indexed_library: Path,
) -> None:  # fmt: skip
    parts = open_window(indexed_library)
    window, indexing = parts.window, parts.controllers.indexing  # type: ignore[union-attr]
    wait_for_page(qtbot, window, "libraryPage")
    # the default 5 s wait was once too short for a loaded machine in the full suite
    with WriterLock(indexed_library), qtbot.waitSignal(indexing.busy, timeout=INDEX_TIMEOUT_MS):
        indexing.start()
    assert indexing.is_waiting_for_library
    indexing.cancel()
    assert not indexing.is_waiting_for_library
