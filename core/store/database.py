"""The library file: one SQLite database opened through sqlite-utils.

Opening checks, before anything is written, that the file is a SQLite database
and was not written by a newer HashLens; then it sets WAL, foreign keys and a
busy timeout and applies pending migrations. Every thread opens its own Store.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Self

from sqlite_utils import Database

from core.errors import IndexSchemaError, LibraryBusyError, LibraryError
from core.store.code_repo import CodeRepository
from core.store.label_repo import LabelRepository
from core.store.media_repo import MediaRepository
from core.store.migrations import MIGRATIONS, known_migration_names
from core.store.records import EncoderRecord, LibraryStats
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


def _applied_migrations(path: Path) -> set[str] | None:
    """Read applied migration names without writing; None for a fresh (empty) file."""
    uri = f"{path.resolve().as_uri()}?mode=ro"
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as exc:
        raise LibraryError(f"The library file {path} cannot be opened.", str(exc)) from exc
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables:
            return None
        if "_sqlite_migrations" not in tables:
            raise LibraryError(f"{path} is a SQLite file but not a HashLens library.")
        rows = conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATIONS.name]
        )
        return {r[0] for r in rows}
    except sqlite3.DatabaseError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise LibraryBusyError(
                f"The library {path} is locked by another program.", str(exc)
            ) from exc
        raise LibraryError(
            f"{path} is not a HashLens library (not a SQLite database).", str(exc)
        ) from exc
    finally:
        conn.close()


def check_schema(path: Path) -> None:
    """Refuse a library written by a newer HashLens, without modifying it.

    Raises:
        IndexSchemaError: The file holds migrations this version does not know.
        LibraryError: The file is not a HashLens library.
    """
    if not path.exists() or path.stat().st_size == 0:
        return
    applied = _applied_migrations(path)
    unknown = (applied or set()) - known_migration_names()
    if unknown:
        raise IndexSchemaError(
            f"The library {path} was written by a newer version of HashLens. "
            "Update HashLens to open it; the file was left untouched.",
            f"unknown migrations: {', '.join(sorted(unknown))}",
        )


def _connect(path: Path) -> sqlite3.Connection:
    is_new = not path.exists() or path.stat().st_size == 0
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000)
    if is_new:
        conn.execute(f"PRAGMA page_size = {PAGE_SIZE_BYTES}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


class Store:
    """An open library. Not shared between threads: each thread opens its own.

    Attributes:
        path: The library file.
        db: The sqlite-utils database.
        media: Folders, photos, captions and scan problems.
        labels: Labels on photos with their origin and confidence.
        vectors: Encoders and float features.
        codes: Trained hashers and their binary codes.
    """

    def __init__(self, path: Path, db: Database) -> None:
        self.path = path
        self.db = db
        self.media = MediaRepository(db)
        self.labels = LabelRepository(db)
        self.vectors = VectorRepository(db)
        self.codes = CodeRepository(db)

    @classmethod
    def open(cls, path: Path) -> Self:
        """Open (creating if needed) the library at ``path`` and apply migrations.

        Raises:
            IndexSchemaError: The file comes from a newer HashLens (left untouched).
            LibraryBusyError: Another process holds a lock that outlasted the busy timeout.
            LibraryError: The file is not a HashLens library or cannot be opened.
        """
        path = Path(path)
        check_schema(path)
        try:
            db = Database(_connect(path))
            MIGRATIONS.apply(db)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise LibraryBusyError(
                    "The library is busy: another HashLens process is writing to it.", str(exc)
                ) from exc
            raise LibraryError(f"The library {path} cannot be opened.", str(exc)) from exc
        except sqlite3.DatabaseError as exc:
            raise LibraryError(f"{path} is not a usable HashLens library.", str(exc)) from exc
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
        size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal")) if p.exists())
        return LibraryStats(file_bytes=size, **m, **v)
