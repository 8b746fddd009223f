"""Photos for the image_io and metadata tests: skimage's real photos and a large JPEG."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import skimage.data
from PIL import Image

SKIMAGE_DATA_DIR = Path(os.path.dirname(skimage.data.__file__))


def skimage_photo(name: str) -> Path:
    """A real photo shipped with scikit-image (no download needed)."""
    path = SKIMAGE_DATA_DIR / name
    if not path.is_file():
        pytest.skip(f"scikit-image does not ship {name}")
    return path


def photo_like(width: int, height: int, seed: int = 0) -> Image.Image:
    """A photo-like RGB image: a real photo scaled up, with sensor-like noise."""
    with Image.open(skimage_photo("chelsea.png")) as cat:
        base = cat.convert("RGB").resize((width, height), Image.Resampling.BICUBIC)
    rng = np.random.default_rng(seed)
    noise = rng.normal(0.0, 6.0, size=(height, width, 3))
    pixels = np.clip(np.asarray(base, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels)


@pytest.fixture(scope="session")
def skimage_dir() -> Path:
    """The folder of real sample photos that scikit-image installs."""
    return SKIMAGE_DATA_DIR


@pytest.fixture(scope="session")
def large_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 4000x3000 photo-like JPEG (about 12 megapixels, a phone camera's size)."""
    path = tmp_path_factory.mktemp("large") / "large.jpg"
    photo_like(4000, 3000).save(path, "JPEG", quality=90)
    return path


@pytest.fixture(scope="session")
def real_jpeg(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """scikit-image's chelsea.png (a real photo, 451x300) saved as a JPEG."""
    path = tmp_path_factory.mktemp("real") / "chelsea.jpg"
    with Image.open(skimage_photo("chelsea.png")) as cat:
        cat.convert("RGB").save(path, "JPEG", quality=92)
    return path
