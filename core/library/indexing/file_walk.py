"""Walk library folders: photo, RAW and video files with size and mtime, sidecars by directory.

Hidden and system folders (and hidden files) are left out by design. Symlinked
folders are followed once (a visited set of (device, inode) breaks loops), and only
when they lead to a place inside the library folders; a symlinked photo likewise.
Every other photo-like file the walk does not index is recorded in ``skipped`` with
its reason (a broken link, a link outside, not a regular file, unreadable), and hidden
photo files are counted in ``unsupported``. Which names are indexed (photos, RAW photos,
videos) is ``core.media.media_kinds``'s to say. Stat data comes from
``os.scandir`` so a re-scan of an unchanged folder never opens a file.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field

from core.media.captions import caption_file_signature
from core.media.confinement import outside_roots, real_roots, refusal
from core.media.image_io import SUPPORTED_EXTENSIONS

logger = logging.getLogger(__name__)

SKIPPED_DIR_NAMES = frozenset(
    {
        "@eaDir",  # Synology thumbnails
        "$RECYCLE.BIN",
        "System Volume Information",
        "lost+found",
        "__MACOSX",
        "#recycle",
        "node_modules",
    }
)


HIDDEN = "hidden"
"""The count of photo-like files whose names start with a dot (never indexed, by design)."""


def describe_not_indexed(counts: dict[str, int]) -> str:
    """E.g. ``"2 hidden photo files (name starts with '.')"``.

    Args:
        counts: Kind -> number of files not indexed. Only ``hidden`` remains: RAW photos
            and videos, counted here before HashLens indexed them, are indexed now.

    Returns:
        One line, or ``""`` when nothing is left out.
    """
    hidden = counts.get(HIDDEN, 0)
    if not hidden:
        return ""
    return f"{hidden} hidden photo file{'s' if hidden != 1 else ''} (name starts with '.')"


def _is_photo_like(name: str) -> bool:
    return os.path.splitext(name)[1].lower() in SUPPORTED_EXTENSIONS


def is_skipped_dir(name: str) -> bool:
    """Hidden (dot) folders, trash folders and NAS/OS system folders are never indexed."""
    return name.startswith(".") or name in SKIPPED_DIR_NAMES or name.startswith(".Trash")


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """Which file an entry really is, to index a file reached by two paths once.

    Attributes:
        inode: ``(device, inode)`` of the file itself (links followed); ``None`` where
            the file system gives none.
        is_link: The entry is a symlink.
        links: The file's hard link count.
    """

    inode: tuple[int, int] | None
    is_link: bool = False
    links: int = 1


@dataclass(frozen=True, slots=True)
class FileStat:
    """Size and modification time of one file, and which file it is (``identity``)."""

    size: int
    mtime_ns: int
    identity: FileIdentity | None = None


@dataclass(slots=True)
class DirListing:
    """One directory: every plain file (for sidecar lookups) and which are images."""

    path: str
    files: dict[str, tuple[int, int]] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)
    identity: dict[str, FileIdentity] = field(default_factory=dict)


@dataclass(slots=True)
class WalkResult:
    """Everything found under one root."""

    root_exists: bool
    root: str = ""
    caption_sigs: dict[str, str] = field(default_factory=dict)
    dirs: list[DirListing] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    unsupported: dict[str, int] = field(default_factory=dict)

    def image_stats(self) -> dict[str, FileStat]:
        """Absolute image path -> its stat."""
        out: dict[str, FileStat] = {}
        for d in self.dirs:
            for name in d.images:
                size, mtime_ns = d.files[name]
                out[os.path.join(d.path, name)] = FileStat(size, mtime_ns, d.identity.get(name))
        return out


def is_image_name(name: str) -> bool:
    """Whether a file name is indexed: a photo, RAW photo or video (case-insensitive)."""
    return _is_photo_like(name)


def walk(root: str, allowed_roots: tuple[str, ...] | None = None) -> WalkResult:
    """List every image under ``root`` with the files beside it.

    Args:
        root: The library folder to walk.
        allowed_roots: Where links may lead (every library folder); default ``root``.
    """
    if not os.path.isdir(root):
        return WalkResult(root_exists=False)
    result = WalkResult(root_exists=True, root=root)
    visited: set[tuple[int, int]] = set()
    allowed = real_roots(allowed_roots if allowed_roots is not None else (root,))
    for listing in _walk_dirs(root, visited, result, allowed):
        if listing.images:
            result.dirs.append(listing)
        sig = caption_file_signature(listing.files)
        if sig:
            result.caption_sigs[listing.path] = sig
    return result


def _walk_dirs(
    top: str, visited: set[tuple[int, int]], result: WalkResult, allowed: tuple[str, ...]
) -> Iterator[DirListing]:
    pending = [top]
    while pending:
        path = pending.pop()
        try:
            st = os.stat(path)
            key = (st.st_dev, st.st_ino)
            if key in visited:
                logger.info("Skipping %s: already visited (symlink loop or duplicate)", path)
                result.skipped.append((path, _SEEN_FOLDER))
                continue
            visited.add(key)
            listing, subdirs = _list_dir(path, allowed, result)
        except OSError as exc:
            result.unreadable.append((path, exc.strerror or str(exc)))
            logger.warning("Cannot read folder %s: %s", path, exc)
            continue
        pending.extend(sorted(subdirs, reverse=True))
        yield listing


def _list_dir(
    path: str, allowed: tuple[str, ...], result: WalkResult
) -> tuple[DirListing, list[str]]:
    listing = DirListing(path)
    subdirs: list[str] = []
    with os.scandir(path) as entries:
        for entry in entries:
            if entry.name.startswith("."):  # never indexed (by design); photos counted
                if not entry.is_dir() and _is_photo_like(entry.name):
                    result.unsupported[HIDDEN] = result.unsupported.get(HIDDEN, 0) + 1
                continue
            _list_entry(entry, listing, subdirs, allowed, result)
    listing.images.sort()
    return listing, subdirs


def _list_entry(
    entry: os.DirEntry[str],
    listing: DirListing,
    subdirs: list[str],
    allowed: tuple[str, ...],
    result: WalkResult,
) -> None:
    photo_like = _is_photo_like(entry.name)
    try:
        is_link = entry.is_symlink()
        if entry.is_dir():
            if is_skipped_dir(entry.name):
                return
            real = outside_roots(entry.path, allowed) if is_link else None
            if real is not None:
                result.skipped.append((entry.path, f"folder skipped: {refusal(real)}"))
            else:
                subdirs.append(entry.path)
            return
        st = entry.stat()
    except OSError as exc:
        if photo_like:  # a broken link, or vanished or unreadable right now
            broken = isinstance(exc, FileNotFoundError) and _is_link(entry)
            reason = "a broken link (its target is missing)" if broken else _unreadable(exc)
            result.skipped.append((entry.path, reason))
        return
    if not stat.S_ISREG(st.st_mode):
        if photo_like:
            result.skipped.append((entry.path, "not a regular file (a pipe, socket or device)"))
        return
    real = outside_roots(entry.path, allowed) if is_link else None
    if real is not None:
        if photo_like:
            result.skipped.append((entry.path, refusal(real)))
        return  # an outside sidecar is refused by its reader too; never listed here
    listing.files[entry.name] = (st.st_size, st.st_mtime_ns)
    if photo_like:
        listing.images.append(entry.name)
        inode = (st.st_dev, st.st_ino) if st.st_ino else None
        listing.identity[entry.name] = FileIdentity(inode, is_link, st.st_nlink)


_SEEN_FOLDER = "folder skipped: a link to a folder already scanned (its photos count once)"


def _is_link(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_symlink()
    except OSError:
        return False


def _unreadable(exc: OSError) -> str:
    return f"cannot be read ({exc.strerror or exc}); tried again at the next scan"
