"""The watch service's promises with a stand-in index run: one run at a time, follow-up
runs merged, failures retried, and watching that survives errors."""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import WatchConfig
from core.errors import LibraryBusyError
from core.library.watching.service import WatchOptions, WatchService
from tests.core.library.watching.conftest import wait_until

CONFIG = WatchConfig(quiet_s=0.1, settle_s=0.05, poll_interval_s=0.2)


class IndexRuns:
    """Counts runs; a run can be held open, or made to fail, by the test."""

    def __init__(self) -> None:
        self.count = 0
        self.failures: list[Exception] = []
        self.release = threading.Event()
        self.release.set()
        self.is_running = threading.Event()

    def __call__(self) -> None:
        self.count += 1
        self.is_running.set()
        try:
            if self.failures:
                raise self.failures.pop(0)
            assert self.release.wait(10)
        finally:
            self.is_running.clear()


@pytest.fixture
def runs() -> IndexRuns:
    return IndexRuns()


@pytest.fixture
def service(runs: IndexRuns, tmp_path: Path) -> Iterator[WatchService]:
    svc = WatchService(runs, CONFIG)
    svc.set_folders([str(tmp_path)])
    svc.start()
    assert svc.wait_until_applied(10)
    yield svc
    runs.release.set()
    svc.stop()


def photo(path: Path) -> None:
    path.write_bytes(b"\xff\xd8 a photo")


def test_changes_during_a_run_make_exactly_one_follow_up_run(
    runs: IndexRuns, service: WatchService, tmp_path: Path
) -> None:
    runs.release.clear()
    photo(tmp_path / "first.jpg")
    assert runs.is_running.wait(10)
    for number, name in enumerate(("a.jpg", "b.jpg", "c.jpg"), start=1):
        photo(tmp_path / name)  # separate changes while the run is held open
        assert wait_until(lambda n=number: service.status().pending == n)
    assert runs.count == 1
    runs.release.set()
    assert wait_until(lambda: runs.count == 2 and not service.status().pending)
    assert wait_until(lambda: not service.status().is_indexing)
    assert runs.count == 2


def test_a_failed_run_is_retried_and_watching_goes_on(
    runs: IndexRuns, service: WatchService, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    runs.failures.append(LibraryBusyError("Another HashLens process is already updating."))
    with caplog.at_level(logging.WARNING):
        photo(tmp_path / "a.jpg")
        assert wait_until(lambda: runs.count == 2)  # the retry, a poll interval later
    assert any("trying again" in r.getMessage() for r in caplog.records)
    photo(tmp_path / "b.jpg")
    assert wait_until(lambda: runs.count == 3)


def test_an_unexpected_error_is_logged_and_watching_goes_on(
    runs: IndexRuns, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []

    def folders() -> list[str]:  # the library is locked once, then readable
        calls.append(1)
        if len(calls) == 1:
            raise sqlite3.OperationalError("database is locked")
        return [str(tmp_path)]

    svc = WatchService(runs, CONFIG, WatchOptions(folders=folders))
    with caplog.at_level(logging.ERROR):
        svc.start()
        try:
            assert wait_until(lambda: [s.mode for s in svc.status().folders] == ["events"])
            photo(tmp_path / "a.jpg")
            assert wait_until(lambda: runs.count == 1)
        finally:
            svc.stop()
    assert any("unexpected error" in r.getMessage() for r in caplog.records)
