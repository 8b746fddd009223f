"""The library file: one SQLite database opened through sqlite-utils.

Opening checks, before anything is written, that the file is a whole SQLite database
(header and size, and with ``verify`` SQLite's ``PRAGMA quick_check``) and was not
written by a newer HashLens; then it sets WAL, foreign keys and a busy timeout and
applies pending migrations. A library that cannot be written (read-only file, folder
or disk) opens read-only for commands that only read, and is refused with the reason
for the others. A new library is built under a temporary name and moved into place
complete, so a library file HashLens made is never empty. Every thread opens its own
Store.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

from sqlite_utils import Database

from core.errors import (
    IndexSchemaError,
    LibraryCorruptError,
    LibraryError,
    LibraryFullError,
    LibraryNotFoundError,
    LibraryReadOnlyError,
)
from core.store.code_repo import CodeRepository
from core.store.file_checks import (
    bytes_on_disk,
    can_create_beside,
    check_header,
    corrupt_message,
    wal_bytes,
    wal_path,
    write_problem,
)
from core.store.label_repo import LabelRepository
from core.store.media_repo import MediaRepository
from core.store.migrations import MIGRATIONS, known_migration_names
from core.store.records import EncoderRecord, LibraryStats
from core.store.sqlite_errors import library_error, read_only_message
from core.store.vector_repo import VectorRepository

logger = logging.getLogger(__name__)

PAGE_SIZE_BYTES = 8192
"""Page size for new libraries: a 512-d float16 feature row (~1.1 KB) packs 7 to a page
(4 KiB pages cost 11-14% more per photo, 16 KiB save 3-4%): ``benchmarks/rescan_and_size.py``."""

BUSY_TIMEOUT_MS = 10_000
ENCODER_SETTING_PREFIX = "encoder-id:"
ACTIVE_ENCODER_SETTING = "active-encoder"
"""The model whose vectors the library holds: search and training use it."""
REQUESTED_ENCODER_SETTING = "requested-encoder"
"""The model the last index run was asked to use, stored before it loads: the next
index run continues with it even if that run was cancelled before the model loaded."""

OpenMode = Literal["auto", "create", "write", "read"]
"""``create``: make the library if it is missing, and it must be writable (``add``);
``write``: it must exist and be writable; ``read``: it must exist, and opens read-only
if it cannot be written; ``auto`` (the window): made if missing, read-only if it cannot
be written."""


def _connect_read_only(path: Path, *, immutable: bool) -> sqlite3.Connection:
    """A connection that cannot write; ``immutable`` when not even ``-shm`` can be created."""
    query = "mode=ro&immutable=1" if immutable else "mode=ro"
    uri = f"{path.resolve().as_uri()}?{query}"
    try:
        return sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise library_error(exc, path) from exc


def _inspect(path: Path, *, immutable: bool, verify: bool) -> set[str]:
    """Applied migration names, read without writing; with ``verify``, a quick_check first."""
    conn = _connect_read_only(path, immutable=immutable)
    try:
        if verify:
            found = [str(r[0]) for r in conn.execute("PRAGMA quick_check(5)").fetchall()]
            if found != ["ok"]:
                raise LibraryCorruptError(corrupt_message(path), "; ".join(found))
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "_sqlite_migrations" not in tables:
            raise LibraryError(
                f"{path} is a SQLite file but not a HashLens library. It was left untouched."
            )
        rows = conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATIONS.name]
        )
        return {r[0] for r in rows}
    except sqlite3.Error as exc:
        raise library_error(exc, path) from exc
    finally:
        conn.close()


def check_schema(path: Path, *, verify: bool = False) -> None:
    """Refuse a damaged library or one written by a newer HashLens, without modifying it.

    Raises:
        IndexSchemaError: The file holds migrations this version does not know.
        LibraryCorruptError: The file is truncated or (with ``verify``) damaged inside.
        LibraryError: The file is not a HashLens library.
    """
    if not path.exists():
        return
    check_header(path)
    _check_known(path, _inspect(path, immutable=_needs_immutable(path), verify=verify))


def _check_known(path: Path, applied: set[str]) -> None:
    unknown = applied - known_migration_names()
    if unknown:
        raise IndexSchemaError(
            f"The library {path} was written by a newer version of HashLens. "
            "Update HashLens to open it; the file was left untouched.",
            f"unknown migrations: {', '.join(sorted(unknown))}",
        )


def _needs_immutable(path: Path) -> bool:
    """True when SQLite could not create its ``-shm`` file beside the library."""
    return not can_create_beside(path)


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def _create(path: Path) -> None:
    """Build a new library beside ``path`` and move it into place complete.

    If another process created ``path`` meanwhile, its library is kept and this one dropped.
    """
    problem = write_problem(path)
    if problem is not None:
        raise LibraryReadOnlyError(
            f"A new library cannot be created at {path}: {problem}. Choose another "
            "place with --library."
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LibraryError(f"The folder for the library {path} cannot be made.", str(exc)) from exc
    temporary = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        conn = sqlite3.connect(str(temporary))
        try:
            conn.execute(f"PRAGMA page_size = {PAGE_SIZE_BYTES}")
            conn.execute("PRAGMA journal_mode = WAL")
            MIGRATIONS.apply(Database(conn))
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        _move_into_place(temporary, path)
    except sqlite3.Error as exc:
        error = library_error(exc, path)
        if isinstance(error, LibraryFullError):
            error = LibraryFullError(
                f"A new library cannot be created at {path}: the disk is full.", error.details
            )
        raise error from exc
    finally:
        for leftover in (temporary, wal_path(temporary), Path(f"{temporary}-shm")):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()


def _move_into_place(temporary: Path, path: Path) -> None:
    try:
        os.link(temporary, path)  # fails if the name is taken: never replaces a library
    except FileExistsError:
        logger.info("Another process created %s first; using it", path)
    except OSError:  # a file system without hard links
        if not path.exists():
            os.replace(temporary, path)


def _read_only_database(path: Path, *, immutable: bool) -> Database:
    conn = _connect_read_only(path, immutable=immutable)
    conn.execute("PRAGMA query_only = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return Database(conn)


class Store:
    """An open library. Not shared between threads: each thread opens its own.

    Attributes:
        path: The library file.
        db: The sqlite-utils database.
        media: Folders, photos, captions and scan problems.
        labels: Labels on photos with their origin and confidence.
        vectors: Encoders and float features.
        codes: Trained hashers and their binary codes.
        read_only: Opened read-only because the file, its folder or its disk is.
    """

    def __init__(self, path: Path, db: Database, *, read_only: bool = False) -> None:
        self.path = path
        self.db = db
        self.read_only = read_only
        self.media = MediaRepository(db)
        self.labels = LabelRepository(db)
        self.vectors = VectorRepository(db)
        self.codes = CodeRepository(db)

    @classmethod
    def open(cls, path: Path, *, mode: OpenMode = "auto", verify: bool = False) -> Self:
        """Open the library at ``path`` (creating it if ``mode`` allows) and apply migrations.

        Args:
            path: The library file.
            mode: See :data:`OpenMode`.
            verify: Also run SQLite's ``quick_check`` over the whole file before use
                (0.15 s for 73 MB, 0.7 s for 290 MB: ``benchmarks/open_check_cost.py``).

        Raises:
            LibraryNotFoundError: No library at ``path`` and ``mode`` is ``write`` or ``read``.
            IndexSchemaError: The file comes from a newer HashLens (left untouched).
            LibraryCorruptError: The file is truncated or damaged (left untouched).
            LibraryReadOnlyError: It cannot be written and ``mode`` is ``create`` or ``write``.
            LibraryBusyError: Another process holds a lock that outlasted the busy timeout.
            LibraryError: The file is not a HashLens library or cannot be opened.
        """
        path = Path(path)
        if not path.exists():
            if mode not in ("create", "auto"):
                raise LibraryNotFoundError(
                    f"There is no library at {path}. Check the path, or create a library "
                    "by adding a folder: hashlens add ~/Pictures"
                )
            _create(path)
        check_header(path)
        problem = write_problem(path)
        if problem is not None and mode in ("create", "write"):
            raise LibraryReadOnlyError(read_only_message(path, problem))
        immutable = _needs_immutable(path)
        if immutable and wal_bytes(path) > 0:
            raise LibraryReadOnlyError(
                f"The library {path} has changes in {wal_path(path)} that were never merged "
                f"into it, and they cannot be read while {problem}. Make it writable and "
                "run any hashlens command once."
            )
        applied = _inspect(path, immutable=immutable, verify=verify)
        _check_known(path, applied)
        if problem is not None:
            if applied != known_migration_names():
                raise LibraryReadOnlyError(
                    f"The library {path} was made by an older HashLens and needs an update "
                    f"that cannot be written: {problem}."
                )
            return cls(path, _read_only_database(path, immutable=immutable), read_only=True)
        try:
            db = Database(_connect(path))
            MIGRATIONS.apply(db)
        except sqlite3.Error as exc:
            raise library_error(exc, path) from exc
        return cls(path, db)

    def close(self) -> None:
        """Close the connection (idempotent)."""
        self.db.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """One transaction: everything inside commits together or not at all."""
        with self.db.atomic():
            yield

    def get_setting(self, key: str) -> str | None:
        """A stored setting, or None."""
        row = self.db.execute("SELECT value FROM settings WHERE key = ?", [key]).fetchone()
        return None if row is None else str(row[0])

    def set_setting(self, key: str, value: str) -> None:
        """Store a setting (committed immediately unless inside ``atomic``)."""
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO settings(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )

    def remember_encoder(self, config_key: str, model_id: str, dim: int) -> EncoderRecord:
        """Register an encoder and remember which model id a configuration produced."""
        with self.atomic():
            record = self.vectors.encoder(model_id, dim)
            self.set_setting(ENCODER_SETTING_PREFIX + config_key, model_id)
            self.set_setting(ACTIVE_ENCODER_SETTING, config_key)
            self.set_setting(REQUESTED_ENCODER_SETTING, config_key)
        return record

    def request_encoder(self, config_key: str) -> str | None:
        """Remember that indexing was asked to use ``config_key``; returns the earlier request."""
        previous = self.get_setting(REQUESTED_ENCODER_SETTING)
        if previous != config_key:
            self.set_setting(REQUESTED_ENCODER_SETTING, config_key)
        return previous

    def restore_encoder_request(self, previous: str | None) -> None:
        """Undo :meth:`request_encoder` (the requested model could not be loaded)."""
        if previous is not None:
            self.set_setting(REQUESTED_ENCODER_SETTING, previous)
            return
        with self.db.atomic():
            self.db.execute("DELETE FROM settings WHERE key = ?", [REQUESTED_ENCODER_SETTING])

    def known_encoder(self, config_key: str) -> EncoderRecord | None:
        """The encoder a configuration produced before in this library (no model load)."""
        model_id = self.get_setting(ENCODER_SETTING_PREFIX + config_key)
        return None if model_id is None else self.vectors.find_encoder(model_id)

    def stats(self) -> LibraryStats:
        """Counts for ``status``."""
        m = self.media.counts()
        v = self.vectors.counts()
        return LibraryStats(file_bytes=bytes_on_disk(self.path), **m, **v)
