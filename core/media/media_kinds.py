"""Which files HashLens indexes, by kind: photos Pillow reads, RAW photos, videos.

The kind is judged by the file name's extension (case-insensitive), never by opening
the file: the folder walk, the watcher and the window's drop handling all need an
answer without reading a byte. :func:`core.media.image_io.open_image` reads every kind
(RAW through LibRaw, a video through one representative frame), so one call gives the
decode pool, thumbnails, the viewer and search-by-photo a PIL image.
"""

from __future__ import annotations

import os
from typing import Literal

MediaKind = Literal["photo", "raw", "video"]
"""``photo``: a format Pillow reads; ``raw``: a camera RAW file; ``video``: a video file."""

PHOTO_EXTENSIONS: frozenset[str] = frozenset(
    {
        ".jpg",
        ".jpeg",
        ".jpe",
        ".png",
        ".webp",
        ".heic",
        ".heif",
        ".hif",
        ".avif",
        ".tif",
        ".tiff",
        ".bmp",
        ".gif",
        ".mpo",  # multi-picture JPEG (3D and some phone cameras): the first frame is indexed
    }
)
_RAW_NAMES = (
    ".3fr .ari .arw .bay .cr2 .cr3 .crw .dcr .dng .erf .fff .iiq .k25 .kdc .mef .mos .mrw"
    " .nef .nrw .orf .pef .raf .raw .rw2 .rwl .sr2 .srf .srw .x3f"
)
_VIDEO_NAMES = ".3gp .avi .flv .m2ts .m4v .mkv .mov .mp4 .mpeg .mpg .mts .ogv .vob .webm .wmv"
RAW_EXTENSIONS: frozenset[str] = frozenset(_RAW_NAMES.split())
VIDEO_EXTENSIONS: frozenset[str] = frozenset(_VIDEO_NAMES.split())
INDEXED_EXTENSIONS: frozenset[str] = PHOTO_EXTENSIONS | RAW_EXTENSIONS | VIDEO_EXTENSIONS
"""Every extension :func:`~core.media.image_io.open_image` reads."""

_KIND_BY_EXTENSION: dict[str, MediaKind] = {
    **{ext: "photo" for ext in PHOTO_EXTENSIONS},
    **{ext: "raw" for ext in RAW_EXTENSIONS},
    **{ext: "video" for ext in VIDEO_EXTENSIONS},
}


def media_kind(name: str | os.PathLike[str]) -> MediaKind | None:
    """The kind of file a name says it is, or ``None`` for a file HashLens does not index.

    Args:
        name: A file name or path; only its extension is looked at.
    """
    return _KIND_BY_EXTENSION.get(os.path.splitext(os.fspath(name))[1].lower())
