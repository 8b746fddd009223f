"""Library files in states a user can meet: newer, damaged, read-only, on a read-only disk."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from core.store.database import Store


def make_newer_library(path: Path) -> bytes:
    """Create a library that records a migration this version does not know; return its bytes."""
    with Store.open(path) as store:
        store.db.execute(
            "INSERT INTO _sqlite_migrations(migration_set, name, applied_at) "
            "VALUES ('hashlens', 'm999_from_the_future', '2030-01-01')"
        )
        store.db.conn.commit()
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.read_bytes()


def make_library_with_rows(path: Path, n_photos: int = 200) -> bytes:
    """A closed, checkpointed library with a folder, photos and captions; return its bytes."""
    with Store.open(path) as store:
        with store.atomic():
            store.db.execute("INSERT INTO folders(path, added_at) VALUES ('/photos', '2026-01-01')")
            for i in range(n_photos):
                store.db.execute(
                    "INSERT INTO media(folder_id, path, size, mtime_ns, content_hash, added_at,"
                    " updated_at) VALUES (1, ?, 1, 1, ?, '2026-01-01', '2026-01-01')",
                    [f"/photos/{i:05d}.jpg", f"{i:064x}"],
                )
                store.db.execute(
                    "INSERT INTO captions(media_id, text, source) VALUES (?, ?, 'sidecar')",
                    [i + 1, f"caption number {i} " * 8],
                )
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path.read_bytes()


def truncate_by(path: Path, fraction: float) -> None:
    """Cut the last ``fraction`` of the file off, as an interrupted copy would."""
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - max(1, int(len(data) * fraction))])


def flip_bytes_in_table(path: Path, table: str, offsets: range = range(0, 8)) -> None:
    """Invert bytes of the B-tree page header of ``table``'s root page (structure, not data).

    Flips inside stored values (a caption's letters, a vector's bits) are invisible to
    SQLite, which keeps no checksums; flips in page headers are what ``quick_check`` sees.
    """
    conn = sqlite3.connect(path)
    try:
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        root = int(
            conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [table]).fetchone()[0]
        )
    finally:
        conn.close()
    data = bytearray(path.read_bytes())
    start = (root - 1) * page_size + (100 if root == 1 else 0)
    for offset in offsets:
        data[start + offset] ^= 0xFF
    path.write_bytes(bytes(data))


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file or folder unwritable for this process, then writable again.

    A normal user gets ``chmod``; root ignores permission bits, so root gets the
    immutable attribute (``chattr +i``), which stops root too. Skipped, loudly, where
    neither works.
    """
    mode = path.stat().st_mode
    path.chmod(0o555 if path.is_dir() else 0o444)
    used_chattr = False
    if os.access(path, os.W_OK):  # root
        path.chmod(mode)
        done = subprocess.run(["chattr", "+i", str(path)], capture_output=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot make {path} read-only: root, and chattr failed: {done.stderr!r}")
        used_chattr = True
    try:
        yield
    finally:
        if used_chattr:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        else:
            path.chmod(mode)


@contextmanager
def tmpfs_mount(folder: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (``"2m"``) mounted at ``folder``, a real small disk that fills up.

    Needs root (mount); skipped, loudly, elsewhere.
    """
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {mounted.stderr!r}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


@contextmanager
def read_only_mount(folder: Path, files: list[Path]) -> Iterator[Path]:
    """A small tmpfs at ``folder`` holding copies of ``files``, remounted read-only.

    Needs root (mount); skipped, loudly, elsewhere: the folder and file cases cover the
    same refusal for a normal user.
    """
    with tmpfs_mount(folder, "16m"):
        for file in files:
            shutil.copy2(file, folder / file.name)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder
