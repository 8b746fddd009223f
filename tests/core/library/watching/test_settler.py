"""The settling rules, with a hand-driven clock and file sizes: no sleeping."""

from __future__ import annotations

import pytest

from core.library.watching.settler import (
    OPEN_WRITE_TIMEOUT_FACTOR,
    ChangeSettler,
    FileChange,
    FileSignature,
    SettleTiming,
)

TIMING = SettleTiming(quiet_s=1.0, settle_s=2.0, max_delay_s=30.0)


class FakeFiles:
    """``stat`` answers from a dict; counts the looks."""

    def __init__(self) -> None:
        self.sizes: dict[str, FileSignature] = {}
        self.looks = 0

    def stat(self, path: str) -> FileSignature | None:
        self.looks += 1
        return self.sizes.get(path)


@pytest.fixture
def files() -> FakeFiles:
    return FakeFiles()


@pytest.fixture
def settler(files: FakeFiles) -> ChangeSettler:
    return ChangeSettler(TIMING, stat=files.stat)


def test_a_burst_is_one_run_once_quiet_and_every_file_stayed_the_same(
    settler: ChangeSettler, files: FakeFiles
) -> None:
    for i in range(50):
        path = f"/p/{i}.jpg"
        files.sizes[path] = (100, 1)
        settler.add(FileChange(path, "appeared"), now_s=i * 0.01)
    assert not settler.check(0.6).is_due  # the burst may go on: no file is even looked at
    assert files.looks == 0
    first = settler.check(1.5)  # quiet: first look at the sizes
    assert not first.is_due
    assert first.unsettled == {f"/p/{i}.jpg" for i in range(50)}
    assert not settler.check(3.0).is_due  # not yet settle_s since the first look
    due = settler.check(3.5)
    assert due.is_due
    assert due.pending == 50
    assert due.unsettled == frozenset()
    assert settler.take_settled(3.5) == 50
    assert settler.pending == 0
    assert not settler.check(10.0).is_due


def test_a_growing_file_is_not_complete(settler: ChangeSettler, files: FakeFiles) -> None:
    files.sizes["/p/big.jpg"] = (10, 1)
    settler.add(FileChange("/p/big.jpg", "appeared"), now_s=0.0)
    settler.check(1.0)
    files.sizes["/p/big.jpg"] = (20, 2)  # grew without an event (a polled folder)
    assert not settler.check(3.5).is_due
    assert not settler.check(5.0).is_due
    assert settler.check(5.6).is_due  # unchanged for settle_s since 3.5


def test_a_file_open_for_writing_waits_for_its_close_however_long_the_pause(
    settler: ChangeSettler, files: FakeFiles
) -> None:
    files.sizes["/p/slow.jpg"] = (10, 1)
    settler.add(FileChange("/p/slow.jpg", "written", reports_close=True), now_s=0.0)
    for now in (1.0, 4.0, 8.0, 12.0):  # sizes unchanged: the writer just pauses
        check = settler.check(now)
        assert not check.is_due
        assert check.unsettled == {"/p/slow.jpg"}
    settler.add(FileChange("/p/slow.jpg", "closed", reports_close=True), now_s=12.5)
    settler.check(13.5)
    assert settler.check(15.6).is_due


def test_a_lost_close_event_does_not_hold_a_file_forever(
    settler: ChangeSettler, files: FakeFiles
) -> None:
    files.sizes["/p/slow.jpg"] = (10, 1)
    settler.add(FileChange("/p/slow.jpg", "written", reports_close=True), now_s=0.0)
    settler.check(1.0)
    late = OPEN_WRITE_TIMEOUT_FACTOR * TIMING.settle_s
    assert not settler.check(late - 0.5).is_due
    assert settler.check(late + 0.5).is_due


def test_without_close_events_a_written_file_settles_on_its_size(
    settler: ChangeSettler, files: FakeFiles
) -> None:
    files.sizes["/p/a.jpg"] = (10, 1)
    settler.add(FileChange("/p/a.jpg", "written", reports_close=False), now_s=0.0)
    settler.check(1.0)
    assert settler.check(3.0).is_due


@pytest.mark.parametrize("kind", ["gone", "renamed", "folder"])
def test_deletions_renames_and_folders_are_complete_once_quiet(
    settler: ChangeSettler, files: FakeFiles, kind: str
) -> None:
    settler.add(FileChange("/p/x.jpg", kind), now_s=0.0)
    assert settler.unsettled() == frozenset()
    assert not settler.check(0.5).is_due
    assert settler.check(1.0).is_due
    assert files.looks == 0


def test_a_deleted_file_needs_no_waiting(settler: ChangeSettler, files: FakeFiles) -> None:
    settler.add(FileChange("/p/tmp.jpg", "appeared"), now_s=0.0)  # appeared, then vanished
    assert settler.check(1.0).is_due


def test_a_change_storm_indexes_what_settled_after_max_delay(
    settler: ChangeSettler, files: FakeFiles
) -> None:
    files.sizes["/p/early.jpg"] = (5, 1)
    settler.add(FileChange("/p/early.jpg", "appeared"), now_s=0.0)
    now = 0.0
    while True:  # another file keeps being written every half second
        now += 0.5
        files.sizes["/p/busy.jpg"] = (int(now * 10), 1)
        settler.add(FileChange("/p/busy.jpg", "written"), now_s=now)
        check = settler.check(now)
        if check.is_due or now > 60:
            break
    # overdue at 30 s: the first look at early.jpg, which then stays put for settle_s
    assert now == TIMING.max_delay_s + TIMING.settle_s
    assert check.unsettled == {"/p/busy.jpg"}
    assert settler.take_settled(now) == 1
    assert settler.unsettled() == {"/p/busy.jpg"}
    assert not settler.check(now + 10.0).is_due  # the window restarts for what is left
