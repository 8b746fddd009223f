"""Write a :class:`ScanPlan` to the library in short transactions (a crash loses at most one)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from core.library.folders import is_inside
from core.library.indexing.caption_sync import (
    EMBEDDED_SOURCES,
    ORIGIN_EMBEDDED_KEYWORDS,
    FolderCaptionCache,
    read_file_captions,
    write_file_captions,
)
from core.library.indexing.scanner import ChangedFile, MovedFile, NewFile, RetryFile, ScanPlan
from core.media.media_kinds import media_kind
from core.progress import CancelToken
from core.store.database import Store
from core.store.records import FolderRecord

logger = logging.getLogger(__name__)

CHUNK = 256
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class AppliedPlan:
    """Counts of what was written."""

    added: int
    updated: int
    moved: int
    removed: int
    recaptioned: int
    copies: int = 0


def _in_chunks(
    store: Store, items: Sequence[T], write: Callable[[T], None], cancel: CancelToken | None
) -> None:
    for start in range(0, len(items), CHUNK):
        if cancel is not None:
            cancel.raise_if_cancelled()
        with store.atomic():
            for item in items[start : start + CHUNK]:
                write(item)


class PlanWriter:
    """Applies one plan: inserts, moves, changes, deletions, captions, folder problems."""

    def __init__(self, store: Store, cancel: CancelToken | None) -> None:
        self._store = store
        self._cancel = cancel
        self._recaption: dict[int, tuple[str, str]] = {}
        self.copies = 0

    def apply(self, plan: ScanPlan, folders: list[FolderRecord]) -> AppliedPlan:
        """Write everything in ``plan``; ``folders`` are the scanned folders."""
        self._recaption = dict(plan.recaption)
        _in_chunks(self._store, plan.new, self._insert, self._cancel)
        _in_chunks(self._store, plan.moved, self._move, self._cancel)
        _in_chunks(self._store, plan.changed, self._change, self._cancel)
        _in_chunks(self._store, plan.retry, self._retry, self._cancel)
        with self._store.atomic():
            self._store.media.delete_media(plan.deleted)
        caption_problems = self._recaption_all([f.path for f in folders])
        self._write_problems(plan, folders, caption_problems)
        updated = sum(1 for c in plan.changed if c.content_changed)
        return AppliedPlan(
            len(plan.new),
            updated,
            len(plan.moved),
            len(plan.deleted),
            len(self._recaption),
            self.copies,
        )

    def _insert(self, f: NewFile) -> None:
        media = self._store.media
        kind = media_kind(f.path) or "photo"
        media_id = media.insert_media(
            f.folder_id, f.path, f.size, f.mtime_ns, f.content_hash, "", kind
        )
        if f.error is not None:
            media.mark_error(media_id, f.error, retry=True)
            return
        self._recaption[media_id] = (f.path, f.sig)
        twin = media.decoded_twin(f.content_hash, f.size, media_id)
        if twin is not None:  # an exact copy: reuse its vectors instead of running CLIP again
            media.copy_decoded(twin, media_id, EMBEDDED_SOURCES, [ORIGIN_EMBEDDED_KEYWORDS])
            self._store.vectors.copy_image_features(twin, media_id)
            self.copies += 1

    def _move(self, m: MovedFile) -> None:
        kind = media_kind(m.new_path)
        self._store.media.move_media(m.media_id, m.folder_id, m.new_path, m.mtime_ns, "", kind)

    def _retry(self, r: RetryFile) -> None:
        if r.error is None:
            self._store.media.requeue(r.media_id, r.content_hash)
        else:
            self._store.media.mark_error(r.media_id, r.error, retry=True)

    def _change(self, c: ChangedFile) -> None:
        if c.content_changed:
            self._store.media.mark_changed(c.media_id, c.size, c.mtime_ns, c.content_hash)
        else:
            self._store.media.touch(c.media_id, c.mtime_ns)

    def _recaption_all(self, roots: list[str]) -> list[tuple[str, str]]:
        cache = FolderCaptionCache(tuple(f.path for f in self._store.media.folders()))
        items = sorted(self._recaption.items(), key=lambda kv: kv[1][0])
        problems: list[tuple[str, str]] = []

        def write(item: tuple[int, tuple[str, str]]) -> None:
            media_id, (path, sig) = item
            root = next((r for r in roots if is_inside(path, r)), None)
            found = read_file_captions(path, cache, root)
            problems.extend(found.problems)
            write_file_captions(self._store, media_id, found)
            self._store.media.set_sidecar_sig(media_id, sig)

        _in_chunks(self._store, items, write, self._cancel)
        return problems + cache.problems()

    def _write_problems(
        self, plan: ScanPlan, folders: list[FolderRecord], extra: list[tuple[str, str]]
    ) -> None:
        roots = {f.path: f.id for f in folders}
        by_folder: dict[int, list[tuple[str, str]]] = {f.id: [] for f in folders}
        for w in plan.withheld:
            by_folder[roots[w.folder_path]].append((w.folder_path, f"Nothing removed: {w.reason}"))
        for path, reason in plan.unreadable_dirs + plan.skipped + extra:
            owner = next((r for r in roots if is_inside(path, r)), None)
            if owner is not None:
                by_folder[roots[owner]].append((path, reason))
                logger.warning("%s: %s", path, reason)
        with self._store.atomic():
            for folder_id, problems in by_folder.items():
                self._store.media.set_problems(folder_id, problems)
            for folder_id, counts in plan.unsupported.items():
                self._store.media.set_unsupported(folder_id, counts)
