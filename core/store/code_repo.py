"""Trained hashers and their binary codes.

Codes live in a narrow WITHOUT ROWID table keyed by (hasher, modality, item), so
loading the code index reads only codes, never float vectors. Image codes are keyed
by media id, text codes by caption id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from sqlite_utils import Database

from core.store.media_repo import now_iso
from core.store.records import HasherRecord
from core.types import PackedCodes

Modality = Literal["image", "text"]
IdArray = npt.NDArray[np.int64]
_COLUMNS = "id, name, version, encoder_id, n_bits, created_at, is_active, details"


def _record(row: Sequence[Any]) -> HasherRecord:
    return HasherRecord(
        int(row[0]),
        str(row[1]),
        int(row[2]),
        int(row[3]),
        int(row[4]),
        str(row[5]),
        bool(row[6]),
        str(row[7]),
    )


class CodeRepository:
    """Typed queries over ``hashers`` and ``codes``. Callers own transactions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add_hasher(
        self, name: str, encoder_id: int, n_bits: int, model: bytes, details: str
    ) -> HasherRecord:
        """Store a newly trained (inactive) hasher as the next version of its method."""
        row = self._db.execute(
            "SELECT COALESCE(MAX(version), 0) FROM hashers WHERE name = ? AND encoder_id = ?",
            [name, encoder_id],
        ).fetchone()
        cursor = self._db.execute(
            "INSERT INTO hashers(name, version, encoder_id, n_bits, created_at, is_active,"
            " model, details) VALUES (?, ?, ?, ?, ?, 0, ?, ?)",
            [name, int(row[0]) + 1, encoder_id, n_bits, now_iso(), model, details],
        )
        return self.hasher(int(cursor.lastrowid or 0))

    def hasher(self, hasher_id: int) -> HasherRecord:
        """One stored hasher (KeyError if it does not exist)."""
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM hashers WHERE id = ?", [hasher_id]
        ).fetchone()
        if row is None:
            raise KeyError(hasher_id)
        return _record(row)

    def hashers(self) -> list[HasherRecord]:
        """Every stored hasher, newest first."""
        rows = self._db.execute(f"SELECT {_COLUMNS} FROM hashers ORDER BY id DESC").fetchall()
        return [_record(r) for r in rows]

    def active_hasher(self, encoder_id: int) -> HasherRecord | None:
        """The hasher search uses for an encoder's features, if any."""
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM hashers WHERE encoder_id = ? AND is_active = 1",
            [encoder_id],
        ).fetchone()
        return None if row is None else _record(row)

    def model_bytes(self, hasher_id: int) -> bytes:
        """The saved model (``Hasher.to_bytes``) of a stored hasher."""
        row = self._db.execute("SELECT model FROM hashers WHERE id = ?", [hasher_id]).fetchone()
        if row is None or row[0] is None:
            raise KeyError(hasher_id)
        return bytes(row[0])

    def update_model(self, hasher_id: int, model: bytes, details: str) -> None:
        """Replace a stored hasher's model and details after online learning.

        Its codes are left exactly as they are: an online method's stored codes are
        never recomputed. Raises KeyError if the hasher no longer exists.
        """
        cursor = self._db.execute(
            "UPDATE hashers SET model = ?, details = ? WHERE id = ?", [model, details, hasher_id]
        )
        if cursor.rowcount == 0:
            raise KeyError(hasher_id)

    def activate(self, hasher_id: int) -> None:
        """Make a hasher the active one for its encoder; drop older versions of its method.

        Older versions of the same method and code length are deleted with their codes
        (they can only be stale); other methods stay, so the user can switch back.
        """
        record = self.hasher(hasher_id)
        self._db.execute(
            "UPDATE hashers SET is_active = (id = ?) WHERE encoder_id = ?",
            [hasher_id, record.encoder_id],
        )
        self._db.execute(
            "DELETE FROM hashers WHERE encoder_id = ? AND name = ? AND n_bits = ? AND id != ?",
            [record.encoder_id, record.name, record.n_bits, hasher_id],
        )

    def delete_hasher(self, hasher_id: int) -> None:
        """Forget a hasher and its codes."""
        self._db.execute("DELETE FROM hashers WHERE id = ?", [hasher_id])

    def put_codes(
        self, hasher_id: int, modality: Modality, item_ids: Sequence[int], codes: PackedCodes
    ) -> None:
        """Store (or replace) the codes of items; ``codes`` is (n, n_bytes) uint8."""
        self._db.conn.executemany(
            "INSERT OR REPLACE INTO codes(hasher_id, modality, item_id, code) VALUES (?, ?, ?, ?)",
            [
                (hasher_id, modality, int(i), row.tobytes())
                for i, row in zip(item_ids, codes, strict=True)
            ],
        )

    def codes(
        self, hasher_id: int, modality: Modality, n_bytes: int
    ) -> tuple[IdArray, PackedCodes]:
        """All codes of one hasher and modality, ordered by item id."""
        rows = self._db.execute(
            "SELECT item_id, code FROM codes WHERE hasher_id = ? AND modality = ? ORDER BY item_id",
            [hasher_id, modality],
        ).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        flat = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.uint8)
        return ids, flat.reshape(len(rows), n_bytes)

    def image_items_without_codes(self, hasher_id: int, encoder_id: int) -> list[int]:
        """Photos with features of the encoder but no image code from the hasher."""
        return self._missing(
            "SELECT f.media_id FROM image_features f WHERE f.encoder_id = ? AND NOT EXISTS"
            " (SELECT 1 FROM codes c WHERE c.hasher_id = ? AND c.modality = 'image'"
            " AND c.item_id = f.media_id) ORDER BY f.media_id",
            encoder_id,
            hasher_id,
        )

    def text_items_without_codes(self, hasher_id: int, encoder_id: int) -> list[int]:
        """Captions with features of the encoder but no text code from the hasher."""
        return self._missing(
            "SELECT f.caption_id FROM caption_features f WHERE f.encoder_id = ? AND NOT EXISTS"
            " (SELECT 1 FROM codes c WHERE c.hasher_id = ? AND c.modality = 'text'"
            " AND c.item_id = f.caption_id) ORDER BY f.caption_id",
            encoder_id,
            hasher_id,
        )

    def _missing(self, sql: str, encoder_id: int, hasher_id: int) -> list[int]:
        return [int(r[0]) for r in self._db.execute(sql, [encoder_id, hasher_id]).fetchall()]

    def count(self) -> int:
        """Stored codes over all hashers."""
        return int(self._db.execute("SELECT COUNT(*) FROM codes").fetchone()[0])
