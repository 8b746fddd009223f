"""Develop a camera RAW file (DNG, CR2, NEF, ARW, RAF...) with LibRaw (``rawpy``).

The fast path is the JPEG (or bitmap) preview the camera embeds: when it is large
enough for what the caller needs (``min_side``), no sensor data is read at all. Else
LibRaw develops the sensor data at half size (it skips demosaicing by merging each
2x2 block), which is also the largest size HashLens ever develops a RAW at: a viewer
gets at most half the sensor's resolution.

Metadata: the date, camera and EXIF texts are read from the file's TIFF structure
(DNG, CR2, NEF, NRW, ARW, SR2, PEF, 3FR, DCR, ERF, IIQ, MOS, SRW, KDC...), else from
the embedded JPEG preview's EXIF (RAF and some others carry it there). Not read: the
EXIF of formats with neither (CR3, X3F, CRW, MRW, and ORF/RW2 whose TIFF header is
non-standard) unless their preview holds it, and XMP/IPTC text inside RAW files (an
``.xmp`` sidecar beside the RAW is read as for any photo).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import rawpy
from PIL import Image

from core.media.decoded import DecodedImage, check_pixels, corrupt, shrink
from core.media.metadata import (
    ImageMetadata,
    merge_metadata,
    read_embedded_metadata,
    read_exif_block,
)

EXIF_SCAN_BYTES = 1 << 20
"""How much of a TIFF-based RAW is read for its EXIF (IFD0 and the EXIF IFD lie early)."""

# LibRaw's ``sizes.flip``: how to turn the undeveloped picture upright.
_FLIP_TRANSPOSE = {
    3: Image.Transpose.ROTATE_180,
    5: Image.Transpose.ROTATE_90,
    6: Image.Transpose.ROTATE_270,
}
_SWAPS_SIDES = frozenset({5, 6})


def open_raw(path: Path, *, max_pixels: int, min_side: int | None) -> DecodedImage:
    """Decode a RAW photo to an upright RGB picture.

    Args:
        path: The RAW file (readable: the caller opened it).
        max_pixels: Refuse a sensor with more pixels than this, judged before decoding.
        min_side: The shortest side the caller needs; an embedded preview at least this
            large is used as is. ``None`` (the viewer): a preview at least half the
            sensor's size, else a half-size development.

    Returns:
        The picture with the sensor's full size (upright) and the embedded metadata.

    Raises:
        UnsupportedImageError: Not a RAW LibRaw reads, truncated or corrupt, too large.
    """
    try:
        with rawpy.imread(os.fspath(path)) as raw:
            sizes = raw.sizes
            width, height = int(sizes.width), int(sizes.height)
            check_pixels(path, int(sizes.raw_width), int(sizes.raw_height), max_pixels)
            check_pixels(path, width, height, max_pixels)
            flip = int(sizes.flip)
            if flip in _SWAPS_SIDES:
                width, height = height, width
            preview = _preview(raw, max_pixels, min_side)
            if preview is not None and _large_enough(preview.size, (width, height), min_side):
                picture = _upright(preview.convert("RGB"), flip)
            else:
                picture = _develop(raw)
            preview_metadata = read_embedded_metadata(preview) if preview is not None else None
    except rawpy.LibRawError as exc:
        raise corrupt(path, exc) from exc
    metadata = merge_metadata(_tiff_metadata(path), preview_metadata)
    return DecodedImage(shrink(picture, min_side), width, height, metadata)


def _preview(raw: rawpy.RawPy, max_pixels: int, min_side: int | None) -> Image.Image | None:
    """The embedded preview, loaded, or ``None`` when there is none or it is unreadable."""
    try:
        thumb = raw.extract_thumb()
    except (rawpy.LibRawNoThumbnailError, rawpy.LibRawUnsupportedThumbnailError):
        return None
    except rawpy.LibRawError:  # a broken preview: the sensor data may still be fine
        return None
    if thumb.format == rawpy.ThumbFormat.BITMAP:
        array = np.asarray(thumb.data)
        return Image.fromarray(array) if array.ndim in (2, 3) and array.size else None
    try:
        image = Image.open(io.BytesIO(bytes(thumb.data)))
        if image.width * image.height > max_pixels:
            return None  # the sensor data passed the same limit: develop it instead
        if min_side is not None:
            image.draft("RGB", (min_side, min_side))  # DCT scaling: decode no more than needed
        image.load()
    except (OSError, SyntaxError, ValueError):  # a preview Pillow cannot read: develop instead
        return None
    return image


def _large_enough(preview: tuple[int, int], sensor: tuple[int, int], min_side: int | None) -> bool:
    """Whether the preview serves: its shorter side reaches ``min_side``, or half the sensor's."""
    if min_side is not None:
        return min(preview) >= min_side
    return 2 * max(preview) >= max(sensor)


def _develop(raw: rawpy.RawPy) -> Image.Image:
    """Half-size development with the camera's white balance, upright, 8-bit sRGB."""
    rgb = raw.postprocess(half_size=True, use_camera_wb=True, output_bps=8)
    return Image.fromarray(np.ascontiguousarray(rgb))


def _upright(image: Image.Image, flip: int) -> Image.Image:
    transpose = _FLIP_TRANSPOSE.get(flip)
    return image.transpose(transpose) if transpose is not None else image


def _tiff_metadata(path: Path) -> ImageMetadata | None:
    """EXIF from the file's TIFF structure, if it has one (never raises)."""
    try:
        with path.open("rb") as handle:
            return read_exif_block(handle.read(EXIF_SCAN_BYTES))
    except OSError:
        return None
