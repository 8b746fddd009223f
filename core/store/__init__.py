"""The library file: SQLite through sqlite-utils."""

from core.store.database import Store, check_schema
from core.store.lock import WriterLock

__all__ = ["Store", "WriterLock", "check_schema"]
