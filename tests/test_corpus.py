"""The real-photo corpus produces the files it promises, quickly."""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pillow_heif
import pytest
import skimage.data
from PIL import Image, ImageOps, UnidentifiedImageError, features

from tests.corpus import (
    HUGE_PNG_SIDE,
    REAL_PHOTO_CAPTIONS,
    REAL_PHOTO_LOADERS,
    copy_real_photos,
    make_bad_files,
    make_format_variants,
    skimage_data_dir,
)


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    left = np.asarray(a.convert("RGB"), dtype=np.float32)
    right = np.asarray(b.convert("RGB"), dtype=np.float32)
    return float(np.abs(left - right).mean())


def test_captions_are_the_first_docstring_lines_of_the_skimage_loaders():
    assert set(REAL_PHOTO_LOADERS) == set(REAL_PHOTO_CAPTIONS)
    for file_name, loader in REAL_PHOTO_LOADERS.items():
        doc = getattr(skimage.data, loader).__doc__ or ""
        assert REAL_PHOTO_CAPTIONS[file_name] == doc.strip().splitlines()[0]
        assert (skimage_data_dir() / file_name).is_file()


def test_copy_real_photos_writes_jpegs_with_caption_sidecars(tmp_path: Path):
    paths = copy_real_photos(tmp_path)
    assert paths == sorted(paths)
    assert 8 <= len(paths) <= 12
    for path, (name, caption) in zip(paths, sorted(REAL_PHOTO_CAPTIONS.items()), strict=True):
        assert path.name == Path(name).stem + ".jpg"
        assert path.with_suffix(".txt").read_text(encoding="utf-8").strip() == caption
        with Image.open(path) as image, Image.open(skimage_data_dir() / name) as original:
            assert image.format == "JPEG"
            assert image.size == original.size
            assert image.size[0] >= 256
            assert image.size[1] >= 256


def test_copy_real_photos_can_copy_the_original_files(tmp_path: Path):
    paths = copy_real_photos(tmp_path, as_jpeg=False)
    assert sorted(p.name for p in paths) == sorted(REAL_PHOTO_CAPTIONS)
    for path in paths:
        assert path.read_bytes() == (skimage_data_dir() / path.name).read_bytes()
        assert path.with_suffix(".txt").read_text(encoding="utf-8").strip()


def test_make_format_variants_writes_every_format_with_the_same_picture(tmp_path: Path):
    pillow_heif.register_heif_opener()
    src = next(p for p in copy_real_photos(tmp_path / "src") if p.stem == "coffee")
    paths = make_format_variants(src, tmp_path / "variants")
    expected = {".heic", ".webp", ".png", ".tiff", ".bmp", ".gif", ".jpg"}
    if features.check("avif"):
        expected.add(".avif")
    assert {p.suffix for p in paths} == expected
    with Image.open(src) as original:
        original.load()
        for path in paths:
            assert path.stat().st_size > 0
            with Image.open(path) as image:
                upright = ImageOps.exif_transpose(image)
                assert upright.size == original.size
                assert mean_abs_diff(upright, original) < 12, path.name


def test_exif_rotated_variant_stores_rotated_pixels_with_orientation_6(tmp_path: Path):
    src = copy_real_photos(tmp_path / "src")[0]
    rotated = next(p for p in make_format_variants(src, tmp_path) if p.stem.endswith("rotated"))
    with Image.open(rotated) as image, Image.open(src) as original:
        assert image.getexif()[0x0112] == 6
        assert image.size == (original.size[1], original.size[0])


def test_make_bad_files_writes_each_kind_of_bad_file(tmp_path: Path):
    bad = make_bad_files(tmp_path)
    assert bad["empty"].stat().st_size == 0
    with pytest.raises(UnidentifiedImageError):
        Image.open(bad["text_as_jpg"])
    with pytest.raises(OSError, match="truncated"), Image.open(bad["truncated"]) as image:
        image.load()
    intact_size = bad["corrupt_middle"].stat().st_size
    assert bad["truncated"].stat().st_size == intact_size // 2
    with Image.open(bad["corrupt_middle"]) as image:
        assert image.format == "JPEG"
    for key in ("bad_name", "long_name"):
        if key in bad:
            with Image.open(bad[key]) as image:
                image.load()
    if "long_name" in bad:
        assert len(bad["long_name"].name) == 240


def test_bad_name_is_not_valid_utf8(tmp_path: Path):
    bad = make_bad_files(tmp_path)
    if "bad_name" not in bad:
        pytest.skip("this filesystem refuses non-UTF-8 names")
    raw = os.fsencode(bad["bad_name"])
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    assert os.path.exists(raw)


def test_huge_png_claims_20000_pixels_but_stays_small(tmp_path: Path):
    path = make_bad_files(tmp_path)["huge"]
    data = path.read_bytes()
    assert len(data) < 200_000
    width, height, bit_depth, color_type = struct.unpack(">IIBB", data[16:26])
    assert (width, height, bit_depth, color_type) == (HUGE_PNG_SIDE, HUGE_PNG_SIDE, 1, 0)
    idat_length = struct.unpack(">I", data[33:37])[0]
    assert data[37:41] == b"IDAT"
    raw_size = len(zlib.decompress(data[41 : 41 + idat_length]))
    assert raw_size == HUGE_PNG_SIDE * (1 + HUGE_PNG_SIDE // 8)
    with pytest.raises(Image.DecompressionBombError):
        Image.open(path)
