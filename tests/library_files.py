"""Library files in states a user can meet: here, one written by a newer HashLens."""

from __future__ import annotations

from pathlib import Path

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
