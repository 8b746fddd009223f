"""Decode one photo for indexing: pixel cap, fast JPEG draft, EXIF orientation, RGB.

:func:`open_image` is called from a pool of decode threads. It keeps no state between
calls; the only module-level state is the one-time registration of the HEIF and AVIF
openers. Every failure becomes :class:`~core.errors.UnsupportedImageError` with a
message that names the file, so one bad photo never stops an indexing run.

Pillow's own decompression-bomb guard (``Image.MAX_IMAGE_PIXELS``) is process-wide and
reports its first level through the ``warnings`` machinery, which cannot be silenced
per thread. :func:`open_image` therefore identifies the format with Pillow's opener
registry itself and applies its own ``max_pixels`` limit to the header size, before
any pixel is decoded.
"""

from __future__ import annotations

import os
import struct
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np
import pillow_heif
from PIL import ExifTags, Image, ImageFile, features

from core.errors import UnsupportedImageError
from core.media.decoded import DecodedImage, check_pixels, corrupt, failure, shrink, unreadable
from core.media.media_kinds import INDEXED_EXTENSIONS, media_kind
from core.media.metadata import read_embedded_metadata

__all__ = ["SUPPORTED_EXTENSIONS", "DecodedImage", "open_image", "register_openers"]

SUPPORTED_EXTENSIONS: frozenset[str] = INDEXED_EXTENSIONS
"""Every extension :func:`open_image` reads: photos, RAW photos and videos."""

_ORIENTATION_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_SWAPS_SIDES = frozenset({5, 6, 7, 8})
# What Image.open treats as "this plugin does not recognise the file".
_NOT_THIS_FORMAT = (SyntaxError, IndexError, TypeError, struct.error)

_registration_lock = threading.Lock()
_registered = False


def register_openers() -> None:
    """Teach Pillow to open HEIF/HEIC and AVIF files; safe to call any number of times."""
    global _registered
    with _registration_lock:
        if _registered:
            return
        Image.init()
        pillow_heif.register_heif_opener()
        if features.check("avif"):
            from PIL import AvifImagePlugin  # noqa: F401 - importing registers the plugin
        elif hasattr(pillow_heif, "register_avif_opener"):
            pillow_heif.register_avif_opener()
        _registered = True


def open_image(path: Path, *, max_pixels: int, min_side: int | None = 224) -> DecodedImage:
    """Decode a photo to RGB, refusing files that are not usable images.

    A RAW photo is developed by LibRaw (``core.media.raw_decode``) and a video gives one
    representative frame (``core.media.video_frame``); the file's extension decides.

    Args:
        path: The file to read.
        max_pixels: Refuse images with more pixels than this, judged from the header
            before any pixel is decoded.
        min_side: Decode only as much resolution as needed to keep the shorter side at
            least this long (JPEG decodes at 1/2, 1/4 or 1/8 scale; other formats are
            box-reduced after decoding). ``None`` keeps the full resolution.

    Returns:
        The decoded image with its full-resolution size and embedded metadata.

    Raises:
        ImageUnreadableError: The file could not be read just now: missing (moved or
            deleted), permission denied, or a disk error. Trying later may succeed.
        UnsupportedImageError: The file is empty, not an image, truncated or corrupt,
            or larger than ``max_pixels``: trying again is pointless until it changes.
        ValueError: ``max_pixels`` or ``min_side`` is not positive.
    """
    if max_pixels < 1 or (min_side is not None and min_side < 1):
        raise ValueError("max_pixels and min_side must be positive")
    register_openers()
    try:
        with path.open("rb") as handle:
            if os.fstat(handle.fileno()).st_size == 0:
                raise failure(path, "is empty (0 bytes).")
            kind = media_kind(path)
            if kind == "raw":  # LibRaw and FFmpeg load on first use: searches rarely need them
                from core.media.raw_decode import open_raw

                return open_raw(path, max_pixels=max_pixels, min_side=min_side)
            if kind == "video":
                from core.media.video_frame import open_video_frame

                return open_video_frame(path, max_pixels=max_pixels, min_side=min_side)
            return _decode(handle, path, max_pixels, min_side)
    except FileNotFoundError as exc:
        raise unreadable(path, "was moved or deleted before it could be read.", exc) from exc
    except IsADirectoryError as exc:
        raise failure(path, "is a folder, not an image.", exc) from exc
    except PermissionError as exc:
        raise unreadable(path, "cannot be read: permission denied.", exc) from exc
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise unreadable(path, f"could not be read ({reason}).", exc) from exc


