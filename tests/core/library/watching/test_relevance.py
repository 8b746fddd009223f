"""Which changed paths can matter to the library."""

from __future__ import annotations

import pytest

from core.library.watching.relevance import PathFilter

ROOT = "/home/ann/Pictures"
LIBRARY = "/home/ann/Pictures/library.sqlite"
CACHE = "/home/ann/Pictures/.cache-not-hidden-name"


@pytest.fixture
def path_filter() -> PathFilter:
    return PathFilter(ROOT, ignored=(LIBRARY, "/home/ann/Pictures/hashlens-cache"))


@pytest.mark.parametrize(
    "relative",
    ["IMG_1.jpg", "trip/IMG_2.HEIC", "trip/IMG_2.txt", "IMG_1.jpg.XMP", "trip/captions.csv",
     "Captions.JSONL", "DCIM/IMG_3.CR2", "trip/MVI_4.MOV", "clip.mp4"],
)  # fmt: skip
def test_photos_and_caption_files_matter(path_filter: PathFilter, relative: str) -> None:
    assert path_filter.is_relevant(f"{ROOT}/{relative}", is_directory=False)


@pytest.mark.parametrize(
    "relative",
    [
        "IMG_1.jpg.part", "IMG_1.jpg.crdownload", "IMG_1.tmp", "notes.docx", ".IMG_1.jpg",
        ".thumbnails/IMG_1.jpg", "trip/@eaDir/IMG_1.jpg", "$RECYCLE.BIN/x.jpg",
        "library.sqlite", "library.sqlite-wal", "library.sqlite.lock", "hashlens-cache/t/1.png",
    ],
)  # fmt: skip
def test_temporaries_hidden_system_and_own_files_do_not(
    path_filter: PathFilter, relative: str
) -> None:
    assert not path_filter.is_relevant(f"{ROOT}/{relative}", is_directory=False)


def test_folders_matter_unless_hidden_or_system(path_filter: PathFilter) -> None:
    assert path_filter.is_relevant(f"{ROOT}/trip", is_directory=True)
    assert not path_filter.is_relevant(f"{ROOT}/.git", is_directory=True)
    assert not path_filter.is_relevant(f"{ROOT}/trip/@eaDir", is_directory=True)


def test_paths_outside_the_root_and_the_root_itself_do_not(path_filter: PathFilter) -> None:
    assert not path_filter.is_relevant("/home/ann/Other/IMG_1.jpg", is_directory=False)
    assert not path_filter.is_relevant("/home/ann/Pictures2/IMG_1.jpg", is_directory=False)
    assert not path_filter.is_relevant(ROOT, is_directory=True)


def test_a_name_that_merely_starts_like_the_library_still_matters(
    path_filter: PathFilter,
) -> None:
    assert path_filter.is_relevant(f"{ROOT}/library.sqlite_photo.jpg", is_directory=False)
