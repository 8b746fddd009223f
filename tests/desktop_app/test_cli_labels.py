"""``hashlens tag`` and ``hashlens add --album-labels`` on a library indexed with a fake model."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from core.store.database import Store
from desktop_app.cli.main import run
from tests.core.library.conftest import Harness
from tests.core.library.training.test_trainer import make_labelled_photos


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    """Red, green and blue albums of 6 photos each; every caption carries a #hashtag."""
    folder = tmp_path / "albums"
    make_labelled_photos(folder)
    harness = Harness(tmp_path)
    harness.add(folder)
    harness.index()
    harness.store.close()
    return folder


@pytest.fixture
def lib(tmp_path: Path) -> list[str]:
    return ["--library", str(tmp_path / "library.sqlite")]


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = run(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def labels_json(capsys: pytest.CaptureFixture[str], lib: list[str], *paths: Path) -> list[dict]:
    code, out, _ = cli(capsys, *lib, "tag", *map(str, paths), "--json")
    assert code == 0
    payload = json.loads(out)
    assert isinstance(payload, list)
    return payload


def origins(entry: dict) -> list[tuple[str, str]]:
    return [(label["name"], label["origin"]) for label in entry["labels"]]


def test_tags_are_added_to_a_photo_and_to_every_photo_of_a_folder(
    photos: Path, lib: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    red0 = photos / "red" / "red0.png"
    code, out, _ = cli(capsys, *lib, "tag", str(red0), "--add", "Favourite", "--add", " sunset ")
    assert code == 0
    assert "Added your tag 'Favourite' to 1 of 1 photo." in out
    code, out, _ = cli(capsys, *lib, "tag", str(photos / "red"), "--add", "favourite")
    assert code == 0
    assert "to 5 of 6 photos (1 had it already)" in out
    (first,) = labels_json(capsys, lib, red0)
    assert first["path"] == str(red0)
    assert origins(first) == [("Favourite", "user"), ("red", "hashtag"), ("sunset", "user")]
    assert all(label["confidence"] == 1.0 for label in first["labels"])
    everything = labels_json(capsys, lib, photos.parent)  # a folder above the library's
    assert len(everything) == 18
    tagged = [e["path"] for e in everything if ("Favourite", "user") in origins(e)]
    assert sorted(tagged) == sorted(str(p) for p in (photos / "red").glob("*.png"))


def test_listing_shows_origin_and_the_confidence_of_guesses(
    photos: Path, lib: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blue1 = photos / "blue" / "blue1.png"
    with Store.open(tmp_path / "library.sqlite") as store:
        record = store.media.media_by_path(str(blue1))
        assert record is not None
        with store.atomic():
            store.labels.set_labels(record.id, ["sky"], "zero-shot", 0.625)
    code, out, _ = cli(capsys, *lib, "tag", str(blue1))
    assert code == 0
    assert out.splitlines() == [str(blue1), "  blue  hashtag", "  sky  zero-shot 0.62"]


def test_removing_only_takes_off_the_users_own_tags(
    photos: Path, lib: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    green = photos / "green"
    assert cli(capsys, *lib, "tag", str(green), "--add", "park")[0] == 0
    code, out, _ = cli(capsys, *lib, "tag", str(green), "--remove", "PARK", "--remove", "green")
    assert code == 0
    assert "Removed your tag 'PARK' from 6 of 6 photos." in out
    assert "None of the 6 photos has your tag 'green'." in out
    assert "'green' stays as a label from hashtag" in out
    entries = labels_json(capsys, lib, green)
    assert {tuple(origins(e)) for e in entries} == {(("green", "hashtag"),)}
    code, out, _ = cli(capsys, *lib, "tag", str(green), "--remove", "never-there")
    assert code == 0
    assert "None of the 6 photos has your tag 'never-there'." in out
    assert "stays" not in out


def test_paths_outside_the_library_are_named_and_the_rest_is_still_tagged(
    photos: Path, lib: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    red2 = photos / "red" / "red2.png"
    code, out, err = cli(
        capsys, *lib, "tag", str(tmp_path / "nope.jpg"), str(red2), str(empty), "--add", "x"
    )
    assert code == 1
    assert "nope.jpg is not a photo or folder of the library" in err
    assert f"{empty} is not a photo or folder of the library" in err
    assert "Added your tag 'x' to 1 of 1 photo." in out
    assert ("x", "user") in origins(labels_json(capsys, lib, red2)[0])
    code, out, err = cli(capsys, *lib, "tag", str(empty))
    assert code == 1
    assert out == ""


@pytest.mark.parametrize(
    ("names", "message"),
    [
        (["--add", "  "], "cannot be empty"),
        (["--add", "two\nlines"], "line break or a control character"),
        (["--add", "sea", "--remove", "SEA"], "cannot be added and removed at once"),
    ],
)
def test_bad_tag_names_are_refused_and_change_nothing(
    photos: Path,
    lib: list[str],
    capsys: pytest.CaptureFixture[str],
    names: list[str],
    message: str,
) -> None:
    red3 = photos / "red" / "red3.png"
    code, _, err = cli(capsys, *lib, "tag", str(red3), *names)
    assert code == 1
    assert message in err
    assert origins(labels_json(capsys, lib, red3)[0]) == [("red", "hashtag")]


def test_relative_and_odd_file_names_find_their_photo(
    photos: Path,
    lib: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    odd = os.fsdecode(bytes(photos / "blue") + b"/caf\xe9.png")
    os.rename(photos / "blue" / "blue5.png", odd)
    harness = Harness(tmp_path)
    harness.index()
    harness.store.close()
    monkeypatch.chdir(photos / "blue")
    code, out, _ = cli(capsys, *lib, "tag", os.path.basename(odd), "--add", "café")
    assert code == 0
    assert "Added your tag 'café' to 1 of 1 photo." in out
    code, out, _ = cli(capsys, *lib, "tag", os.path.basename(odd))
    assert code == 0
    assert out.splitlines()[0].endswith("caf\\xe9.png")
    assert "  café  user" in out.splitlines()


def album_folders(lib: list[str]) -> list[str]:
    with Store.open(Path(lib[1])) as store:
        return [f.path for f in store.media.folders() if f.is_album_source]


def test_album_labels_are_opted_in_and_out_per_library_folder(
    photos: Path, lib: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    red0 = photos / "red" / "red0.png"
    code, out, _ = cli(capsys, *lib, "add", str(photos), "--album-labels")
    assert code == 0
    assert "count as labels (albums)" in out
    assert album_folders(lib) == [str(photos)]
    assert origins(labels_json(capsys, lib, red0)[0]) == [("red", "album"), ("red", "hashtag")]
    code, _, err = cli(capsys, *lib, "add", str(photos / "red"), "--no-album-labels")
    assert code == 1
    assert f"hashlens add {photos} --no-album-labels" in err
    assert cli(capsys, *lib, "add", str(photos), "--no-album-labels")[0] == 0
    assert album_folders(lib) == []
    assert origins(labels_json(capsys, lib, red0)[0]) == [("red", "hashtag")]
