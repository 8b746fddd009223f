"""A photo's captions in the library: read, replace from a rescan, the user's own edits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlite_utils import Database

USER_SOURCE = "user"
"""Caption source and label origin of the user's own edits; never replaced by a rescan."""


class CaptionQueries:
    """Typed queries over the ``captions`` table; ``MediaRepository`` is one of these.

    Callers own transactions.
    """

    _db: Database

    def _by_ids(self, sql: str, ids: Sequence[int]) -> list[tuple[int, Any]]:
        """``(id, value)`` rows of ``sql`` (one ``IN ({})``), asked 500 ids at a time."""
        out: list[tuple[int, Any]] = []
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            rows = self._db.execute(sql.format(",".join("?" * len(chunk))), chunk).fetchall()
            out += [(int(r[0]), r[1]) for r in rows]
        return out

    def caption_texts(self, caption_ids: Sequence[int]) -> dict[int, str]:
        """Text of each caption id."""
        return dict(self._by_ids("SELECT id, text FROM captions WHERE id IN ({})", caption_ids))

    def caption_media(self, caption_ids: Sequence[int]) -> dict[int, int]:
        """The photo of each caption id."""
        rows = self._by_ids("SELECT id, media_id FROM captions WHERE id IN ({})", caption_ids)
        return {i: int(m) for i, m in rows}

    def captions_of(self, media_id: int) -> list[tuple[int, str, str]]:
        """(caption id, text, source) of one photo, in insertion order."""
        rows = self._db.execute(
            "SELECT id, text, source FROM captions WHERE media_id = ? ORDER BY id", [media_id]
        ).fetchall()
        return [(int(r[0]), str(r[1]), str(r[2])) for r in rows]

    def first_captions(self, media_ids: Sequence[int]) -> dict[int, str]:
        """The first caption of each photo that has one."""
        out: dict[int, str] = {}
        sql = "SELECT media_id, text FROM captions WHERE media_id IN ({}) ORDER BY id"
        for media_id, text in self._by_ids(sql, media_ids):
            out.setdefault(media_id, str(text))
        return out

    def replace_captions(
        self, media_id: int, captions: Sequence[tuple[str, str]], sources: Iterable[str]
    ) -> int:
        """Make the captions of the given ``sources`` equal the ``(text, source)`` pairs.

        Unchanged captions keep their row (and so their features); captions of other
        sources (the user's own, embedded ones) are not touched. Returns how many rows
        were added or removed.
        """
        replaced = set(sources) - {USER_SOURCE}
        current = [c for c in self.captions_of(media_id) if c[2] in replaced]
        captions = [c for c in captions if c[1] in replaced]
        wanted = list(dict.fromkeys(captions))
        keep = {(t, s) for _, t, s in current} & set(wanted)
        stale = [cid for cid, t, s in current if (t, s) not in keep]
        for cid in stale:
            self._db.execute("DELETE FROM captions WHERE id = ?", [cid])
        fresh = [(t, s) for t, s in wanted if (t, s) not in keep]
        self._db.conn.executemany(
            "INSERT INTO captions(media_id, text, source) VALUES (?, ?, ?)",
            [(media_id, t, s) for t, s in fresh],
        )
        return len(stale) + len(fresh)

    def add_user_caption(self, media_id: int, text: str) -> int:
        """Add a caption typed by the user; returns its id."""
        cursor = self._db.execute(
            "INSERT INTO captions(media_id, text, source) VALUES (?, ?, ?)",
            [media_id, text, USER_SOURCE],
        )
        return int(cursor.lastrowid or 0)

    def update_user_caption(self, caption_id: int, text: str) -> bool:
        """Change the text of a caption the user typed; its stale text vector is dropped.

        Returns False (and changes nothing) when the caption is not one of the user's.
        """
        cursor = self._db.execute(
            "UPDATE captions SET text = ? WHERE id = ? AND source = ?",
            [text, caption_id, USER_SOURCE],
        )
        if cursor.rowcount == 0:
            return False
        self._db.execute("DELETE FROM caption_features WHERE caption_id = ?", [caption_id])
        return True

    def delete_user_caption(self, caption_id: int) -> bool:
        """Remove a caption the user typed (with its vectors); False if it is not the user's."""
        cursor = self._db.execute(
            "DELETE FROM captions WHERE id = ? AND source = ?", [caption_id, USER_SOURCE]
        )
        return cursor.rowcount > 0
