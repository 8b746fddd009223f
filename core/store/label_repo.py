"""Labels on photos, each with its origin and the confidence of that origin.

A label is a name (case-insensitive: "Beach" and "beach" are one label) attached to a
photo by an origin: ``keyword`` (embedded XMP/IPTC/EXIF), ``keyword-file`` (a captions
file), ``hashtag`` (a ``#tag`` in a caption), ``user`` (the user's own tags) or
``zero-shot`` (a CLIP concept guessed from the photo). The same name may come from
several origins; each row keeps its own confidence in [0, 1] (1.0 for everything
a person wrote, the concept's probability for zero-shot guesses).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlite_utils import Database

from core.store.records import LabelRecord

_CHUNK = 500


def _check_confidence(value: float) -> float:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"a label confidence must be in [0, 1], got {value!r}")
    return float(value)


class LabelRepository:
    """Typed queries over ``labels`` and ``media_labels``. Callers own transactions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def _label_id(self, name: str) -> int:
        self._db.execute("INSERT INTO labels(name) VALUES (?) ON CONFLICT DO NOTHING", [name])
        row = self._db.execute("SELECT id FROM labels WHERE name = ?", [name]).fetchone()
        return int(row[0])

    def set_labels(
        self,
        media_id: int,
        names: Iterable[str],
        origin: str,
        confidence: float | Mapping[str, float] = 1.0,
    ) -> None:
        """Replace the labels of one origin (e.g. ``keyword``, ``hashtag``) on a photo.

        Args:
            media_id: The photo.
            names: The label names; blank ones are skipped, case variants merge.
            origin: Where the labels come from; labels of other origins are kept.
            confidence: One confidence for every name, or one per name (names missing
                from the mapping get 1.0).
        """
        self._db.execute(
            "DELETE FROM media_labels WHERE media_id = ? AND origin = ?", [media_id, origin]
        )
        rows: dict[int, float] = {}
        for name in names:
            if not name.strip():
                continue
            value = confidence.get(name, 1.0) if isinstance(confidence, Mapping) else confidence
            rows.setdefault(self._label_id(name), _check_confidence(value))
        self._db.conn.executemany(
            "INSERT INTO media_labels(media_id, label_id, origin, confidence) VALUES (?, ?, ?, ?)",
            [(media_id, label_id, origin, value) for label_id, value in rows.items()],
        )

    def add_labels(self, media_ids: Sequence[int], names: Sequence[str], origin: str) -> int:
        """Give every photo every name (confidence 1.0); returns how many were new."""
        label_ids = [self._label_id(n) for n in names]
        before = self._db.conn.total_changes
        self._db.conn.executemany(
            "INSERT OR IGNORE INTO media_labels(media_id, label_id, origin) VALUES (?, ?, ?)",
            [(m, i, origin) for m in media_ids for i in label_ids],
        )
        return int(self._db.conn.total_changes - before)

    def remove_labels(self, media_ids: Sequence[int], names: Sequence[str], origin: str) -> int:
        """Take names of one origin off photos; returns how many were there."""
        removed = 0
        for name in names:
            row = self._db.execute("SELECT id FROM labels WHERE name = ?", [name]).fetchone()
            if row is None:
                continue
            for start in range(0, len(media_ids), _CHUNK):
                chunk = list(media_ids[start : start + _CHUNK])
                cursor = self._db.execute(
                    "DELETE FROM media_labels WHERE label_id = ? AND origin = ?"
                    f" AND media_id IN ({','.join('?' * len(chunk))})",
                    [int(row[0]), origin, *chunk],
                )
                removed += cursor.rowcount
        return removed

    def replace_origin(self, origin: str, rows: Iterable[tuple[int, str, float]]) -> int:
        """Make the labels of ``origin`` in the whole library exactly the given rows.

        Used for zero-shot guesses, which are recomputed all together.

        Args:
            origin: The origin replaced everywhere.
            rows: ``(media id, name, confidence)`` of each new label.

        Returns:
            How many rows were stored.
        """
        self._db.execute("DELETE FROM media_labels WHERE origin = ?", [origin])
        ids: dict[str, int] = {}
        values = [
            (media_id, ids.setdefault(name, self._label_id(name)), origin, _check_confidence(p))
            for media_id, name, p in rows
        ]
        self._db.conn.executemany(
            "INSERT OR IGNORE INTO media_labels(media_id, label_id, origin, confidence)"
            " VALUES (?, ?, ?, ?)",
            values,
        )
        return len(values)

    def of(self, media_id: int) -> list[LabelRecord]:
        """The labels of one photo, sorted by name then origin."""
        return self.of_photos([media_id]).get(media_id, [])

    def of_photos(self, media_ids: Sequence[int]) -> dict[int, list[LabelRecord]]:
        """The labels of each photo that has any, sorted by name then origin."""
        out: dict[int, list[LabelRecord]] = {}
        for start in range(0, len(media_ids), _CHUNK):
            chunk = list(media_ids[start : start + _CHUNK])
            rows = self._db.execute(
                "SELECT ml.media_id, l.name, ml.origin, ml.confidence FROM media_labels ml"
                " JOIN labels l ON l.id = ml.label_id"
                f" WHERE ml.media_id IN ({','.join('?' * len(chunk))})"
                " ORDER BY ml.media_id, l.name COLLATE NOCASE, ml.origin",
                chunk,
            ).fetchall()
            for media_id, name, origin, confidence in rows:
                out.setdefault(int(media_id), []).append(
                    LabelRecord(str(name), str(origin), float(confidence))
                )
        return out

    def names_of(self, media_id: int) -> list[str]:
        """Distinct label names on one photo, sorted."""
        return sorted({label.name for label in self.of(media_id)}, key=str.casefold)

    def assignments(
        self, *, origins: Collection[str] | None = None, exclude_origins: Collection[str] = ()
    ) -> list[tuple[int, str, str, float]]:
        """(media id, name, origin, confidence) of every label in the library.

        Args:
            origins: Only these origins (default: every origin).
            exclude_origins: Not these origins.
        """
        clauses: list[str] = []
        values: list[str] = []
        for operator, chosen in (("IN", origins), ("NOT IN", exclude_origins)):
            if chosen is not None and (operator == "IN" or chosen):
                clauses.append(f"ml.origin {operator} ({','.join('?' * len(chosen))})")
                values += list(chosen)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows: list[Any] = self._db.execute(
            "SELECT ml.media_id, l.name, ml.origin, ml.confidence FROM media_labels ml"
            " JOIN labels l ON l.id = ml.label_id" + where,
            values,
        ).fetchall()
        return [(int(m), str(n), str(o), float(c)) for m, n, o, c in rows]
