"""Real RAW (DNG) and video files for tests, written from scratch.

The DNG is a real Bayer mosaic (RGGB, 12-bit) with the tags LibRaw needs to develop it
(a colour matrix that maps XYZ to linear sRGB, so a colour survives development), the
EXIF date and camera in IFD0, and optionally an 8-bit RGB preview in IFD0 with the mosaic
in a SubIFD, as cameras and Adobe's converter lay them out. The video is encoded with
PyAV (MPEG-4 Part 2 in MP4): one solid colour per frame, so a test can tell which frame
a decoder picked.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import av
import numpy as np
import tifffile

RGB = tuple[int, int, int]

_XYZ_TO_SRGB = (
    (3.2406, -1.5372, -0.4986),
    (-0.9689, 1.8758, 0.0415),
    (0.0557, -0.2040, 1.0570),
)
_COLOR_MATRIX = tuple(v for row in _XYZ_TO_SRGB for x in row for v in (round(x * 10000), 10000))


def write_dng(
    path: Path,
    colour: RGB | np.ndarray,
    *,
    size: tuple[int, int] = (96, 64),
    preview: np.ndarray | None = None,
    camera: tuple[str, str] = ("Canon", "Canon EOS 5D"),
    taken: str = "2021:06:05 10:11:12",
    orientation: int = 1,
) -> Path:
    """A DNG whose sensor saw one ``colour`` everywhere (or a picture: H x W x 3 uint8, its
    size then ``size``); ``preview`` (H x W x 3, uint8) is embedded as the camera's preview."""
    width, height = size
    scene = np.empty((height, width, 3), np.uint8)
    scene[:] = colour
    linear = np.round((scene / 255.0) ** 2.2 * 4095).astype(np.uint16)
    mosaic = linear[..., 1].copy()  # green where the pattern has no red or blue
    mosaic[0::2, 0::2] = linear[0::2, 0::2, 0]
    mosaic[1::2, 1::2] = linear[1::2, 1::2, 2]
    main = [
        (50706, "B", 4, (1, 4, 0, 0), True),  # DNGVersion
        (50708, "s", 0, "HashLens Test", True),  # UniqueCameraModel
        (50721, "2i", 9, _COLOR_MATRIX, True),  # ColorMatrix1
        (50778, "H", 1, (21,), True),  # CalibrationIlluminant1: D65
        (50728, "2I", 3, (1, 1, 1, 1, 1, 1), True),  # AsShotNeutral
        (271, "s", 0, camera[0], True),
        (272, "s", 0, camera[1], True),
        (306, "s", 0, taken, True),
        (274, "H", 1, (orientation,), True),  # EXIF orientation: LibRaw's flip
    ]
    sensor = [
        (33421, "H", 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, "B", 4, (0, 1, 1, 2), True),  # CFAPattern: RGGB
        (50717, "I", 1, (4095,), True),  # WhiteLevel
        (50714, "I", 1, (0,), True),  # BlackLevel
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    plain: dict[str, Any] = {"metadata": None}  # no tifffile JSON in ImageDescription
    with tifffile.TiffWriter(path) as tiff:
        if preview is None:
            tiff.write(mosaic, photometric=32803, subfiletype=0, extratags=main + sensor, **plain)
        else:
            tiff.write(
                preview, photometric="rgb", subfiletype=1, subifds=1, extratags=main, **plain
            )
            tiff.write(mosaic, photometric=32803, subfiletype=0, extratags=sensor, **plain)
    return path


def write_video(
    path: Path,
    colours: Sequence[RGB | np.ndarray],
    *,
    fps: int = 10,
    gop: int = 5,
    size: tuple[int, int] = (64, 48),
    creation_time: str = "2022-03-04T05:06:07.000000Z",
) -> Path:
    """A video with one frame per colour or picture (H x W x 3 uint8, of ``size``), ``fps``
    frames a second, a keyframe every ``gop``."""
    width, height = size
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w") as container:
        # no scene-change keyframes: each frame's new colour would make every frame one
        stream = container.add_stream("mpeg4", rate=fps, options={"sc_threshold": "1000000000"})
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.gop_size = gop
        container.metadata["creation_time"] = creation_time
        for index, colour in enumerate(colours):
            pixels = np.empty((height, width, 3), np.uint8)
            pixels[:] = colour
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = index
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return path


def distinct_colours(n: int, *, black_intro: int = 1) -> list[RGB]:
    """``n`` frame colours, far apart from each other, after ``black_intro`` black frames."""
    colours: list[RGB] = [(0, 0, 0)] * black_intro
    for i in range(n - black_intro):
        colours.append(((40 + 97 * i) % 256, (200 - 61 * i) % 256, (90 + 151 * i) % 256))
    return colours


def truncate(path: Path, keep: float = 0.5) -> Path:
    """Cut the file to ``keep`` of its length, as an interrupted copy leaves it."""
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    return path


def turn_quarter_clockwise(path: Path) -> Path:
    """Mark an MP4 as shot in portrait, as phones do: the track header's display matrix
    says to turn the picture 90 degrees clockwise (the pixels stay as they are)."""
    data = bytearray(path.read_bytes())
    matrix = data.index(b"tkhd") + 44  # type, version and flags, times, id, volume...: 44 bytes
    data[matrix : matrix + 36] = struct.pack(">9i", 0, 0x10000, 0, -0x10000, 0, 0, 0, 0, 1 << 30)
    path.write_bytes(bytes(data))
    return path
