"""Folders, photos and scan problems in the library.

Captions: ``caption_repo`` (whose queries ``MediaRepository`` inherits); labels:
``label_repo``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlite_utils import Database

from core.store.caption_repo import USER_SOURCE, CaptionQueries
from core.store.label_repo import LabelRepository
from core.store.records import (
    FileFacts,
    FolderRecord,
    MediaDetails,
    MediaRecord,
    path_from_db,
    path_to_db,
    printable,
)

__all__ = ["USER_SOURCE", "MediaRepository", "now_iso"]


def now_iso() -> str:
    """Current UTC time as ISO 8601 (seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _folder(row: Sequence[Any]) -> FolderRecord:
    return FolderRecord(int(row[0]), path_from_db(row[1]), bool(row[2]), bool(row[3]), str(row[4]))


_MEDIA_COLUMNS = (
    "id, folder_id, path, size, mtime_ns, content_hash, status, sidecar_sig, error_retry"
)


def _media(row: Sequence[Any]) -> MediaRecord:
    return MediaRecord(
        int(row[0]), int(row[1]), path_from_db(row[2]), int(row[3]), int(row[4]), str(row[5]),
        str(row[6]), str(row[7]), bool(row[8]),
    )  # fmt: skip


class MediaRepository(CaptionQueries):
    """Typed queries over folders, media and captions. Callers own transactions.

    The caption queries are :class:`~core.store.caption_repo.CaptionQueries`'s, so
    ``store.media`` answers for a photo and its captions as before.
    """

    def __init__(self, db: Database) -> None:
        self._db = db

    # folders ---------------------------------------------------------------
    def add_folder(self, path: str) -> FolderRecord:
        """Register a folder (idempotent) and return it."""
        self._db.execute(
            "INSERT INTO folders(path, added_at) VALUES (?, ?) ON CONFLICT(path) DO NOTHING",
            [path_to_db(path), now_iso()],
        )
        found = self.folder_by_path(path)
        assert found is not None
        return found

    def folders(self) -> list[FolderRecord]:
        """All registered folders, by path."""
        sql = "SELECT id, path, is_watched, is_album_source, added_at FROM folders ORDER BY path"
        return [_folder(r) for r in self._db.execute(sql).fetchall()]

    def folder_by_path(self, path: str) -> FolderRecord | None:
        """The folder registered at exactly ``path``, if any."""
        row = self._db.execute(
            "SELECT id, path, is_watched, is_album_source, added_at FROM folders WHERE path = ?",
            [path_to_db(path)],
        ).fetchone()
        return None if row is None else _folder(row)

    def set_album_source(self, folder_id: int, is_album_source: bool) -> None:
        """Whether the folder's first-level sub-folders count as labels ("album" origin)."""
        self._db.execute(
            "UPDATE folders SET is_album_source = ? WHERE id = ?", [int(is_album_source), folder_id]
        )

    def reassign_folder(self, old_id: int, new_id: int) -> None:
        """Move every photo of one folder entry to another (paths are unchanged)."""
        self._db.execute("UPDATE media SET folder_id = ? WHERE folder_id = ?", [new_id, old_id])

    def remove_folder(self, folder_id: int) -> None:
        """Forget a folder and everything indexed under it (the files are not touched)."""
        self._db.execute("DELETE FROM folders WHERE id = ?", [folder_id])

    # media -----------------------------------------------------------------
    def media_in_folder(self, folder_id: int) -> dict[str, MediaRecord]:
        """Stored photos of one folder, keyed by path."""
        rows = self._db.execute(
            f"SELECT {_MEDIA_COLUMNS} FROM media WHERE folder_id = ?", [folder_id]
        ).fetchall()
        return {path_from_db(r[2]): _media(r) for r in rows}

    def media_by_path(self, path: str) -> MediaRecord | None:
        """The stored photo at ``path``, if any."""
        row = self._db.execute(
            f"SELECT {_MEDIA_COLUMNS} FROM media WHERE path = ?", [path_to_db(path)]
        ).fetchone()
        return None if row is None else _media(row)

    def copies_of(self, path: str, content_hash: str, size: int) -> list[int]:
        """Ids of the stored photo at ``path`` and of every photo with the same content."""
        rows = self._db.execute(
            "SELECT id FROM media WHERE path = ? OR (content_hash = ? AND size = ?) ORDER BY id",
            [path_to_db(path), content_hash, size],
        ).fetchall()
        return [int(r[0]) for r in rows]

    def insert_media(
        self,
        folder_id: int,
        path: str,
        size: int,
        mtime_ns: int,
        content_hash: str,
        sig: str,
        kind: str = "photo",
    ) -> int:
        """Add a new item (``kind``: photo, raw or video) in the ``pending`` state; its id."""
        now = now_iso()
        cursor = self._db.execute(
            "INSERT INTO media(folder_id, path, size, mtime_ns, content_hash, sidecar_sig,"
            " added_at, updated_at, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [folder_id, path_to_db(path), size, mtime_ns, content_hash, sig, now, now, kind],
        )
        return int(cursor.lastrowid or 0)

    def mark_changed(self, media_id: int, size: int, mtime_ns: int, content_hash: str) -> None:
        """The file's bytes changed: back to ``pending`` and its image features dropped."""
        self._db.execute(
            "UPDATE media SET size = ?, mtime_ns = ?, content_hash = ?, status = 'pending',"
            " error = NULL, error_retry = 0, updated_at = ? WHERE id = ?",
            [size, mtime_ns, content_hash, now_iso(), media_id],
        )
        self._db.execute("DELETE FROM image_features WHERE media_id = ?", [media_id])

    def move_media(
        self,
        media_id: int,
        folder_id: int,
        new_path: str,
        mtime_ns: int,
        sig: str,
        kind: str | None = None,
    ) -> None:
        """A photo was moved or renamed: only its path changes; features and captions stay.

        ``kind``: what the new name says the item is, when the caller knows (else unchanged).
        """
        self._db.execute(
            "UPDATE media SET folder_id = ?, path = ?, mtime_ns = ?, sidecar_sig = ?,"
            " updated_at = ?, kind = COALESCE(?, kind) WHERE id = ?",
            [folder_id, path_to_db(new_path), mtime_ns, sig, now_iso(), kind, media_id],
        )

    def touch(self, media_id: int, mtime_ns: int) -> None:
        """Same bytes, new modification time: remember it so the next scan skips the file."""
        self._db.execute("UPDATE media SET mtime_ns = ? WHERE id = ?", [mtime_ns, media_id])

    def set_sidecar_sig(self, media_id: int, sig: str) -> None:
        """Remember the sidecar fingerprint the captions were read from."""
        self._db.execute("UPDATE media SET sidecar_sig = ? WHERE id = ?", [sig, media_id])

    def mark_ready(
        self,
        media_id: int,
        width: int,
        height: int,
        taken_at: str | None,
        camera: str | None = None,
    ) -> None:
        """The photo decoded fine; store what was learnt from it (camera None: names none)."""
        self._db.execute(
            "UPDATE media SET status = 'ready', error = NULL, error_retry = 0, width = ?,"
            " height = ?, taken_at = ?, camera = ?, updated_at = ? WHERE id = ?",
            [width, height, taken_at, camera or "", now_iso(), media_id],
        )

    def cameras(self) -> list[str]:
        """Every camera the library's photos name, sorted without case."""
        rows = self._db.execute(
            "SELECT DISTINCT camera FROM media WHERE camera IS NOT NULL AND camera != ''"
        ).fetchall()
        return sorted((str(r[0]) for r in rows), key=str.casefold)

    def without_camera_read(self, limit: int) -> list[tuple[int, str]]:
        """``(id, path)`` of up to ``limit`` ready photos whose camera was never read."""
        rows = self._db.execute(
            "SELECT id, path FROM media WHERE camera IS NULL AND status = 'ready'"
            " ORDER BY id LIMIT ?",
            [limit],
        ).fetchall()
        return [(int(r[0]), path_from_db(r[1])) for r in rows]

    def set_cameras(self, cameras: Sequence[tuple[int, str]]) -> None:
        """Store ``(id, camera)`` pairs ('' for a photo that names no camera)."""
        self._db.conn.executemany(
            "UPDATE media SET camera = ? WHERE id = ?", [(c, m) for m, c in cameras]
        )

    def decoded_twin(self, content_hash: str, size: int, exclude_id: int) -> int | None:
        """Another decoded photo with the same content fingerprint (an exact copy), if any."""
        row = self._db.execute(
            "SELECT id FROM media WHERE content_hash = ? AND size = ? AND status = 'ready'"
            " AND id != ? ORDER BY id LIMIT 1",
            [content_hash, size, exclude_id],
        ).fetchone()
        return None if row is None else int(row[0])

    def copy_decoded(
        self, source_id: int, target_id: int, sources: Iterable[str], origins: Iterable[str]
    ) -> None:
        """Give ``target_id`` what decoding ``source_id`` produced: size, date, embedded text."""
        self._db.execute(
            "UPDATE media SET status = 'ready', error = NULL, error_retry = 0,"
            " width = (SELECT width FROM media WHERE id = :src),"
            " height = (SELECT height FROM media WHERE id = :src),"
            " taken_at = (SELECT taken_at FROM media WHERE id = :src),"
            " camera = (SELECT camera FROM media WHERE id = :src) WHERE id = :dst",
            {"src": source_id, "dst": target_id},
        )
        source_list, origin_list = list(sources), list(origins)
        self._db.execute(
            "INSERT INTO captions(media_id, text, source) SELECT ?, text, source FROM captions"
            f" WHERE media_id = ? AND source IN ({','.join('?' * len(source_list))}) ORDER BY id",
            [target_id, source_id, *source_list],
        )
        self._db.execute(
            "INSERT OR IGNORE INTO media_labels(media_id, label_id, origin, confidence)"
            " SELECT ?, label_id, origin, confidence FROM media_labels WHERE media_id = ?"
            f" AND origin IN ({','.join('?' * len(origin_list))})",
            [target_id, source_id, *origin_list],
        )

    def mark_error(self, media_id: int, reason: str, *, retry: bool = False) -> None:
        """The photo cannot be used; keep the reason for ``status``.

        With ``retry`` (it was moved, unreadable, an I/O error) every scan tries it
        again; otherwise (its content is bad) it is tried again only when it changes.
        """
        self._db.execute(
            "UPDATE media SET status = 'error', error = ?, error_retry = ?, updated_at = ?"
            " WHERE id = ?",
            [printable(reason), int(retry), now_iso(), media_id],
        )

    def requeue(self, media_id: int, content_hash: str) -> None:
        """A photo that failed for a passing reason can be read again: decode it next."""
        self._db.execute(
            "UPDATE media SET status = 'pending', error = NULL, error_retry = 0,"
            " content_hash = ?, updated_at = ? WHERE id = ?",
            [content_hash, now_iso(), media_id],
        )

    def delete_media(self, media_ids: Iterable[int]) -> int:
        """Forget photos (cascades to captions, labels, features)."""
        ids = list(media_ids)
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            self._db.execute(f"DELETE FROM media WHERE id IN ({marks})", chunk)
        return len(ids)

    def errors(self) -> list[tuple[str, str]]:
        """(path, reason) of every photo that could not be indexed."""
        rows = self._db.execute(
            "SELECT path, error FROM media WHERE status = 'error' ORDER BY path"
        ).fetchall()
        return [(path_from_db(r[0]), str(r[1])) for r in rows]

    def details(self, media_id: int) -> MediaDetails | None:
        """Everything shown about one photo."""
        row = self._db.execute(
            "SELECT id, path, width, height, taken_at, status, error, kind FROM media WHERE id = ?",
            [media_id],
        ).fetchone()
        if row is None:
            return None
        captions = tuple(t for _, t, _ in self.captions_of(media_id))
        return MediaDetails(
            id=int(row[0]),
            path=path_from_db(row[1]),
            width=row[2],
            height=row[3],
            taken_at=row[4],
            status=str(row[5]),
            error=row[6],
            captions=captions,
            labels=tuple(LabelRepository(self._db).names_of(media_id)),
            kind=str(row[7]),
        )

    def paths_of(self, media_ids: Sequence[int]) -> dict[int, str]:
        """Path of each photo id."""
        rows = self._by_ids("SELECT id, path FROM media WHERE id IN ({})", media_ids)
        return {i: path_from_db(p) for i, p in rows}

    def kinds_of(self, media_ids: Sequence[int]) -> dict[int, str]:
        """``photo``, ``raw`` or ``video`` of each id (ids not stored are left out)."""
        rows = self._by_ids("SELECT id, kind FROM media WHERE id IN ({})", media_ids)
        return {int(i): str(k) for i, k in rows}

    def file_facts(self) -> dict[int, FileFacts]:
        """Path, size, content hash, pixel size and capture time of every ready photo."""
        rows = self._db.execute(
            "SELECT id, path, size, content_hash, width, height, taken_at FROM media"
            " WHERE status = 'ready'"
        ).fetchall()
        return {
            int(r[0]): FileFacts(
                int(r[0]), path_from_db(r[1]), int(r[2]), str(r[3]), r[4], r[5], r[6]
            )
            for r in rows
        }

    # problems --------------------------------------------------------------
    def set_problems(self, folder_id: int, problems: Sequence[tuple[str, str]]) -> None:
        """Replace the folder-level problems (bad caption rows, withheld deletions)."""
        self._db.execute("DELETE FROM scan_problems WHERE folder_id = ?", [folder_id])
        now = now_iso()
        self._db.conn.executemany(
            "INSERT INTO scan_problems(folder_id, path, message, created_at) VALUES (?, ?, ?, ?)",
            [(folder_id, path_to_db(p), printable(m), now) for p, m in problems],
        )

    def problems(self) -> list[tuple[str, str]]:
        """(path, message) of every folder-level problem."""
        rows = self._db.execute(
            "SELECT path, message FROM scan_problems ORDER BY path, id"
        ).fetchall()
        return [(path_from_db(r[0]), str(r[1])) for r in rows]

    def set_unsupported(self, folder_id: int, counts: dict[str, int]) -> None:
        """Replace the folder's counts of files not indexed, by kind (``raw``, ``video``...)."""
        self._db.execute("DELETE FROM unsupported_files WHERE folder_id = ?", [folder_id])
        self._db.conn.executemany(
            "INSERT INTO unsupported_files(folder_id, kind, count) VALUES (?, ?, ?)",
            [(folder_id, kind, n) for kind, n in sorted(counts.items()) if n],
        )

    def unsupported(self) -> dict[int, dict[str, int]]:
        """Folder id -> kind -> how many files of that kind it holds that are not indexed."""
        out: dict[int, dict[str, int]] = {}
        rows = self._db.execute(
            "SELECT folder_id, kind, count FROM unsupported_files ORDER BY folder_id, kind"
        ).fetchall()
        for folder_id, kind, count in rows:
            out.setdefault(int(folder_id), {})[str(kind)] = int(count)
        return out

    def ready_kinds(self) -> dict[str, int]:
        """Searchable items by kind (``photo``, ``raw``, ``video``)."""
        rows = self._db.execute(
            "SELECT kind, COUNT(*) FROM media WHERE status = 'ready' GROUP BY kind"
        ).fetchall()
        return {str(kind): int(count) for kind, count in rows}

    def counts(self) -> dict[str, int]:
        """Photo, caption, label and folder counts for ``status``."""
        q = self._db.execute
        by_status = dict(q("SELECT status, COUNT(*) FROM media GROUP BY status").fetchall())
        by_kind = dict(q("SELECT kind, COUNT(*) FROM media GROUP BY kind").fetchall())
        return {
            "folders": int(q("SELECT COUNT(*) FROM folders").fetchone()[0]),
            "photos": int(sum(by_status.values())),
            "photos_ready": int(by_status.get("ready", 0)),
            "photos_pending": int(by_status.get("pending", 0)),
            "photos_error": int(by_status.get("error", 0)),
            "raw_photos": int(by_kind.get("raw", 0)),
            "videos": int(by_kind.get("video", 0)),
            "captions": int(q("SELECT COUNT(*) FROM captions").fetchone()[0]),
            "labels": int(q("SELECT COUNT(DISTINCT label_id) FROM media_labels").fetchone()[0]),
        }

    def folder_counts(self) -> dict[int, dict[str, int]]:
        """Per folder id: ``photos`` (indexed), ``pending``, ``errors`` and ``captions``."""
        rows = self._db.execute(
            "SELECT f.id, COUNT(m.id) FILTER (WHERE m.status = 'ready'),"
            " COUNT(m.id) FILTER (WHERE m.status = 'pending'),"
            " COUNT(m.id) FILTER (WHERE m.status = 'error'),"
            " (SELECT COUNT(*) FROM captions c JOIN media cm ON cm.id = c.media_id"
            "  WHERE cm.folder_id = f.id)"
            " FROM folders f LEFT JOIN media m ON m.folder_id = f.id GROUP BY f.id"
        ).fetchall()
        keys = ("photos", "pending", "errors", "captions")
        return {int(r[0]): dict(zip(keys, map(int, r[1:]), strict=True)) for r in rows}
