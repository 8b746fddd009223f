"""A small corpus of real photos and awkward files for pipeline and indexing tests.

The photos are the real pictures shipped inside the scikit-image wheel (``skimage/data``),
captioned with the first docstring line of their ``skimage.data`` loader. Everything is
written fresh into a caller's folder (usually ``tmp_path``); encoded bytes are cached per
process, so building the whole corpus takes a fraction of a second.

Usage::

    from tests.corpus import copy_real_photos, make_bad_files, make_format_variants
"""

from __future__ import annotations

import functools
import io
import os
import random
import shutil
import struct
import zlib
from importlib.resources import files
from pathlib import Path

import pillow_heif
from PIL import Image, features

#: scikit-image data file -> first docstring line of its ``skimage.data`` loader.
REAL_PHOTO_CAPTIONS: dict[str, str] = {
    "astronaut.png": "Color image of the astronaut Eileen Collins.",
    "chelsea.png": "Chelsea the cat.",
    "coffee.png": "Coffee cup.",
    "rocket.jpg": "Launch photo of DSCOVR on Falcon 9 by SpaceX.",
    "motorcycle_left.png": "Rectified stereo image pair with ground-truth disparities.",
    "hubble_deep_field.jpg": "Hubble eXtreme Deep Field.",
    "ihc.png": "Immunohistochemical (IHC) staining with hematoxylin counterstaining.",
    "retina.jpg": "Human retina.",
    "coins.png": "Greek coins from Pompeii.",
    "moon.png": "Surface of the moon.",
    "brick.png": "Brick wall.",
}

#: scikit-image data file -> name of the ``skimage.data`` loader it comes from.
REAL_PHOTO_LOADERS: dict[str, str] = {
    "astronaut.png": "astronaut",
    "chelsea.png": "chelsea",
    "coffee.png": "coffee",
    "rocket.jpg": "rocket",
    "motorcycle_left.png": "stereo_motorcycle",
    "hubble_deep_field.jpg": "hubble_deep_field",
    "ihc.png": "immunohistochemistry",
    "retina.jpg": "retina",
    "coins.png": "coins",
    "moon.png": "moon",
    "brick.png": "brick",
}

JPEG_QUALITY = 90
HUGE_PNG_SIDE = 20_000
LONG_NAME_CHARS = 240
_BASE_PHOTO = "coffee.png"


def skimage_data_dir() -> Path:
    """Return the ``skimage/data`` folder of the installed scikit-image."""
    return Path(str(files("skimage") / "data"))


def copy_real_photos(dest: Path, *, as_jpeg: bool = True) -> list[Path]:
    """Write the real photos into ``dest``, each with a ``<stem>.txt`` caption sidecar.

    Args:
        dest: Target folder, created if needed.
        as_jpeg: Re-encode every photo as ``<stem>.jpg`` (quality 90, original mode: RGB or
            grayscale); otherwise copy the original files byte for byte.

    Returns:
        The photo paths, sorted.
    """
    dest.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name, caption in REAL_PHOTO_CAPTIONS.items():
        stem = Path(name).stem
        if as_jpeg:
            target = dest / f"{stem}.jpg"
            target.write_bytes(_jpeg_bytes(name))
        else:
            target = dest / name
            shutil.copyfile(skimage_data_dir() / name, target)
        (dest / f"{stem}.txt").write_text(caption + "\n", encoding="utf-8")
        paths.append(target)
    return sorted(paths)


def make_format_variants(src: Path, dest: Path) -> list[Path]:
    """Re-encode one real JPEG in every format the app should read.

    Writes ``<stem>.heic``, ``.webp``, ``.avif`` (skipped if this Pillow lacks AVIF),
    ``.png``, ``.tiff``, ``.bmp``, ``.gif`` and ``<stem>_exif_rotated.jpg``: pixels stored
    rotated 90° counter-clockwise with EXIF orientation 6, so it displays upright.

    Args:
        src: A JPEG file, e.g. one returned by ``copy_real_photos``.
        dest: Target folder, created if needed.

    Returns:
        The written paths, in the order above.
    """
    dest.mkdir(parents=True, exist_ok=True)
    with Image.open(src) as opened:
        image = opened.convert("RGB")
    stem = src.stem
    paths = [dest / f"{stem}.heic"]
    pillow_heif.from_pillow(image).save(str(paths[0]), quality=80)
    savers: list[tuple[str, str, dict[str, object]]] = [
        ("webp", "WEBP", {"quality": 80, "method": 0}),
        ("avif", "AVIF", {"quality": 60, "speed": 10}),
        ("png", "PNG", {"compress_level": 1}),
        ("tiff", "TIFF", {}),
        ("bmp", "BMP", {}),
    ]
    for suffix, fmt, options in savers:
        if fmt == "AVIF" and not features.check("avif"):
            continue
        paths.append(dest / f"{stem}.{suffix}")
        image.save(paths[-1], format=fmt, **options)
    paths.append(dest / f"{stem}.gif")
    image.quantize(256, method=Image.Quantize.FASTOCTREE).save(paths[-1], format="GIF")
    paths.append(_write_exif_rotated(image, dest / f"{stem}_exif_rotated.jpg"))
    return paths


