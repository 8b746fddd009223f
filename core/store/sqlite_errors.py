"""SQLite's errors in a user's words: a full disk, a read-only library, a damaged file.

SQLite reports these as ``sqlite3.OperationalError`` or ``DatabaseError`` with a result
code (Python 3.11+ exposes it as ``sqlite_errorcode``); the code, not the message text,
decides which typed error a user sees. https://www.sqlite.org/rescode.html
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from core.errors import (
    LibraryBusyError,
    LibraryCorruptError,
    LibraryError,
    LibraryFullError,
    LibraryReadOnlyError,
)
from core.store.file_checks import corrupt_message, write_problem

SQLITE_BUSY = 5
SQLITE_LOCKED = 6
SQLITE_READONLY = 8
SQLITE_IOERR = 10
SQLITE_CORRUPT = 11
SQLITE_FULL = 13
SQLITE_CANTOPEN = 14
SQLITE_NOTADB = 26
LOW_SPACE_BYTES = 1 << 20
"""Below this much free space an I/O error is reported as a full disk."""


def primary_code(exc: sqlite3.Error) -> int | None:
    """The primary result code of an error (extended codes folded), if SQLite gave one."""
    code = getattr(exc, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF


def library_error(exc: sqlite3.Error, path: Path) -> LibraryError:
    """The typed error, with a message a user can act on, for a SQLite error on ``path``."""
    code = primary_code(exc)
    details = f"{getattr(exc, 'sqlite_errorname', 'SQLite error')}: {exc}"
    if code == SQLITE_FULL or (code == SQLITE_IOERR and _low_space(path)):
        return LibraryFullError(
            f"The disk holding the library {path} is full. The change in progress was "
            "undone and the library is intact; free some space and run the command again.",
            details,
        )
    if code in (SQLITE_READONLY, SQLITE_CANTOPEN):
        reason = write_problem(path)
        if code == SQLITE_READONLY or reason is not None:
            return LibraryReadOnlyError(read_only_message(path, reason), details)
        return LibraryError(f"The library {path} cannot be opened.", details)
    if code in (SQLITE_CORRUPT, SQLITE_NOTADB):
        return LibraryCorruptError(corrupt_message(path), details)
    if code in (SQLITE_BUSY, SQLITE_LOCKED):
        return LibraryBusyError(
            f"The library {path} is busy: another program is writing to it. Try again "
            "when it has finished.",
            details,
        )
    if code == SQLITE_IOERR:
        return LibraryError(
            f"The library {path} could not be read or written (an input/output error "
            "from the disk). Check the disk and try again.",
            details,
        )
    return LibraryError(f"The library {path} could not be used.", details)


def read_only_message(path: Path, reason: str | None) -> str:
    """Why a write to the library cannot happen, and what to do."""
    why = reason or "the file, its folder or its disk is read-only"
    return (
        f"The library {path} cannot be written: {why}. Commands that only read it "
        "(search, status) still work; to change it, make it writable or copy it to a "
        "writable folder and pass --library."
    )


def _low_space(path: Path) -> bool:
    try:
        return shutil.disk_usage(path.parent).free < LOW_SPACE_BYTES
    except OSError:
        return False
