"""Observers on real temporary folders: fallbacks, vanishing folders, errors, filtering."""

from __future__ import annotations

import errno
import logging
import os
import shutil
import sys
from pathlib import Path

import pytest
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from core.config import WatchConfig
from core.library.watching import folder_watcher as folder_watcher_module
from core.library.watching.folder_watcher import FolderWatcher
from core.library.watching.mounts import MountTable
from core.library.watching.observers import ObserverKind, default_observer
from tests.core.library.watching.conftest import ChangeLog, wait_until

CONFIG = WatchConfig(poll_interval_s=0.1)


class RefusingObserver(Observer):
    """The native observer, refused by the system at start (as inotify at its limits)."""

    def __init__(self, error: OSError) -> None:
        super().__init__()
        self._error = error

    def start(self) -> None:
        raise self._error


class Factory:
    """Builds observers, refusing native ones with ``error`` while it is set; counts them."""

    def __init__(self, error: OSError | None = None) -> None:
        self.error = error
        self.built: list[ObserverKind] = []

    def __call__(self, kind: ObserverKind, poll_interval_s: float) -> BaseObserver:
        self.built.append(kind)
        if kind == "events" and self.error is not None:
            return RefusingObserver(self.error)
        return default_observer(kind, poll_interval_s)


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    return a, b


def touch_photo(path: Path) -> str:
    path.write_bytes(b"\xff\xd8 not really a jpeg")
    return str(path)


@pytest.mark.parametrize(
    ("code", "setting"),
    [
        (errno.ENOSPC, "fs.inotify.max_user_watches"),
        (errno.EMFILE, "fs.inotify.max_user_instances"),
    ],
)
def test_at_the_inotify_limit_folders_are_polled_and_the_log_says_how_to_raise_it(
    folders: tuple[Path, Path], caplog: pytest.LogCaptureFixture, code: int, setting: str
) -> None:
    factory = Factory(OSError(code, "inotify watch limit reached"))
    log = ChangeLog()
    watcher = FolderWatcher(log, CONFIG, observers=factory)
    try:
        with caplog.at_level(logging.WARNING):
            watcher.set_folders([str(f) for f in folders])
        states = watcher.states()
        assert [s.mode for s in states] == ["polling", "polling"]
        assert setting in states[0].reason
        assert factory.built == ["events", "polling", "polling"]  # the second goes straight there
        [warning] = [r for r in caplog.records if r.levelno == logging.WARNING]
        assert "polling" in warning.getMessage()
        assert f"sudo sysctl {setting}=" in warning.getMessage()
        assert log.wait_for(touch_photo(folders[1] / "new.jpg"))  # and polling does pick it up
    finally:
        watcher.stop()


def test_a_vanished_folder_is_reported_the_others_stay_watched_and_it_comes_back(
    folders: tuple[Path, Path], caplog: pytest.LogCaptureFixture
) -> None:
    a, b = folders
    log = ChangeLog()
    watcher = FolderWatcher(log, CONFIG)
    try:
        watcher.set_folders([str(a), str(b)])
        assert [s.mode for s in watcher.states()] == ["events", "events"]
        shutil.rmtree(a)
        with caplog.at_level(logging.WARNING):
            assert watcher.check() == []
        assert [s.mode for s in watcher.states()] == ["missing", "events"]
        assert "not there" in watcher.states()[0].reason
        assert any(str(a) in r.getMessage() for r in caplog.records)
        assert log.wait_for(touch_photo(b / "still.jpg"))
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            assert watcher.check() == []  # still gone: said once, not at every look
        assert not caplog.records
        a.mkdir()
        assert watcher.check() == [str(a)]
        assert [s.mode for s in watcher.states()] == ["events", "events"]
        assert log.wait_for(touch_photo(a / "back.jpg"))
    finally:
        watcher.stop()


def test_a_folder_replaced_by_another_is_watched_afresh(folders: tuple[Path, Path]) -> None:
    a, _ = folders
    log = ChangeLog()
    watcher = FolderWatcher(log, CONFIG)
    try:
        watcher.set_folders([str(a)])
        a.rename(a.with_name("old-a"))
        a.mkdir()  # same path, another folder: the old watch follows the moved one
        assert watcher.check() == [str(a)]
        assert log.wait_for(touch_photo(a / "fresh.jpg"))
    finally:
        watcher.stop()


