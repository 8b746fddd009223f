"""Damaged, empty, missing, read-only and full libraries: refused in words, never written."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.errors import (
    LibraryCorruptError,
    LibraryError,
    LibraryFullError,
    LibraryNotFoundError,
    LibraryReadOnlyError,
)
from core.store.database import Store
from core.store.migrations import known_migration_names
from core.store.sqlite_errors import library_error
from tests.library_files import (
    flip_bytes_in_table,
    make_library_with_rows,
    read_only,
    read_only_mount,
    tmpfs_mount,
    truncate_by,
)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    folder = tmp_path / "lib"
    folder.mkdir()
    path = folder / "lib.sqlite"
    make_library_with_rows(path)
    return path


def siblings(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


def test_a_library_cut_short_by_one_percent_is_refused_unread_and_unwritten(
    library: Path,
) -> None:
    truncate_by(library, 0.01)
    before = library.read_bytes()
    for mode in ("auto", "create", "write", "read"):
        with pytest.raises(LibraryCorruptError) as info:
            Store.open(library, mode=mode)  # type: ignore[arg-type]
        assert "damaged" in info.value.user_message
    assert library.read_bytes() == before
    assert siblings(library) == ["lib.sqlite"]  # not even a -wal was made


def test_flipped_bytes_in_a_table_are_found_by_the_check_and_nothing_is_written(
    library: Path,
) -> None:
    flip_bytes_in_table(library, "captions")
    before = library.read_bytes()
    with pytest.raises(LibraryCorruptError) as info:
        Store.open(library, mode="write", verify=True)
    assert "damaged" in info.value.user_message
    assert info.value.details  # what quick_check said, for the log
    assert library.read_bytes() == before


def test_an_empty_file_is_not_taken_for_a_new_library(tmp_path: Path) -> None:
    path = tmp_path / "empty.sqlite"
    path.touch()
    with pytest.raises(LibraryError, match="empty file") as info:
        Store.open(path, mode="create")
    assert not isinstance(info.value, LibraryCorruptError)
    assert path.stat().st_size == 0
    assert siblings(path) == ["empty.sqlite"]


def test_a_new_library_appears_complete_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "new.sqlite"
    with Store.open(path, mode="create") as store:
        applied = store.db.execute("SELECT COUNT(*) FROM _sqlite_migrations").fetchone()[0]
        assert applied == len(known_migration_names())
        assert store.db.execute("PRAGMA page_size").fetchone()[0] == 8192
    assert [p.name for p in path.parent.iterdir() if not p.name.startswith("new.sqlite")] == []


@pytest.mark.parametrize("mode", ["write", "read"])
def test_only_create_mode_makes_a_missing_library(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "typo.sqlite"
    with pytest.raises(LibraryNotFoundError, match="no library at"):
        Store.open(path, mode=mode)  # type: ignore[arg-type]
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(params=["file", "folder", "mount"])
def unwritable(request: pytest.FixtureRequest, library: Path, tmp_path: Path) -> Iterator[Path]:
    """The library behind a read-only file, a read-only folder or a read-only mount."""
    if request.param == "file":
        with read_only(library):
            yield library
    elif request.param == "folder":
        with read_only(library.parent):
            yield library
    else:
        with read_only_mount(tmp_path / "mnt", [library]) as folder:
            yield folder / library.name


REASONS = {
    "file": "the file is read-only",
    "folder": "folder",
    "mount": "read-only disk or mount",
}


@pytest.mark.parametrize("mode", ["read", "auto"])  # auto: the window's
def test_an_unwritable_library_opens_read_only_for_reading(unwritable: Path, mode: str) -> None:
    before = unwritable.read_bytes()
    with Store.open(unwritable, mode=mode, verify=True) as store:  # type: ignore[arg-type]
        assert store.read_only
        assert store.stats().photos == 200
        with pytest.raises(sqlite3.Error) as raised:
            store.set_setting("x", "y")
        error = library_error(raised.value, unwritable)
    assert isinstance(error, LibraryReadOnlyError)
    assert "cannot be written" in error.user_message
    assert unwritable.read_bytes() == before


@pytest.mark.parametrize("mode", ["write", "create"])
def test_an_unwritable_library_is_refused_for_writing_with_the_reason(
    unwritable: Path, request: pytest.FixtureRequest, mode: str
) -> None:
    kind = request.node.callspec.params["unwritable"]
    with pytest.raises(LibraryReadOnlyError) as info:
        Store.open(unwritable, mode=mode)  # type: ignore[arg-type]
    assert "not a SQLite database" not in info.value.user_message
    assert REASONS[kind] in info.value.user_message


def test_no_library_is_created_in_a_read_only_folder(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    with read_only(folder), pytest.raises(LibraryReadOnlyError, match="cannot be created"):
        Store.open(folder / "new.sqlite", mode="create")
    assert list(folder.iterdir()) == []


def test_a_full_disk_is_reported_as_such_and_the_library_stays_intact(library: Path) -> None:
    """SQLITE_FULL simulated with ``PRAGMA max_page_count``: SQLite answers a write that
    would grow the file past it with the same result code as a full disk (ENOSPC)."""
    with Store.open(library, mode="write") as store:
        pages = store.db.execute("PRAGMA page_count").fetchone()[0]
        store.db.execute(f"PRAGMA max_page_count = {pages}")
        rows = [(f"a long caption that fills pages {i} " * 20,) for i in range(2000)]
        with pytest.raises(sqlite3.Error) as raised, store.atomic():
            store.db.conn.executemany(
                "INSERT INTO captions(media_id, text, source) VALUES (1, ?, 'user')", rows
            )
        error = library_error(raised.value, store.path)
    assert isinstance(error, LibraryFullError)
    assert "disk holding the library" in error.user_message
    assert "is full" in error.user_message
    with Store.open(library, mode="read", verify=True) as store:
        assert store.stats().captions == 200  # the failed batch was rolled back whole


def test_a_real_small_disk_that_fills_up_gives_the_same_answer(tmp_path: Path) -> None:
    """The check of the simulation above: a 2 MiB tmpfs filled until ENOSPC."""
    with tmpfs_mount(tmp_path / "small", "2m") as folder:
        path = folder / "lib.sqlite"
        committed = 0
        with Store.open(path, mode="create") as store:
            with pytest.raises(sqlite3.Error) as raised:  # noqa: PT012 - fills batch by batch
                for batch in range(1000):
                    rows = [(f"k{batch}-{i}", "v" * 500) for i in range(20)]
                    with store.atomic():
                        store.db.conn.executemany(
                            "INSERT INTO settings(key, value) VALUES (?, ?)", rows
                        )
                    committed += len(rows)
            assert isinstance(library_error(raised.value, path), LibraryFullError)
        with Store.open(path, mode="read", verify=True) as store:
            count = store.db.execute("SELECT COUNT(*) FROM settings").fetchone()[0]
        assert count == committed > 0
        with pytest.raises(LibraryFullError, match="cannot be created"):
            Store.open(folder / "second.sqlite", mode="create")
        assert [p.name for p in folder.iterdir() if "second" in p.name] == []
