"""A hostile or messy folder: links in and out, duplicates, odd files, unsupported kinds.

Every file that looks like a photo and is not indexed has a reason on record (shown by
``hashlens status`` and the window's skipped dialog: ``tests/desktop_app/
test_skip_reasons_shown.py``); nothing outside the library folders is read through a link.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from PIL import Image

from core.media.image_io import open_image
from tests.core.library.conftest import Harness

SECRET = "root:x:0:0:root:/root:/bin/bash"

pytestmark = pytest.mark.skipif(os.name == "nt", reason="needs POSIX symlinks and FIFOs")


def _photo(path: Path, color: str = "red") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 30), color).save(path)
    return path


def _problems(harness: Harness) -> dict[str, str]:
    return dict(harness.store.media.problems())


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder that is not in the library, holding private files."""
    folder = tmp_path / "private"
    folder.mkdir()
    (folder / "passwd").write_text(SECRET + "\n", encoding="utf-8")
    (folder / "captions.csv").write_text(f"file,caption\na.jpg,{SECRET}\n", encoding="utf-8")
    (folder / "notes.xmp").write_bytes(
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/'
        b'02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"'
        b' dc:description="' + SECRET.encode() + b'"/></rdf:RDF></x:xmpmeta>'
    )
    _photo(folder / "holiday.jpg", "blue")
    _photo(folder / "album" / "x.jpg", "green")
    return folder


def _all_captions(harness: Harness) -> list[str]:
    rows = harness.store.db.execute("SELECT text FROM captions").fetchall()
    return [str(r[0]) for r in rows]


def test_links_leading_outside_the_library_are_refused_with_a_reason(
    harness: Harness, tmp_path: Path, outside: Path
) -> None:
    photos = tmp_path / "photos"
    _photo(photos / "a.jpg")
    _photo(photos / "b.jpg")
    (photos / "a.txt").symlink_to(outside / "passwd")  # a caption sidecar
    (photos / "b.xmp").symlink_to(outside / "notes.xmp")  # an XMP sidecar
    (photos / "captions.csv").symlink_to(outside / "captions.csv")
    (photos / "stolen.jpg").symlink_to(outside / "holiday.jpg")  # a photo
    (photos / "albums").symlink_to(outside / "album", target_is_directory=True)  # a folder
    harness.add(photos)

    report = harness.index()

    assert report.added == 2
    assert SECRET not in " ".join(_all_captions(harness))
    assert harness.store.media.media_by_path(str(photos / "stolen.jpg")) is None
    assert harness.store.media.media_by_path(str(photos / "albums" / "x.jpg")) is None
    problems = _problems(harness)
    for name in ("a.txt", "b.xmp", "stolen.jpg", "albums"):
        assert "outside the library folders" in problems[str(photos / name)], name
    assert any("captions.csv: skipped" in m and "outside" in m for m in problems.values())


def test_a_link_to_another_library_folder_is_allowed(
    harness: Harness, tmp_path: Path, outside: Path
) -> None:
    photos = tmp_path / "photos"
    _photo(photos / "a.jpg")
    (photos / "a.txt").symlink_to(outside / "passwd")
    harness.add(photos)
    harness.add(outside)  # now the "private" folder is part of the library

    harness.index()

    record = harness.store.media.media_by_path(str(photos / "a.jpg"))
    assert record is not None
    assert SECRET in [t for _, t, _ in harness.store.media.captions_of(record.id)]


def test_a_file_reached_twice_is_indexed_once_and_the_other_path_says_why(
    harness: Harness, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    real = _photo(photos / "real.jpg")
    (photos / "alias.jpg").symlink_to(real)
    os.link(_photo(photos / "hard.jpg", "green"), photos / "hard-copy.jpg")
    (photos / "again").symlink_to(photos, target_is_directory=True)  # a loop
    harness.add(photos)

    report = harness.index()

    stored = sorted(Path(p).name for p in harness.store.media.media_in_folder(1))
    assert stored == ["hard-copy.jpg", "real.jpg"]
    assert report.encoded_images == 2
    problems = _problems(harness)
    assert "the same file as" in problems[str(photos / "alias.jpg")]
    assert str(real) in problems[str(photos / "alias.jpg")]
    assert "hard link" in problems[str(photos / "hard.jpg")]
    assert "already scanned" in problems[str(photos / "again")]


def test_broken_links_pipes_and_broken_raw_and_video_files_are_reported_not_ignored(
    harness: Harness, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    _photo(photos / "ok.jpg")
    (photos / "gone.jpg").symlink_to(photos / "deleted-long-ago.jpg")
    os.mkfifo(photos / "pipe.jpg")
    for name in ("IMG_1.CR2", "IMG_2.nef", "DSC_3.dng"):
        (photos / name).write_bytes(b"II*\x00raw")
    for name in ("clip.mp4", "MVI_4.MOV"):
        (photos / name).write_bytes(b"\x00\x00\x00\x18ftypmp42")
    harness.add(photos)

    harness.index()

    problems = _problems(harness)
    assert "broken link" in problems[str(photos / "gone.jpg")]
    assert "not a regular file" in problems[str(photos / "pipe.jpg")]
    # RAW photos and videos are indexed now: these fakes are skipped as corrupt, by name
    errors = dict(harness.store.media.errors())
    for name in ("IMG_1.CR2", "IMG_2.nef", "DSC_3.dng", "clip.mp4", "MVI_4.MOV"):
        assert errors[str(photos / name)] == f"{name} is truncated or its image data is corrupt."
    assert harness.store.media.unsupported() == {}


def test_an_mpo_photo_is_indexed_from_its_first_frame(harness: Harness, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    left = Image.new("RGB", (64, 48), (250, 0, 0))
    right = Image.new("RGB", (64, 48), (0, 0, 250))
    left.save(photos / "stereo.mpo", "MPO", save_all=True, append_images=[right])
    harness.add(photos)

    report = harness.index()

    assert report.encoded_images == 1
    record = harness.store.media.media_by_path(str(photos / "stereo.mpo"))
    assert record is not None
    assert record.status == "ready"
    red, _, blue = open_image(photos / "stereo.mpo", max_pixels=10**6).image.getpixel((5, 5))
    assert (red > 200, blue < 50) == (True, True)  # the first (left) frame, not the second


def test_a_file_system_that_repeats_inode_numbers_loses_no_photo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Some network and FUSE file systems give unrelated files one inode number."""
    import core.library.indexing.scanner as scanner_module
    from core.config import IndexingConfig
    from core.library.indexing.file_walk import DirListing, FileIdentity, WalkResult
    from core.store.records import FolderRecord

    folder = tmp_path / "share"
    a, b = _photo(folder / "a.jpg", "red"), _photo(folder / "b.jpg", "blue")
    same = FileIdentity((7, 42), is_link=False, links=1)
    listing = DirListing(str(folder), images=["a.jpg", "b.jpg"])
    for path in (a, b):
        listing.files[path.name] = (path.stat().st_size, path.stat().st_mtime_ns)
        listing.identity[path.name] = same
    walked = WalkResult(root_exists=True, root=str(folder), dirs=[listing])
    monkeypatch.setattr(scanner_module, "walk", lambda root, allowed=None: walked)

    plan = scanner_module.Scanner(IndexingConfig()).plan(
        [FolderRecord(1, str(folder), True, False, "")], {}
    )

    assert sorted(Path(n.path).name for n in plan.new) == ["a.jpg", "b.jpg"]
    assert plan.skipped == []
