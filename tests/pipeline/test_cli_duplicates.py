"""``hashlens duplicates``: exact copies and near-duplicates of real photos, read-only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from PIL import Image

from core.store.database import Store
from desktop_app.cli.main import run
from tests.conftest import TinyClip
from tests.corpus import copy_real_photos
from tests.pipeline.test_cli_pipeline import model_args

pytestmark = pytest.mark.pipeline
# The tiny test model has random weights: every pair of these photos scores a cosine of
# 0.97-0.998, so the default 0.95 would group them all. A resized, re-encoded copy still
# scores 0.9999+, so the tests ask for 0.9995: they check the pipeline, not the default.
MIN_COSINE = ("--min-cosine", "0.9995")


def make_duplicates(folder: Path) -> dict[str, Path]:
    """Real photos plus a byte copy of one and a smaller, re-encoded copy of another."""
    photos = copy_real_photos(folder)
    original, edited = photos[0], photos[1]
    exact = folder / f"{original.stem} copy.jpg"
    shutil.copyfile(original, exact)
    near = folder / f"{edited.stem} small.jpg"
    with Image.open(edited) as image:
        small = image.resize((image.width * 3 // 4, image.height * 3 // 4))
        small.save(near, quality=60)
    return {"original": original, "exact": exact, "edited": edited, "near": near}


@pytest.fixture
def library(tmp_path: Path, tiny_clip: TinyClip) -> tuple[Path, dict[str, Path]]:
    folder = tmp_path / "photos"
    files = make_duplicates(folder)
    library = tmp_path / "lib.sqlite"
    lib = ["--library", str(library)]
    assert run([*lib, "add", str(folder)]) == 0
    assert run([*lib, "index", "--no-progress", *model_args(tiny_clip)]) == 0
    return library, files


def _groups(lib: list[str], capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, object]:
    capsys.readouterr()
    assert run([*lib, "duplicates", "--json", *extra]) == 0
    report: dict[str, object] = json.loads(capsys.readouterr().out)
    return report


def _kinds_and_names(report: dict[str, object]) -> list[tuple[str, list[str]]]:
    groups = report["groups"]
    assert isinstance(groups, list)
    return [(g["kind"], [Path(m["path"]).name for m in g["members"]]) for g in groups]


def test_duplicates_lists_exact_and_near_copies_largest_first_and_deletes_nothing(
    library: tuple[Path, dict[str, Path]], capsys: pytest.CaptureFixture[str]
) -> None:
    path, files = library
    lib = ["--library", str(path)]
    before = sorted(p.name for p in files["original"].parent.iterdir())
    expected = [
        ("exact", [files["original"].name, files["exact"].name]),  # same size: shorter name
        ("near", [files["edited"].name, files["near"].name]),  # the larger one first
    ]
    report = _groups(lib, capsys, *MIN_COSINE)
    assert report["method"] == "cosine"  # no hasher trained yet
    assert _kinds_and_names(report) == expected
    assert run([*lib, "train", "--method", "lsh", "--bits", "64", "--no-progress"]) == 0
    report = _groups(lib, capsys, *MIN_COSINE)
    assert report["method"] == "codes"
    assert report["hasher"] == "lsh (64 bits)"
    assert _kinds_and_names(report) == expected
    with Store.open(path) as store, store.atomic():  # as after a Cancel: no code yet
        store.db.execute(
            "DELETE FROM codes WHERE modality = 'image' AND item_id ="
            " (SELECT id FROM media WHERE path LIKE ?)",
            [f"%/{files['near'].name}"],
        )
    assert _kinds_and_names(_groups(lib, capsys, *MIN_COSINE)) == expected  # coded here
    tight = _groups(lib, capsys, "--min-cosine", "1.0")
    assert [kind for kind, _ in _kinds_and_names(tight)] == ["exact"]
    capsys.readouterr()
    assert run([*lib, "duplicates", *MIN_COSINE]) == 0
    text = capsys.readouterr().out
    assert "1. exact copies · 2 photos" in text
    assert "2. near-duplicates · 2 photos" in text
    assert "Nothing was changed or deleted" in text
    # two different photos shot 3 s apart: a burst only with --bursts (looser cosine 0.90)
    with Store.open(path) as store, store.atomic():
        for name, at in (("moon.jpg", "10:00:00"), ("coins.jpg", "10:00:03")):
            store.db.execute(
                "UPDATE media SET taken_at = ? WHERE path LIKE ?", [f"2024-05-01T{at}", f"%/{name}"]
            )
    assert _kinds_and_names(_groups(lib, capsys, *MIN_COSINE)) == expected
    bursts = _kinds_and_names(_groups(lib, capsys, *MIN_COSINE, "--bursts"))
    assert bursts == [*expected, ("burst", ["moon.jpg", "coins.jpg"])]  # more pixels first
    assert sorted(p.name for p in files["original"].parent.iterdir()) == before


def test_duplicates_says_when_there_are_none_and_when_nothing_is_indexed(
    tmp_path: Path, tiny_clip: TinyClip, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "photos"
    copy_real_photos(folder)
    lib = ["--library", str(tmp_path / "lib.sqlite")]
    assert run([*lib, "add", str(folder)]) == 0
    capsys.readouterr()
    assert run([*lib, "duplicates"]) == 1
    assert "no indexed photos yet" in capsys.readouterr().err
    assert run([*lib, "index", "--no-progress", *model_args(tiny_clip)]) == 0
    capsys.readouterr()
    assert run([*lib, "duplicates", *MIN_COSINE]) == 0
    assert "No duplicates among 11 photos." in capsys.readouterr().out
    assert run([*lib, "duplicates", "--min-cosine", "1.5"]) == 1
    assert "--min-cosine must be" in capsys.readouterr().err
    assert run([*lib, "duplicates", "--radius", "-1"]) == 1
    assert "--radius must be" in capsys.readouterr().err
