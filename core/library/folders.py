"""Registering library folders so that no photo ever belongs to two of them.

A folder inside one already in the library is covered by it and not added again.
A folder that contains registered folders absorbs them: their photos move to the
new folder with their features and captions, and the old entries are dropped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from core.store.database import Store
from core.store.records import FolderRecord


@dataclass(frozen=True, slots=True)
class FolderRegistration:
    """Result of registering one folder.

    Attributes:
        folder: The library folder that now covers the path.
        covered_by_existing: The path was already inside ``folder``; nothing was added.
        absorbed: Registered folders inside the new one, merged into it.
    """

    folder: FolderRecord
    covered_by_existing: bool = False
    absorbed: tuple[str, ...] = ()


def is_inside(path: str, parent: str) -> bool:
    """Whether ``path`` is ``parent`` or below it (absolute, normalised paths)."""
    return path == parent or path.startswith(parent.rstrip(os.sep) + os.sep)


def register_folder(store: Store, path: str) -> FolderRegistration:
    """Add ``path`` (absolute, resolved) to the library, merging nested registrations."""
    existing = store.media.folders()
    for folder in existing:
        if is_inside(path, folder.path):
            return FolderRegistration(folder, covered_by_existing=folder.path != path)
    nested = [f for f in existing if is_inside(f.path, path)]
    with store.atomic():
        folder = store.media.add_folder(path)
        for inner in nested:
            store.media.reassign_folder(inner.id, folder.id)
            store.media.remove_folder(inner.id)
    return FolderRegistration(folder, absorbed=tuple(f.path for f in nested))
