"""Diff the folders on disk against the library: what is new, changed, moved or gone.

Cost model: an unchanged photo (same size and mtime) costs one ``stat`` and a
dict lookup. A new or changed photo costs a 128 KiB read for its content hash,
which is how a move or rename is recognised without running CLIP again.
Deletions are mark-and-sweep: whatever was stored but not seen is removed,
unless most of a folder looks missing (an unmounted drive), in which case
nothing in that folder is removed and the user is told.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

from core.config import IndexingConfig
from core.library.indexing.file_walk import DirListing, FileIdentity, FileStat, WalkResult, walk
from core.media.captions import sidecar_signature
from core.media.content_hash import content_hash
from core.store.records import FolderRecord, MediaRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NewFile:
    """A photo not in the library yet (``error`` set when it could not even be read)."""

    folder_id: int
    path: str
    size: int
    mtime_ns: int
    content_hash: str
    sig: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class MovedFile:
    """A stored photo found at a new path: only the path changes."""

    media_id: int
    folder_id: int
    old_path: str
    new_path: str
    mtime_ns: int
    sig: str


@dataclass(frozen=True, slots=True)
class ChangedFile:
    """A stored photo whose bytes changed (``content_changed`` False: only touched)."""

    media_id: int
    path: str
    size: int
    mtime_ns: int
    content_hash: str
    content_changed: bool
    sig: str


@dataclass(frozen=True, slots=True)
class RetryFile:
    """A stored photo that failed for a passing reason (moved, no permission, I/O).

    ``error`` is ``None`` when it can be read now (it goes back to the queue with
    ``content_hash``), else why it still cannot be read.
    """

    media_id: int
    content_hash: str
    error: str | None = None


@dataclass(frozen=True, slots=True)
class WithheldDeletion:
    """Deletions not applied because too much of a folder looked missing."""

    folder_path: str
    missing: int
    stored: int
    reason: str


@dataclass(slots=True)
class ScanPlan:
    """What an indexing run must apply to the library."""

    new: list[NewFile] = field(default_factory=list)
    moved: list[MovedFile] = field(default_factory=list)
    changed: list[ChangedFile] = field(default_factory=list)
    recaption: dict[int, tuple[str, str]] = field(default_factory=dict)
    deleted: list[int] = field(default_factory=list)
    retry: list[RetryFile] = field(default_factory=list)
    withheld: list[WithheldDeletion] = field(default_factory=list)
    unreadable_dirs: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    unsupported: dict[int, dict[str, int]] = field(default_factory=dict)
    unchanged: int = 0


def ancestors(directory: str, root: str) -> list[str]:
    """``directory`` and its parents up to and including ``root``, nearest first."""
    out = [directory]
    while directory != root and len(directory) > len(root):
        directory = os.path.dirname(directory)
        out.append(directory)
    return out


def image_signatures(result: WalkResult) -> dict[str, str]:
    """Path -> fingerprint of the caption files and sidecars that describe it."""
    sigs: dict[str, str] = {}
    for listing in result.dirs:
        folder_sig = ",".join(
            result.caption_sigs.get(d, "") for d in ancestors(listing.path, result.root)
        )
        for name in listing.images:
            side = sidecar_signature(name, listing.files)
            sigs[os.path.join(listing.path, name)] = f"{folder_sig}|{side}"
    return sigs


@dataclass(slots=True)
class _Seen:
    folder: FolderRecord
    stats: dict[str, FileStat]
    sigs: dict[str, str]
    stored: dict[str, MediaRecord]
    root_exists: bool
    listings: list[DirListing]


class Scanner:
    """Computes a :class:`ScanPlan`; reads the disk, never writes the library."""

    def __init__(self, config: IndexingConfig) -> None:
        self._config = config

    def plan(
        self,
        folders: list[FolderRecord],
        stored: dict[int, dict[str, MediaRecord]],
        *,
        unsettled: frozenset[str] = frozenset(),
        allowed_roots: tuple[str, ...] | None = None,
    ) -> ScanPlan:
        """Diff ``folders`` on disk against their ``stored`` media (folder id -> path -> record).

        Folders never nest (``core.library.folders`` merges them), and a file reached
        twice (through a symlink or a hard link) is indexed once, so no photo is seen
        twice. Links may lead anywhere inside ``allowed_roots`` (every library folder;
        default: ``folders``). Files in ``unsettled`` (still being written) are left as
        they are, and nothing is deleted while there are any: a file still arriving may
        be a stored one moved.
        """
        plan = ScanPlan()
        allowed = allowed_roots if allowed_roots is not None else tuple(f.path for f in folders)
        seen = [self._walk(f, stored.get(f.id, {}), plan, unsettled, allowed) for f in folders]
        _index_each_file_once(seen, plan)
        missing = self._missing(seen, plan)
        by_hash: dict[tuple[str, int], list[MediaRecord]] = {}
        for record in missing:
            by_hash.setdefault((record.content_hash, record.size), []).append(record)
        for s in seen:
            self._diff_present(s, by_hash, plan)
        moved_ids = {m.media_id for m in plan.moved}
        gone = [r.id for r in missing if r.id not in moved_ids]
        if unsettled and gone:
            logger.info("%d deletions wait until %d files are complete", len(gone), len(unsettled))
        else:
            plan.deleted.extend(gone)
        return plan

    def _walk(
        self,
        folder: FolderRecord,
        stored: dict[str, MediaRecord],
        plan: ScanPlan,
        unsettled: frozenset[str],
        allowed: tuple[str, ...],
    ) -> _Seen:
        result = walk(folder.path, allowed)
        plan.unreadable_dirs.extend(result.unreadable)
        plan.skipped.extend(result.skipped)
        if result.root_exists:
            plan.unsupported[folder.id] = result.unsupported
        stats = result.image_stats()
        if unsettled:
            stats = {p: st for p, st in stats.items() if p not in unsettled}
            stored = {p: r for p, r in stored.items() if p not in unsettled}
        return _Seen(
            folder, stats, image_signatures(result), stored, result.root_exists, result.dirs,
        )  # fmt: skip

    def _missing(self, seen: list[_Seen], plan: ScanPlan) -> list[MediaRecord]:
        """Stored records not found on disk, minus folders whose deletions are withheld."""
        out: list[MediaRecord] = []
        for s in seen:
            gone = [r for p, r in s.stored.items() if p not in s.stats]
            withheld = self._withhold_reason(s, len(gone))
            if gone and withheld:
                plan.withheld.append(
                    WithheldDeletion(s.folder.path, len(gone), len(s.stored), withheld)
                )
                logger.warning(
                    "Not removing %d photos of %s: %s", len(gone), s.folder.path, withheld
                )
                continue
            out.extend(gone)
        return out

    def _withhold_reason(self, s: _Seen, n_missing: int) -> str | None:
        if not s.root_exists:
            return "the folder is not there (an unplugged drive or unmounted share?)"
        n_stored = len(s.stored)
        cfg = self._config
        if (
            n_stored >= cfg.missing_guard_min_files
            and n_missing > cfg.missing_guard_fraction * n_stored
        ):
            return (
                f"{n_missing} of {n_stored} photos are missing at once "
                "(a disconnected drive?); nothing was removed"
            )
        return None

    def _diff_present(
        self, s: _Seen, by_hash: dict[tuple[str, int], list[MediaRecord]], plan: ScanPlan
    ) -> None:
        for path, st in s.stats.items():
            sig = s.sigs[path]
            record = s.stored.get(path)
            if record is None:
                self._new_or_moved(s.folder.id, path, st, sig, by_hash, plan)
            elif (record.size, record.mtime_ns) != (st.size, st.mtime_ns):
                self._changed(record, path, st, sig, plan)
            else:
                plan.unchanged += 1
                if record.sidecar_sig != sig:
                    plan.recaption[record.id] = (path, sig)
                if record.status == "error" and record.retry:
                    plan.retry.append(_probe(record.id, path, st.size))

    def _new_or_moved(
        self,
        folder_id: int,
        path: str,
        st: FileStat,
        sig: str,
        by_hash: dict[tuple[str, int], list[MediaRecord]],
        plan: ScanPlan,
    ) -> None:
        try:
            digest = content_hash(path, st.size)
        except OSError as exc:
            plan.new.append(
                NewFile(folder_id, path, st.size, st.mtime_ns, "", sig, _read_error(exc))
            )
            return
        candidates = by_hash.get((digest, st.size))
        if candidates:
            old = candidates.pop()
            plan.moved.append(MovedFile(old.id, folder_id, old.path, path, st.mtime_ns, sig))
            plan.recaption[old.id] = (path, sig)
            if old.status == "error" and old.retry:  # e.g. renamed while it was being read
                plan.retry.append(RetryFile(old.id, digest))
            return
        plan.new.append(NewFile(folder_id, path, st.size, st.mtime_ns, digest, sig))

    def _changed(
        self, record: MediaRecord, path: str, st: FileStat, sig: str, plan: ScanPlan
    ) -> None:
        try:
            digest = content_hash(path, st.size)
        except OSError:
            digest = ""
        changed = digest != record.content_hash or not digest
        plan.changed.append(
            ChangedFile(record.id, path, st.size, st.mtime_ns, digest, changed, sig)
        )
        if record.sidecar_sig != sig or changed:
            plan.recaption[record.id] = (path, sig)


def _index_each_file_once(seen: list[_Seen], plan: ScanPlan) -> None:
    """Keep one path per file reached through a symlink or a hard link; the others are skips.

    The path kept is a real path over a link, then the one already in the library,
    then the first by name. Paths count as one file only when they share device and
    inode *and* a link explains it (a symlink resolving to the same real path, or hard
    links of equal size and mtime), so a file system that reuses inode numbers loses
    nothing.
    """
    paths: dict[tuple[int, int], list[tuple[_Seen, str, FileIdentity, FileStat]]] = {}
    for s in seen:
        for path, st in s.stats.items():
            if st.identity is not None and st.identity.inode is not None:
                paths.setdefault(st.identity.inode, []).append((s, path, st.identity, st))
    for group in paths.values():
        if len(group) < 2 or not any(g[2].is_link or g[2].links > 1 for g in group):
            continue
        keep = min(group, key=lambda g: (g[2].is_link, g[1] not in g[0].stored, g[1]))
        for s, path, identity, st in group:
            if path != keep[1] and _same_file(path, identity, st, keep[1], keep[2], keep[3]):
                del s.stats[path]
                how = "a link to it" if identity.is_link else "a hard link"
                plan.skipped.append((path, f"the same file as {keep[1]} ({how}): indexed once"))


def _same_file(
    a: str, a_id: FileIdentity, a_st: FileStat, b: str, b_id: FileIdentity, b_st: FileStat
) -> bool:
    if a_id.is_link or b_id.is_link:
        return os.path.realpath(a) == os.path.realpath(b)
    same_content = (a_st.size, a_st.mtime_ns) == (b_st.size, b_st.mtime_ns)
    return a_id.links > 1 and b_id.links > 1 and same_content


def _read_error(exc: OSError) -> str:
    return f"cannot be read ({exc.strerror or exc}); tried again at the next scan"


def _probe(media_id: int, path: str, size: int) -> RetryFile:
    """Whether a photo that failed for a passing reason can be read now (at most 128 KiB)."""
    try:
        return RetryFile(media_id, content_hash(path, size))
    except OSError as exc:
        return RetryFile(media_id, "", _read_error(exc))
