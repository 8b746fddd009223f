"""The camera filter: cameras stored at indexing, read once for older libraries, matched
case-insensitively as part of the make and model."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.search.filters import PhotoFilter, matching_photos
from core.store.database import Store
from tests.core.library.conftest import Harness

CAMERAS = {
    "a.jpg": ("Canon", "Canon EOS 5D"),
    "b.jpg": ("Canon", "Canon EOS R5"),
    "c.jpg": ("Apple", "iPhone 12"),
    "d.jpg": None,
    "e.jpg": ("Odd_Maker", "100% Cam"),
}


def make_photos(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i, (name, camera) in enumerate(CAMERAS.items()):
        exif = Image.Exif()
        if camera is not None:
            exif[0x010F], exif[0x0110] = camera
        pixels = np.full((40, 60, 3), 40 * i + 20, dtype=np.uint8)
        Image.fromarray(pixels).save(folder / name, "JPEG", exif=exif)


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Harness]:
    harness = Harness(tmp_path)
    make_photos(tmp_path / "photos")
    harness.add(tmp_path / "photos")
    harness.index()
    yield harness
    harness.store.close()


def _names(store: Store, photo_filter: PhotoFilter) -> set[str]:
    ids = matching_photos(store, photo_filter).tolist()
    return {Path(p).name for p in store.media.paths_of(ids).values()}


def test_indexing_stores_each_photos_camera(library: Harness) -> None:
    rows = library.store.db.execute("SELECT path, camera FROM media").fetchall()
    assert {Path(p).name: c for p, c in rows} == {
        "a.jpg": "Canon EOS 5D", "b.jpg": "Canon EOS R5", "c.jpg": "Apple iPhone 12",
        "d.jpg": "", "e.jpg": "Odd_Maker 100% Cam",
    }  # fmt: skip
    assert library.store.media.cameras() == [
        "Apple iPhone 12", "Canon EOS 5D", "Canon EOS R5", "Odd_Maker 100% Cam",
    ]  # fmt: skip


def test_the_camera_is_matched_without_case_as_part_of_the_name(library: Harness) -> None:
    store = library.store
    assert _names(store, PhotoFilter(camera="canon")) == {"a.jpg", "b.jpg"}
    assert _names(store, PhotoFilter(camera="EOS 5d")) == {"a.jpg"}
    assert _names(store, PhotoFilter(camera=" iphone ")) == {"c.jpg"}
    assert _names(store, PhotoFilter(camera="100%")) == {"e.jpg"}  # % and _ are literal
    assert _names(store, PhotoFilter(camera="r_maker")) == set()
    assert _names(store, PhotoFilter(camera="nikon")) == set()
    assert _names(store, PhotoFilter(camera="canon", tags=("nothing",))) == set()
    assert PhotoFilter(camera="  ").is_empty
    assert not PhotoFilter(camera="canon").is_empty
    assert "camera named like “nikon”" in PhotoFilter(camera="nikon").describe()
    assert PhotoFilter(camera="canon").with_tags(("x",)).camera == "canon"


def test_an_older_library_opens_and_reads_cameras_once_without_re_encoding(
    library: Harness, tmp_path: Path
) -> None:
    path = tmp_path / "library.sqlite"
    library.store.close()
    with Store.open(path) as store:  # back to the schema before cameras were stored
        store.db.execute("ALTER TABLE media DROP COLUMN camera")
        store.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm004_camera'")
        store.db.conn.commit()
    library.store = Store.open(path)
    nulls = library.store.db.execute("SELECT COUNT(*) FROM media WHERE camera IS NULL")
    assert nulls.fetchone()[0] == len(CAMERAS)  # opened: the column came back, unread
    encoded = library.encoder.images_encoded

    library.index()

    assert library.encoder.images_encoded == encoded  # no photo decoded or encoded again
    assert _names(library.store, PhotoFilter(camera="canon")) == {"a.jpg", "b.jpg"}
    left = library.store.db.execute("SELECT COUNT(*) FROM media WHERE camera IS NULL")
    assert left.fetchone()[0] == 0  # d.jpg names none: '' so it is not read every run


def test_an_exact_copy_gets_the_camera_of_its_twin(library: Harness, tmp_path: Path) -> None:
    (tmp_path / "photos" / "copy.jpg").write_bytes((tmp_path / "photos" / "c.jpg").read_bytes())
    library.index()
    assert _names(library.store, PhotoFilter(camera="iphone")) == {"c.jpg", "copy.jpg"}
