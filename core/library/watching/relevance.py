"""Which changed paths can matter to the library, judged from the path alone.

A change matters when it touches a photo, a caption file (sidecar ``.txt`` or
``.xmp``, ``captions.csv|tsv|jsonl``) or a folder, below the watched folder,
outside hidden and system folders, and outside HashLens's own files (the library
and its journal, lock and cache). Download and editor temporaries (``.part``,
``.crdownload``, ``.tmp``, ``.swp``, ``~``) fail the extension test; the final
rename to ``photo.jpg`` is what counts.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from core.library.indexing.file_walk import is_image_name, is_skipped_dir
from core.media.captions import CAPTION_FILE_NAMES

SIDECAR_EXTENSIONS = frozenset({".txt", ".xmp"})


def is_caption_name(name: str) -> bool:
    """Whether a file name is a sidecar or a folder caption file (case-insensitive)."""
    lowered = name.casefold()
    return lowered in CAPTION_FILE_NAMES or os.path.splitext(lowered)[1] in SIDECAR_EXTENSIONS


def is_inside(path: str, parent: str) -> bool:
    """Whether ``path`` is ``parent`` or below it."""
    return path == parent or path.startswith(parent.rstrip(os.sep) + os.sep)


def is_own(path: str, own: str) -> bool:
    """Whether ``path`` is ``own``, below it, or a companion file (``own-wal``, ``own.lock``)."""
    return is_inside(path, own) or (path.startswith(own) and path[len(own)] in "-.")


class PathFilter:
    """Decides whether a change below one watched folder can matter.

    Args:
        root: The watched folder (absolute).
        ignored: HashLens's own files and folders: a path equal to one, below one, or
            extending a library file's name (``-wal``, ``-shm``, ``.lock``) is ignored.
    """

    def __init__(self, root: str, ignored: Iterable[str] = ()) -> None:
        self._root = root.rstrip(os.sep) or os.sep
        self._ignored = tuple(ignored)

    def is_relevant(self, path: str, *, is_directory: bool) -> bool:
        """Whether a change to ``path`` (a file, or a folder if ``is_directory``) can matter."""
        if not path or not is_inside(path, self._root) or path == self._root:
            return False
        if any(is_own(path, own) for own in self._ignored):
            return False
        parts = os.path.relpath(path, self._root).split(os.sep)
        if any(is_skipped_dir(part) for part in parts[:-1]):
            return False
        name = parts[-1]
        if is_directory:
            return not is_skipped_dir(name)
        if name.startswith("."):
            return False
        return is_image_name(name) or is_caption_name(name)