def _decode(handle: IO[bytes], path: Path, max_pixels: int, min_side: int | None) -> DecodedImage:
    """Identify, check and decode an open file; OS-level read errors propagate as OSError."""
    image = _identify(handle, path)
    try:
        width, height = image.size
        check_pixels(path, width, height, max_pixels)
        try:
            return _decode_pixels(image, width, height, min_side)
        except Exception as exc:  # Pillow's decoders raise many types on bad data
            if _is_disk_error(exc):
                raise
            raise _data_error(path, exc) from exc
    finally:
        image.close()


def _identify(handle: IO[bytes], path: Path) -> ImageFile.ImageFile:
    """Find the plugin that accepts the file, as ``Image.open`` does, minus its bomb check."""
    prefix = handle.read(16)
    rejection: Exception | None = None  # from a plugin whose signature check matched
    # Plugins that check a signature go first; the few that take anything (TGA, IPTC...) last.
    for format_id in sorted(Image.ID, key=lambda name: Image.OPEN[name][1] is None):
        factory, accept = Image.OPEN[format_id]
        verdict = accept(prefix) if accept else True
        if not verdict or isinstance(verdict, str):
            continue
        handle.seek(0)
        try:
            return _construct(factory, handle, path)
        except _NOT_THIS_FORMAT as exc:
            if accept is not None and rejection is None:
                rejection = exc
    if rejection is not None:
        raise corrupt(path, rejection) from rejection
    raise failure(path, "is not an image format HashLens can read.")


def _construct(
    factory: Callable[[IO[bytes], str | bytes], ImageFile.ImageFile],
    handle: IO[bytes],
    path: Path,
) -> ImageFile.ImageFile:
    """Run one plugin's opener; "not this format" errors propagate for the caller to judge."""
    try:
        return factory(handle, os.fsdecode(path))
    except _NOT_THIS_FORMAT:
        raise
    except Exception as exc:  # e.g. RuntimeError from the AVIF and HEIF decoders
        if _is_disk_error(exc):
            raise
        raise _data_error(path, exc) from exc


def _decode_pixels(
    image: ImageFile.ImageFile, width: int, height: int, min_side: int | None
) -> DecodedImage:
    if min_side is not None:
        # JPEG: DCT scaling (1/2, 1/4, 1/8); HEIF: an embedded thumbnail; others: no-op.
        image.draft("RGB", (min_side, min_side))
    image.load()
    metadata = read_embedded_metadata(image)
    orientation = _orientation(image)
    rgb = shrink(_to_rgb(image), min_side)
    if orientation in _ORIENTATION_TRANSPOSE:
        rgb = rgb.transpose(_ORIENTATION_TRANSPOSE[orientation])
    if orientation in _SWAPS_SIDES:
        width, height = height, width
    return DecodedImage(rgb, width, height, metadata)


def _orientation(image: Image.Image) -> int:
    """The EXIF orientation still to apply (TIFF and HEIF apply it while loading)."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation, 1)
    except Exception:  # a broken EXIF block only means no rotation
        return 1
    return value if isinstance(value, int) else 1


def _to_rgb(image: Image.Image) -> Image.Image:
    """Convert any mode to RGB; transparency is composited on white."""
    if image.mode.startswith("I;16"):
        image = Image.fromarray((np.asarray(image) >> 8).astype(np.uint8))
    elif image.mode in ("I", "F"):
        image = _scale_to_8bit(image)
    if image.has_transparency_data:
        rgba = image.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return image.convert("RGB")


def _scale_to_8bit(image: Image.Image) -> Image.Image:
    """Map 32-bit integer or float grey levels to 0-255 (16-bit data, or floats in 0-1)."""
    values = np.asarray(image, dtype=np.float32)
    peak = float(values.max()) if values.size else 0.0
    if image.mode == "F" and peak <= 1.0:
        values = values * 255.0
    elif peak > 255.0:
        values = values / 257.0
    return Image.fromarray(np.clip(values, 0.0, 255.0).astype(np.uint8))


def _is_disk_error(exc: Exception) -> bool:
    """True when the disk or file system failed; Pillow's own OSErrors carry no errno."""
    return isinstance(exc, OSError) and exc.errno is not None


def _data_error(path: Path, exc: Exception) -> UnsupportedImageError:
    """Word an error raised while parsing or decoding the file's bytes."""
    if isinstance(exc, Image.DecompressionBombError):
        return failure(path, "is too large to decode safely.", exc)
    return corrupt(path, exc)
