"""Jobs on many photos at once (the grid's selection): tag them, export copies of them."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from core.errors import LibraryError
from core.library.photo_labels import clean_tag_names
from core.store.database import Store
from core.store.media_repo import USER_SOURCE


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    """What a job on many photos did, in words for the status bar."""

    message: str
    labels_changed: bool = False


def tag_photos(library_path: Path, media_ids: Sequence[int], name: str) -> BulkOutcome:
    """Add the user's tag ``name`` to every photo of ``media_ids`` (other labels are kept).

    Raises:
        LabelError: The name is empty or holds a line break.
        LibraryError: None of the photos is in the library any more.
    """
    (clean,) = clean_tag_names([name])
    with Store.open(library_path) as store:
        present = list(store.media.paths_of(list(media_ids)))
        if not present:
            raise LibraryError("These photos are no longer in the library.")
        with store.atomic():
            added = store.labels.add_labels(present, [clean], USER_SOURCE)
    already = len(present) - added
    tail = f" ({already} had it already)" if already else ""
    return BulkOutcome(f"Tagged {added} photos “{clean}”{tail}.", labels_changed=True)


def export_photos(paths: Sequence[str], folder: Path) -> BulkOutcome:
    """Copy the files into ``folder``; a name taken there gets `` (2)``, `` (3)``... so
    nothing is overwritten. The originals are not touched.

    Raises:
        LibraryError: ``folder`` is not a folder that can be written to.
    """
    if not folder.is_dir():
        raise LibraryError(f"{folder} is not a folder.")
    copied, missing = 0, []
    for path in paths:
        source = Path(path)
        if not source.is_file():
            missing.append(source.name)
            continue
        try:
            shutil.copy2(source, _free_name(folder, source.name))
        except OSError as exc:
            raise LibraryError(
                f"Copying {source.name} into {folder} failed: {exc.strerror or exc}. "
                f"{copied} photos were copied before it."
            ) from exc
        copied += 1
    gone = f" {len(missing)} files no longer exist: {', '.join(missing[:3])}." if missing else ""
    return BulkOutcome(f"Copied {copied} photos to {folder}.{gone}")


def _free_name(folder: Path, name: str) -> Path:
    target = folder / name
    stem, suffix = Path(name).stem, Path(name).suffix
    number = 2
    while target.exists():
        target = folder / f"{stem} ({number}){suffix}"
        number += 1
    return target
