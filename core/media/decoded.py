"""What every decoder returns (:class:`DecodedImage`) and how its failures are worded.

Photos (``image_io``), RAW files (``raw_decode``) and video frames (``video_frame``)
share these, so a corrupt RAW or a truncated video reads like a corrupt JPEG: the
file name and one sentence for the user, the exception and full path for the log.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from core.errors import ImageUnreadableError, UnsupportedImageError
from core.media.metadata import ImageMetadata

MAX_NAME_CHARS = 80


@dataclass(frozen=True, slots=True)
class DecodedImage:
    """A photo ready for the encoder.

    Attributes:
        image: RGB pixels, EXIF orientation applied, transparency composited on white;
            possibly scaled down (see ``open_image``'s ``min_side``).
        width: Full-resolution width after orientation, whatever size ``image`` has.
        height: Full-resolution height after orientation.
        metadata: Text and capture date embedded in the file.
    """

    image: Image.Image
    width: int
    height: int
    metadata: ImageMetadata


def check_pixels(path: Path, width: int, height: int, max_pixels: int) -> None:
    """Refuse a picture with no pixels or more than ``max_pixels`` (judged from a header).

    Raises:
        UnsupportedImageError: Empty, or over the limit.
    """
    if width < 1 or height < 1:
        raise failure(path, "has no pixels (its header says it is empty).")
    if width * height > max_pixels:
        message = (
            f"is too large: {width * height / 1e6:.1f} megapixels, "
            f"the limit is {max_pixels / 1e6:.1f} megapixels."
        )
        raise failure(path, message)


def corrupt(path: Path, cause: BaseException) -> UnsupportedImageError:
    """The error for a file whose bytes cannot be decoded."""
    return failure(path, "is truncated or its image data is corrupt.", cause)


def failure(path: Path, problem: str, cause: BaseException | None = None) -> UnsupportedImageError:
    """Build the error for ``path``: the user sees the file name, the log gets the rest."""
    details = printable(str(path))
    if cause is not None:
        details = f"{details}: {type(cause).__name__}: {cause}"
    return UnsupportedImageError(f"{display_name(path)} {problem}", details)


def unreadable(path: Path, problem: str, cause: BaseException) -> ImageUnreadableError:
    """Like :func:`failure`, for a read that may succeed later (moved, permissions, I/O)."""
    error = failure(path, problem, cause)
    return ImageUnreadableError(error.user_message, error.details)


def display_name(path: Path) -> str:
    """The file name as a user can read it: undecodable bytes shown as �, long names cut."""
    name = os.fsencode(path.name).decode("utf-8", errors="replace")
    if len(name) <= MAX_NAME_CHARS:
        return name
    keep = (MAX_NAME_CHARS - 1) // 2
    return f"{name[:keep]}…{name[-keep:]}"


def printable(text: str) -> str:
    """Text safe to log or encode as UTF-8 (undecodable bytes become backslash escapes)."""
    return os.fsencode(text).decode("utf-8", errors="backslashreplace")


def shrink(image: Image.Image, min_side: int | None) -> Image.Image:
    """Box-reduce by an integer factor while the shorter side stays >= ``min_side``."""
    if min_side is None:
        return image
    factor = min(image.size) // min_side
    return image.reduce(factor) if factor >= 2 else image
