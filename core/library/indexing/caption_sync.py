"""Gather the captions and labels that text files give a photo, and write them to the library.

Sources: ``name.txt`` / ``name.ext.txt`` sidecars, ``.xmp`` sidecars
(``dc:description``, ``dc:subject`` keywords) and ``captions.csv|tsv|jsonl``
in the photo's folder. Embedded EXIF/IPTC/XMP text is read when the photo is
decoded (see ``indexer.py``). ``#hashtags`` in any caption become labels.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from core.errors import CaptionFileError
from core.library.indexing.scanner import ancestors
from core.media.caption_files import FolderCaptions, read_folder_captions
from core.media.captions import (
    extract_hashtags,
    read_sidecar_captions,
    sidecar_text_paths,
)
from core.media.confinement import outside_roots, real_roots, refusal
from core.media.metadata import read_xmp_sidecar, xmp_sidecar_paths
from core.store.database import Store

logger = logging.getLogger(__name__)

FILE_SOURCES = frozenset({"sidecar", "captions-file", "xmp-sidecar"})
EMBEDDED_SOURCES = frozenset({"exif", "iptc", "xmp"})
ORIGIN_FILE_KEYWORDS = "keyword-file"
ORIGIN_EMBEDDED_KEYWORDS = "keyword"
ORIGIN_HASHTAGS = "hashtag"


@dataclass(slots=True)
class FileCaptions:
    """Captions ``(text, source)`` and label names found in text files for one photo."""

    captions: list[tuple[str, str]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    problems: list[tuple[str, str]] = field(default_factory=list)


class FolderCaptionCache:
    """Reads each folder's caption files once per run.

    ``allowed_roots`` (the library folders) are where caption files and sidecars may
    really be: a link leading elsewhere is refused. Empty: the photo's own library
    folder (the ``root`` given to :func:`read_file_captions`).
    """

    def __init__(self, allowed_roots: tuple[str, ...] = ()) -> None:
        self._cache: dict[str, FolderCaptions] = {}
        self.allowed_roots = real_roots(allowed_roots)

    def get(self, directory: str, allowed_roots: tuple[str, ...] = ()) -> FolderCaptions:
        """The caption files of ``directory`` (read on first use)."""
        found = self._cache.get(directory)
        if found is None:
            found = read_folder_captions(Path(directory), allowed_roots or self.allowed_roots)
            self._cache[directory] = found
        return found

    def problems(self) -> list[tuple[str, str]]:
        """(folder, message) for every bad row seen so far."""
        return [(d, p) for d, fc in self._cache.items() for p in fc.problems]


def read_file_captions(
    image_path: str, folders: FolderCaptionCache, root: str | None = None
) -> FileCaptions:
    """Everything text files say about ``image_path``; bad files become problems, never errors.

    Caption files are looked up in the photo's folder and in every parent folder up
    to ``root`` (the library folder), with the photo's path relative to each. A sidecar
    or caption file that is a link leading outside the library folders is not read.
    """
    out = FileCaptions()
    path = Path(image_path)
    directory = os.path.dirname(image_path)
    allowed = folders.allowed_roots or real_roots([root or directory])
    for sidecar in (*sidecar_text_paths(path), *xmp_sidecar_paths(path)):
        # the scan only enters folders that really are inside: only a link can lead out
        real = outside_roots(sidecar, allowed) if os.path.islink(sidecar) else None
        if real is not None:
            out.problems.append((str(sidecar), refusal(real)))
    refused = {p for p, _ in out.problems}
    for sidecar in sidecar_text_paths(path):
        if str(sidecar) in refused:
            continue
        try:
            out.captions += [(c.text, c.source) for c in read_sidecar_captions(sidecar)]
        except CaptionFileError as exc:
            out.problems.append((str(sidecar), exc.user_message))
    for xmp_path in xmp_sidecar_paths(path):
        if str(xmp_path) not in refused and xmp_path.is_file():
            meta = read_xmp_sidecar(xmp_path)
            if meta is None:
                out.problems.append((str(xmp_path), "the XMP sidecar could not be parsed"))
                continue
            out.captions += [(d.text, "xmp-sidecar") for d in meta.descriptions]
            out.labels += list(meta.keywords)
    for parent in ancestors(directory, root or directory):
        folder = folders.get(parent, allowed)
        relative = os.path.relpath(image_path, parent).replace(os.sep, "/")
        out.captions += [(c.text, c.source) for c in folder.lookup(relative)]
        out.labels += list(folder.lookup_labels(relative))
    return out


def write_file_captions(store: Store, media_id: int, found: FileCaptions) -> None:
    """Store file-derived captions and keywords, then recompute hashtag labels."""
    store.media.replace_captions(media_id, found.captions, sources=FILE_SOURCES)
    store.labels.set_labels(media_id, found.labels, ORIGIN_FILE_KEYWORDS)
    refresh_hashtags(store, media_id)


def refresh_hashtags(store: Store, media_id: int) -> None:
    """Labels from ``#hashtags`` in every caption of the photo."""
    tags: list[str] = []
    for _, text, _ in store.media.captions_of(media_id):
        tags += extract_hashtags(text)
    store.labels.set_labels(media_id, dict.fromkeys(tags), ORIGIN_HASHTAGS)
