"""Checks on the library file made before SQLite opens it: nothing here writes.

* :func:`check_header` reads the 100-byte SQLite header: an empty file, a file that is
  not SQLite, and a file shorter than the size its header records (truncated) are
  refused before SQLite could "repair" them by writing.
* :func:`write_problem` says why the library cannot be written (a read-only disk, file or
  folder), so that read commands can open it read-only and write commands can say why
  they refuse, instead of SQLite's "unable to open database file".

File format facts used here: https://www.sqlite.org/fileformat2.html#the_database_header
"""

from __future__ import annotations

import os
from pathlib import Path

from core.errors import LibraryCorruptError, LibraryError

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100


def wal_path(path: Path) -> Path:
    """The write-ahead log SQLite keeps beside the library."""
    return Path(f"{path}-wal")


def wal_bytes(path: Path) -> int:
    """Bytes in the library's write-ahead log, 0 when there is none.

    SQLite deletes the log when the last connection closes, which another thread or
    process may do at any moment, so "exists, then read its size" is a race: a log that
    vanishes in between counts as empty instead of failing the caller.
    """
    try:
        return wal_path(path).stat().st_size
    except FileNotFoundError:
        return 0


def bytes_on_disk(path: Path) -> int:
    """The size of the library file and its write-ahead log."""
    return path.stat().st_size + wal_bytes(path)


def check_header(path: Path) -> None:
    """Refuse an empty, foreign or truncated library file, reading only its header.

    A truncation is only judged when no write-ahead log is beside the file: while one
    is, pages may legitimately live in the log rather than the file (``PRAGMA
    quick_check`` covers that case).

    Raises:
        LibraryError: The file is empty or not a SQLite database.
        LibraryCorruptError: The header is damaged or the file is shorter than it says.
    """
    size = path.stat().st_size
    if size == 0:
        raise LibraryError(
            f"{path} is an empty file, not a HashLens library. HashLens creates its "
            "libraries itself and never leaves an empty one; delete the empty file or "
            "choose another library."
        )
    with path.open("rb") as handle:
        header = handle.read(HEADER_BYTES)
    if not header.startswith(SQLITE_MAGIC):
        raise LibraryError(
            f"{path} is not a HashLens library (not a SQLite database). It was left untouched."
        )
    if len(header) < HEADER_BYTES:
        raise _corrupt(path, f"file of {size} bytes is shorter than a SQLite header")
    raw_page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if raw_page_size == 1 else raw_page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise _corrupt(path, f"invalid page size {raw_page_size} in the header")
    change_counter = int.from_bytes(header[24:28], "big")
    n_pages = int.from_bytes(header[28:32], "big")
    valid_for = int.from_bytes(header[92:96], "big")
    has_wal = wal_bytes(path) > 0
    if n_pages and change_counter == valid_for and not has_wal and size < n_pages * page_size:
        raise _corrupt(
            path, f"{size} bytes on disk, the header records {n_pages} pages of {page_size}"
        )


def _corrupt(path: Path, details: str) -> LibraryCorruptError:
    return LibraryCorruptError(corrupt_message(path), details)


def corrupt_message(path: Path) -> str:
    """What a user reads about a damaged library."""
    return (
        f"The library {path} is damaged (cut short or overwritten), so HashLens will not "
        "read or write it. Restore it from a backup, or move it aside and index your "
        "folders into a new library."
    )


def can_create_beside(path: Path) -> bool:
    """Whether SQLite could create its ``-wal`` and ``-shm`` files next to ``path``."""
    folder = path.parent
    return not _on_read_only_disk(folder) and os.access(folder, os.W_OK | os.X_OK)


def write_problem(path: Path) -> str | None:
    """Why the library at ``path`` (existing or not) cannot be written, or None if it can.

    SQLite needs to write the file and to create its ``-wal`` and ``-shm`` files beside
    it, so a read-only folder is as much in the way as a read-only file.
    """
    folder = path.parent
    if _on_read_only_disk(folder if folder.exists() else _existing_ancestor(folder)):
        return "it is on a read-only disk or mount"
    if path.exists() and not os.access(path, os.W_OK):
        return "the file is read-only"
    existing = folder if folder.exists() else _existing_ancestor(folder)
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"its folder {existing} is read-only"
    return None


def _existing_ancestor(folder: Path) -> Path:
    for parent in (folder, *folder.parents):
        if parent.exists():
            return parent
    return Path(folder.anchor or ".")


def _on_read_only_disk(folder: Path) -> bool:
    statvfs = getattr(os, "statvfs", None)
    if statvfs is None:  # Windows: os.access reports a read-only volume instead
        return False
    try:
        return bool(statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        return False
