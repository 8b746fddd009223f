"""Walk library folders: image files with their size and mtime, sidecars by directory.

Hidden and system folders are skipped; symlinked folders are followed once
(a visited set of (device, inode) breaks loops). Stat data comes from
``os.scandir`` so a re-scan of an unchanged folder never opens a file.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field

from core.features.captions import caption_file_signature
from core.features.image_io import SUPPORTED_EXTENSIONS

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


def is_skipped_dir(name: str) -> bool:
    """Hidden (dot) folders, trash folders and NAS/OS system folders are never indexed."""
    return name.startswith(".") or name in SKIPPED_DIR_NAMES or name.startswith(".Trash")


@dataclass(frozen=True, slots=True)
class FileStat:
    """Size and modification time of one file."""

    size: int
    mtime_ns: int


@dataclass(slots=True)
class DirListing:
    """One directory: every plain file (for sidecar lookups) and which are images."""

    path: str
    files: dict[str, tuple[int, int]] = field(default_factory=dict)
    images: list[str] = field(default_factory=list)


@dataclass(slots=True)
class WalkResult:
    """Everything found under one root."""

    root_exists: bool
    root: str = ""
    caption_sigs: dict[str, str] = field(default_factory=dict)
    dirs: list[DirListing] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    def image_stats(self) -> dict[str, FileStat]:
        """Absolute image path -> its stat."""
        out: dict[str, FileStat] = {}
        for d in self.dirs:
            for name in d.images:
                size, mtime_ns = d.files[name]
                out[os.path.join(d.path, name)] = FileStat(size, mtime_ns)
        return out


def is_image_name(name: str) -> bool:
    """Whether a file name has a supported image extension (case-insensitive)."""
    return os.path.splitext(name)[1].lower() in SUPPORTED_EXTENSIONS


def walk(root: str) -> WalkResult:
    """List every image under ``root`` with the files beside it."""
    if not os.path.isdir(root):
        return WalkResult(root_exists=False)
    result = WalkResult(root_exists=True, root=root)
    visited: set[tuple[int, int]] = set()
    for listing in _walk_dirs(root, visited, result):
        if listing.images:
            result.dirs.append(listing)
        sig = caption_file_signature(listing.files)
        if sig:
            result.caption_sigs[listing.path] = sig
    return result


def _walk_dirs(top: str, visited: set[tuple[int, int]], result: WalkResult) -> Iterator[DirListing]:
    pending = [top]
    while pending:
        path = pending.pop()
        try:
            st = os.stat(path)
            key = (st.st_dev, st.st_ino)
            if key in visited:
                logger.info("Skipping %s: already visited (symlink loop or duplicate)", path)
                continue
            visited.add(key)
            listing, subdirs = _list_dir(path)
        except OSError as exc:
            result.unreadable.append((path, exc.strerror or str(exc)))
            logger.warning("Cannot read folder %s: %s", path, exc)
            continue
        pending.extend(sorted(subdirs, reverse=True))
        yield listing


def _list_dir(path: str) -> tuple[DirListing, list[str]]:
    listing = DirListing(path)
    subdirs: list[str] = []
    with os.scandir(path) as entries:
        for entry in entries:
            try:
                if entry.is_dir():
                    if not is_skipped_dir(entry.name):
                        subdirs.append(entry.path)
                    continue
                st = entry.stat()
            except OSError:
                continue  # vanished or unreadable entry: the next scan sees it again
            if not stat.S_ISREG(st.st_mode) or entry.name.startswith("."):
                continue
            listing.files[entry.name] = (st.st_size, st.st_mtime_ns)
            if is_image_name(entry.name):
                listing.images.append(entry.name)
    listing.images.sort()
    return listing, subdirs