def _write_exif_rotated(upright: Image.Image, target: Path) -> Path:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display.
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    stored.save(target, format="JPEG", quality=JPEG_QUALITY, exif=exif)
    return target


def make_bad_files(dest: Path) -> dict[str, Path]:
    """Write files an indexer must skip or survive, keyed by what is wrong with them.

    Keys: ``"empty"`` (zero-byte .jpg), ``"text_as_jpg"``, ``"truncated"`` (a real JPEG cut
    in half), ``"huge"`` (a ~50 KB 1-bit PNG whose header says 20000x20000, above Pillow's
    decompression-bomb limit), ``"bad_name"`` (a valid JPEG whose name is not UTF-8; left out
    where the filesystem refuses such names), ``"long_name"`` (a valid JPEG with a
    240-character name; left out if refused) and ``"corrupt_middle"`` (a JPEG with 1 KiB of
    garbage written over its middle, same size as the original).

    Args:
        dest: Target folder, created if needed.

    Returns:
        Path per key; ``bad_name`` is a ``Path`` holding surrogate escapes (``os.fsdecode``).
    """
    dest.mkdir(parents=True, exist_ok=True)
    jpeg = _jpeg_bytes(_BASE_PHOTO)
    middle = len(jpeg) // 2
    garbage = random.Random(1234).randbytes(1024)
    contents = {
        "empty": ("empty.jpg", b""),
        "text_as_jpg": ("text_as.jpg", b"This is a text file, not a JPEG.\n"),
        "truncated": ("truncated.jpg", jpeg[:middle]),
        "huge": ("huge.png", _huge_png_bytes()),
        "corrupt_middle": ("corrupt_middle.jpg", jpeg[:middle] + garbage + jpeg[middle + 1024 :]),
    }
    paths = {key: dest / name for key, (name, _) in contents.items()}
    for key, (_, data) in contents.items():
        paths[key].write_bytes(data)
    long_name = "long_" + "x" * (LONG_NAME_CHARS - len("long_.jpg")) + ".jpg"
    optional = {
        "long_name": os.fsencode(dest / long_name),
        "bad_name": os.fsencode(dest) + b"/bad_name_\xff\xfe.jpg",
    }
    for key, raw_path in optional.items():
        if _try_write(raw_path, jpeg):
            paths[key] = Path(os.fsdecode(raw_path))
    return paths


def _try_write(raw_path: bytes, data: bytes) -> bool:
    """Write to a bytes path; ``False`` if the OS or filesystem refuses the name."""
    if os.name == "nt" and b"\xff" in raw_path:
        return False
    try:
        with open(raw_path, "wb") as stream:
            stream.write(data)
    except (OSError, UnicodeError):
        return False
    return True


@functools.cache
def _jpeg_bytes(name: str) -> bytes:
    """One skimage photo encoded as JPEG (quality 90, RGB or grayscale as shipped)."""
    with Image.open(skimage_data_dir() / name) as opened:
        image = opened if opened.mode in ("RGB", "L") else opened.convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="JPEG", quality=JPEG_QUALITY)
    return buffer.getvalue()


@functools.cache
def _huge_png_bytes(side: int = HUGE_PNG_SIDE) -> bytes:
    """A valid all-black 1-bit grayscale PNG of ``side`` x ``side``; ~50 KB for 20000."""
    row = bytes(1 + (side + 7) // 8)  # filter byte 0 + packed bits
    rows_per_chunk = 1000
    compressor = zlib.compressobj(9)
    chunks = [
        compressor.compress(row * min(rows_per_chunk, side - start))
        for start in range(0, side, rows_per_chunk)
    ]
    idat = b"".join(chunks) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit grayscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
