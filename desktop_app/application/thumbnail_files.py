"""Thumbnail files on disk, keyed by content so that renaming a photo keeps its thumbnail.

The key is the photo's content fingerprint (the same one the indexer uses to
recognise moved files) plus its size; the file is a JPEG under the cache folder,
with EXIF orientation applied.
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

from core.media.content_hash import content_hash
from core.media.image_io import open_image

logger = logging.getLogger(__name__)

JPEG_QUALITY = 85


def thumbnail_path(cache_dir: Path, photo: Path, side_px: int) -> Path:
    """Where the thumbnail of ``photo`` at ``side_px`` lives (reads at most 128 KiB of it).

    Raises:
        OSError: The photo cannot be read.
    """
    size = photo.stat().st_size
    digest = content_hash(str(photo), size)
    return cache_dir / digest[:2] / f"{digest}-{size}-{side_px}.jpg"


def make_thumbnail(cache_dir: Path, photo: Path, side_px: int, max_pixels: int) -> Path:
    """The cached thumbnail of ``photo``, made first if it is not cached yet.

    Raises:
        UnsupportedImageError: The photo cannot be decoded.
        OSError: The photo cannot be read.
    """
    target = thumbnail_path(cache_dir, photo, side_px)
    if target.is_file():
        return target
    decoded = open_image(photo, max_pixels=max_pixels, min_side=side_px)
    image = decoded.image
    image.thumbnail((side_px, side_px))
    target.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed, so a reader never sees half a file.
    handle, temporary = tempfile.mkstemp(dir=target.parent, suffix=".part")
    os.close(handle)
    try:
        image.save(temporary, "JPEG", quality=JPEG_QUALITY)
        os.replace(temporary, target)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    logger.debug("Thumbnail %s -> %s", photo, target)
    return target
