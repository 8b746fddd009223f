"""``hashlens search`` filters: --after/--before/--folder/--tag and ``#tags`` in the query."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.store.database import Store
from desktop_app.cli.main import run


def _search(capsys: pytest.CaptureFixture[str], library: Path, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(["--library", str(library), "search", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _paths(capsys: pytest.CaptureFixture[str], library: Path, *argv: str) -> list[str]:
    code, out, err = _search(capsys, library, *argv, "--json")
    assert code == 0, err
    return [hit["path"] for hit in json.loads(out)]


def _set_dates(library: Path, days: dict[str, str]) -> None:
    """Give photos (by file name) an EXIF-like date taken."""
    with Store.open(library) as store, store.atomic():
        for name, day in days.items():
            store.db.execute(
                "UPDATE media SET taken_at = ? WHERE path LIKE ?", [f"{day}T12:00:00", f"%/{name}"]
            )


@pytest.fixture
def tagged(indexed_library: Path, photos: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    for name in ("chelsea.jpg", "coffee.jpg", "rocket.jpg"):
        assert (
            run(["--library", str(indexed_library), "tag", str(photos / name), "--add", "Tuscany"])
            == 0
        )
    return indexed_library


def test_a_hashtag_alone_lists_the_tagged_photos_and_with_words_ranks_among_them(
    tagged: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chosen = {str((photos / n).resolve()) for n in ("chelsea.jpg", "coffee.jpg", "rocket.jpg")}
    assert set(_paths(capsys, tagged, "#tuscany")) == chosen
    assert set(_paths(capsys, tagged, "--tag", "TUSCANY")) == chosen
    ranked = _paths(capsys, tagged, "a cup of coffee #tuscany", "--k", "10")
    assert set(ranked) == chosen  # ranked among the 3, not the 11
    assert len(_paths(capsys, tagged, "a cup of coffee", "--k", "10")) == 10


def test_date_range_and_folder_filters_combine_with_a_query(
    indexed_library: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _set_dates(indexed_library, {"chelsea.jpg": "2023-06-02", "coffee.jpg": "2024-05-31",
                                 "rocket.jpg": "2024-07-01"})  # fmt: skip
    # the other photos have no date: their file time (today) counts
    coffee = str((photos / "coffee.jpg").resolve())
    rocket = str((photos / "rocket.jpg").resolve())
    assert _paths(
        capsys, indexed_library, "a cat", "--after", "2024-01-01", "--before", "2024-06"
    ) == [coffee]
    assert set(_paths(capsys, indexed_library, "a cat", "--after", "2024", "--before", "2024")) == {
        coffee,
        rocket,
    }
    assert _paths(capsys, indexed_library, "--before", "2024-05-31") == [
        coffee,
        str((photos / "chelsea.jpg").resolve()),
    ]
    inside = _paths(capsys, indexed_library, "a cat", "--folder", str(photos), "--k", "50")
    assert len(inside) == 11
    assert all(p.startswith(str(photos.resolve()) + os.sep) for p in inside)


def test_filters_that_match_nothing_or_make_no_sense_say_so(
    indexed_library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = _search(capsys, indexed_library, "a cat", "--after", "2090-01-01")
    assert code == 1
    assert "No photo is from 2090-01-01." in err
    code, _, err = _search(capsys, indexed_library, "#nosuchtag")
    assert code == 1
    assert "No photo is tagged #nosuchtag." in err
    code, _, err = _search(
        capsys, indexed_library, "a cat", "--after", "2024-06-01", "--before", "2024-01-01"
    )
    assert code == 1
    assert "The date range is reversed: 2024-06-01 is after 2024-01-01." in err
    code, _, err = _search(capsys, indexed_library, "a cat", "--after", "last tuesday")
    assert code == 1
    assert "--after needs a date like 2024-05-31" in err
    code, _, err = _search(
        capsys, indexed_library, "a cat", "--folder", str(tmp_path / "elsewhere")
    )
    assert code == 1
    assert "No photo is in " in err
