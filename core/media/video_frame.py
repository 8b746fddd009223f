"""One representative frame of a video (PyAV, FFmpeg bundled), to index the video by.

The frame is the one at :data:`POSITION` of the duration (10 %: past a black or fading
intro, still in the opening scene). The demuxer seeks to the keyframe at or before that
point and decodes forward to it, so the work is bounded by one group of pictures, never
by the length of the file; :data:`MAX_FRAMES` and a time limit bound it further, for a
file whose keyframes are far apart or whose reads stall (an unplugged network share).

Metadata: the capture date is the container's ``creation_time`` (written in UTC by
cameras and phones; kept as written, without a zone, like an EXIF date), the camera the
make and model that phones write (QuickTime and Android keys). Rotation recorded by a
phone (the display matrix) is applied, so a portrait video gives a portrait frame.
"""

from __future__ import annotations

import math
import os
import time
from pathlib import Path

import av
import av.container
import av.error
import av.video.stream
from PIL import Image

from core.errors import UnsupportedImageError
from core.media.decoded import DecodedImage, check_pixels, corrupt, failure, shrink
from core.media.metadata import ImageMetadata, camera_name

POSITION = 0.10
"""Where in the video the indexed frame is taken, as a fraction of its duration."""
MAX_FRAMES = 600
"""Frames decoded at most after the seek (20 s at 30 fps); past it the latest frame is used."""
TIME_LIMIT_S = 30.0
"""Seconds one video may take to open and decode before it is skipped."""

_ROTATE = {
    90: Image.Transpose.ROTATE_90,
    180: Image.Transpose.ROTATE_180,
    -180: Image.Transpose.ROTATE_180,
    -90: Image.Transpose.ROTATE_270,
    270: Image.Transpose.ROTATE_270,
}
_MAKE_KEYS = ("com.apple.quicktime.make", "com.android.manufacturer", "make")
_MODEL_KEYS = ("com.apple.quicktime.model", "com.android.model", "model")
_DATE_KEYS = ("com.apple.quicktime.creationdate", "creation_time", "date")


def open_video_frame(
    path: Path,
    *,
    max_pixels: int,
    min_side: int | None,
    time_limit_s: float | None = None,
    max_frames: int = MAX_FRAMES,
) -> DecodedImage:
    """Decode the frame at :data:`POSITION` of a video.

    Args:
        path: The video file.
        max_pixels: Refuse a video whose frames have more pixels than this.
        min_side: Box-reduce the frame while its shorter side stays at least this long.
        time_limit_s: Give up (skip the video) when opening it and reaching a frame takes
            longer than this (default :data:`TIME_LIMIT_S`); reads that stall are
            interrupted at the same limit.
        max_frames: Decode at most this many frames after the seek; the latest is used.

    Returns:
        The frame, upright, with the video's display size and metadata.

    Raises:
        UnsupportedImageError: No video stream, truncated or corrupt, too large, too slow.
    """
    if time_limit_s is None:
        time_limit_s = TIME_LIMIT_S
    deadline = time.monotonic() + time_limit_s
    try:
        if time_limit_s <= 0:
            raise _TooSlowError("no time to open the file")
        with av.open(os.fspath(path), timeout=time_limit_s) as container:
            frame = _representative_frame(container, path, max_pixels, deadline, max_frames)
            metadata = _metadata(container.metadata)
    except _TooSlowError as exc:
        raise _too_slow(path, time_limit_s, exc) from exc
    except (av.error.FFmpegError, EOFError, ValueError) as exc:
        if isinstance(exc, OSError):
            raise  # missing, no permission, a disk error: the caller words it, tried later
        if time.monotonic() >= deadline:  # FFmpeg interrupted a read at the time limit
            raise _too_slow(path, time_limit_s, exc) from exc
        raise corrupt(path, exc) from exc
    picture = _upright(frame.to_image(), frame.rotation)  # type: ignore[no-untyped-call]
    width, height = picture.size
    return DecodedImage(shrink(picture.convert("RGB"), min_side), width, height, metadata)


def _representative_frame(
    container: av.container.InputContainer,
    path: Path,
    max_pixels: int,
    deadline: float,
    max_frames: int,
) -> av.VideoFrame:
    if not container.streams.video:
        raise failure(path, "has no video picture (sound only?).")
    stream = container.streams.video[0]
    check_pixels(path, stream.codec_context.width, stream.codec_context.height, max_pixels)
    target = POSITION * _duration_s(container, stream)
    if target > 0 and stream.time_base is not None:
        container.seek(int(target / stream.time_base), stream=stream, backward=True)
    frame = _decode_to(container, stream, target, deadline, max_frames)
    if frame is None and target > 0:  # a seek past the real end (a wrong duration): restart
        container.seek(0, stream=stream, backward=True)
        frame = _decode_to(container, stream, 0.0, deadline, max_frames)
    if frame is None:
        raise failure(path, "has no frame that could be decoded.")
    return frame


def _decode_to(
    container: av.container.InputContainer,
    stream: av.video.stream.VideoStream,
    target: float,
    deadline: float,
    max_frames: int,
) -> av.VideoFrame | None:
    """Decode forward to the first frame at or after ``target`` seconds (bounded)."""
    latest: av.VideoFrame | None = None
    for count, frame in enumerate(container.decode(stream), start=1):
        latest = frame
        if frame.time is None or frame.time >= target - 1e-3 or count >= max_frames:
            break
        if time.monotonic() >= deadline:
            raise _TooSlowError(f"{count} frames decoded")
    return latest


def _duration_s(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream
) -> float:
    if stream.duration is not None and stream.time_base is not None:
        seconds = float(stream.duration * stream.time_base)
    elif container.duration is not None:
        seconds = container.duration / av.time_base
    else:
        return 0.0
    return seconds if math.isfinite(seconds) and seconds > 0 else 0.0


def _upright(image: Image.Image, rotation: int) -> Image.Image:
    transpose = _ROTATE.get(round(rotation / 90.0) * 90)
    return image.transpose(transpose) if transpose is not None else image


def _metadata(tags: dict[str, str]) -> ImageMetadata:
    lowered = {key.lower(): value for key, value in tags.items()}
    date = next((lowered[k] for k in _DATE_KEYS if lowered.get(k)), None)
    make = next((lowered[k] for k in _MAKE_KEYS if lowered.get(k)), None)
    model = next((lowered[k] for k in _MODEL_KEYS if lowered.get(k)), None)
    return ImageMetadata(taken_at=_iso_date(date), camera=camera_name(make, model))


def _iso_date(value: str | None) -> str | None:
    """``2021-06-05T10:11:12.000000Z`` -> ``2021-06-05T10:11:12``; a zero date is no date."""
    if not value or len(value) < 19 or value.startswith("1970-01-01") or value[0] == "0":
        return None
    text = value[:19].replace(" ", "T")
    return text if text[4] == "-" and text[10] == "T" and text[:4].isdigit() else None


class _TooSlowError(Exception):
    """The time limit passed between two frames (worded by the caller with the file name)."""


def _too_slow(path: Path, seconds: float, cause: BaseException) -> UnsupportedImageError:
    return failure(
        path, f"took longer than {seconds:g} seconds to decode a frame; it was skipped.", cause
    )