def test_permission_errors_are_reported_and_retried_while_others_are_watched(
    folders: tuple[Path, Path], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = folders
    factory = Factory()
    log = ChangeLog()
    watcher = FolderWatcher(log, CONFIG, observers=factory)
    real_access = folder_watcher_module.os.access
    monkeypatch.setattr(
        folder_watcher_module.os, "access", lambda p, mode: p != str(a) and real_access(p, mode)
    )
    try:
        with caplog.at_level(logging.WARNING):
            watcher.set_folders([str(a), str(b)])
        unreadable, other = watcher.states()
        assert unreadable.mode == "failed"
        assert unreadable.reason == "it cannot be read (Permission denied)"
        assert other.mode == "events"
        assert any("Permission denied" in r.getMessage() for r in caplog.records)
        monkeypatch.setattr(folder_watcher_module.os, "access", real_access)
        factory.error = PermissionError(errno.EACCES, "Permission denied")  # now the watch fails
        assert watcher.check() == []
        assert watcher.states()[0].reason == "it cannot be watched (Permission denied)"
        factory.error = None
        assert watcher.check() == [str(a)]
        assert log.wait_for(touch_photo(a / "ok.jpg"))
    finally:
        watcher.stop()


def test_network_drives_and_the_polling_setting_choose_polling(
    folders: tuple[Path, Path], tmp_path: Path
) -> None:
    a, b = folders
    table = tmp_path / "mounts"
    table.write_text(f"/dev/vda / ext4 rw 0 0\nnas:/x {a} nfs4 rw 0 0\n")
    watcher = FolderWatcher(ChangeLog(), CONFIG, mounts=MountTable(table))
    polling_everywhere = FolderWatcher(ChangeLog(), WatchConfig(mode="polling"))
    try:
        watcher.set_folders([str(a), str(b)])
        assert [(s.mode, s.reason) for s in watcher.states()] == [
            ("polling", "a network or virtual drive (nfs4)"), ("events", ""),
        ]  # fmt: skip
        polling_everywhere.set_folders([str(b)])
        assert polling_everywhere.states()[0].reason == "the settings ask for polling"
    finally:
        watcher.stop()
        polling_everywhere.stop()


def test_reading_photos_and_writing_own_files_raise_no_change(
    folders: tuple[Path, Path],
) -> None:
    a, _ = folders
    photo = touch_photo(a / "photo.jpg")
    library = a / "library.sqlite"
    log = ChangeLog()
    watcher = FolderWatcher(log, CONFIG, ignored=(str(library),))
    try:
        watcher.set_folders([str(a)])
        Path(photo).read_bytes()  # what the indexer does
        library.write_bytes(b"db")
        (a / ".hidden.jpg").write_bytes(b"x")
        (a / "download.jpg.part").write_bytes(b"x")
        sentinel = touch_photo(a / "sentinel.jpg")  # events arrive in order: after the above
        assert wait_until(lambda: "closed" in [c.kind for c in log.changes])
        assert set(log.paths()) == {sentinel}
        assert log.changes[0].kind == "appeared"
        assert all(c.reports_close for c in log.changes)
    finally:
        watcher.stop()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="inotify is Linux's")
def test_a_limit_reached_half_way_through_a_tree_is_noticed_and_polled(
    folders: tuple[Path, Path], caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    from watchdog.observers.inotify_c import InotifyFD  # Linux only

    a, _ = folders
    deep = a / "2024" / "summer"
    deep.mkdir(parents=True)
    real_add = InotifyFD.add_callback

    def refuse_deep(self: object, path: bytes, *args: object, **kwargs: object) -> object:
        if os.fsdecode(path) == str(deep):  # the kernel's answer once the limit is used up
            raise OSError(errno.ENOSPC, "inotify watch limit reached")
        return real_add(self, path, *args, **kwargs)

    monkeypatch.setattr(InotifyFD, "add_callback", refuse_deep)
    log = ChangeLog()
    watcher = FolderWatcher(log, CONFIG)
    try:
        with caplog.at_level(logging.WARNING):
            watcher.set_folders([str(a)])
        [state] = watcher.states()
        assert state.mode == "polling"  # watchdog alone would have skipped summer/ silently
        assert "fs.inotify.max_user_watches" in state.reason
        # watchdog 7.1+ raises the kernel's refusal while starting (older versions
        # skipped the folder silently and unwatched_folders found it): which folder the
        # kernel refused is then unknown, so the warning names the library folder that
        # falls back to polling, whatever order the walk took.
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert any(f"while watching {a}:" in m and "sysctl" in m for m in warnings)
        assert log.wait_for(touch_photo(deep / "beach.jpg"))
    finally:
        watcher.stop()
