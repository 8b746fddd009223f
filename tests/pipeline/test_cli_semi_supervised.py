"""Semi-supervised training end to end: tags from the CLI, zero-shot labels from the tiny
CLIP model, and codes for every photo and caption.

The method is ``lpih`` once it is registered; until then a test-only semi-supervised
method (LSH that records what it was given) stands in, so the app side is checked
either way.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

import core.hashing.registry as registry
from core.hashing import list_hashers
from core.hashing.registry import HasherSpec
from desktop_app.cli.main import run
from tests.conftest import TinyClip
from tests.core.indexing.test_trainer_semi_supervised import METHOD, RecordingSemi
from tests.corpus import copy_real_photos
from tests.pipeline.test_cli_pipeline import cli_json, model_args

pytestmark = pytest.mark.pipeline


@pytest.fixture
def method(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if "lpih" in list_hashers():
        yield "lpih"
        return
    spec = HasherSpec(METHOD, f"{RecordingSemi.__module__}:RecordingSemi", "semi-supervised",
                      False, "test")  # fmt: skip
    monkeypatch.setattr(registry, "_SPECS", (*registry._SPECS, spec))
    yield METHOD
    RecordingSemi.seen.clear()


@pytest.fixture
def indexed(tmp_path: Path, tiny_clip: TinyClip) -> tuple[list[str], Path]:
    photos = tmp_path / "photos"
    copy_real_photos(photos)
    lib = ["--library", str(tmp_path / "lib.sqlite")]
    assert run([*lib, "add", str(photos)]) == 0
    assert run([*lib, "index", "--no-progress", *model_args(tiny_clip)]) == 0
    return lib, photos


def codes_per_modality(library: str) -> dict[str, int]:
    conn = sqlite3.connect(library)
    try:
        rows = conn.execute("SELECT modality, COUNT(*) FROM codes GROUP BY modality").fetchall()
    finally:
        conn.close()
    return {str(m): int(n) for m, n in rows}


def train(capsys: pytest.CaptureFixture[str], lib: list[str], method: str) -> str:
    capsys.readouterr()
    assert run([*lib, "train", "--method", method, "--bits", "16", "--no-progress"]) == 0
    return capsys.readouterr().out


def test_some_tagged_photos_teach_the_rest_and_every_item_gets_a_code(
    indexed: tuple[list[str], Path], method: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lib, photos = indexed
    space = [photos / n for n in ("rocket.jpg", "moon.jpg", "hubble_deep_field.jpg")]
    home = [photos / n for n in ("chelsea.jpg", "coffee.jpg")]
    assert run([*lib, "tag", *map(str, space), "--add", "space"]) == 0
    assert run([*lib, "tag", *map(str, home), "--add", "home", "--add", "Home"]) == 0
    out = train(capsys, lib, method)
    assert f"Trained {method} (16 bits, version 1) on 11 photo–caption pairs" in out
    assert "Labels: 2 classes on 5 pairs (5 user)." in out
    assert "6 unlabelled pairs learn from the 5 labelled ones." in out
    status = cli_json(capsys, *lib, "status", "--json")
    assert isinstance(status, dict)
    (hasher,) = status["hashers"]
    details = hasher["details"]
    assert details["labels_by_origin"] == {"user": 5}
    assert details["labelled_rows"] == 5
    assert details["unlabelled_rows"] == 6
    assert details["zero_shot_fallback"] is False
    assert codes_per_modality(lib[1]) == {"image": 11, "text": 11}


def test_a_library_without_labels_trains_on_confident_zero_shot_guesses(
    indexed: tuple[list[str], Path], method: str, capsys: pytest.CaptureFixture[str]
) -> None:
    lib, photos = indexed
    out = train(capsys, lib, method)
    assert "the CLIP model guessed everyday concepts for 11 photos" in out
    status = cli_json(capsys, *lib, "status", "--json")
    assert isinstance(status, dict)
    (hasher,) = status["hashers"]
    details = hasher["details"]
    assert details["zero_shot_fallback"] is True
    labelled = details["labelled_rows"]
    assert 1 <= labelled <= 11 // 4
    assert details["labels_by_origin"] == {"zero-shot": labelled}
    assert details["unlabelled_rows"] == 11 - labelled
    assert codes_per_modality(lib[1]) == {"image": 11, "text": 11}
    listing = cli_json(capsys, *lib, "tag", str(photos), "--json")
    assert isinstance(listing, list)
    assert len(listing) == 11
    for entry in listing:
        guesses = [g for g in entry["labels"] if g["origin"] == "zero-shot"]
        assert 1 <= len(guesses) <= 3
        assert all(0.0 < g["confidence"] <= 1.0 for g in guesses)
    # tagging a photo turns the fallback off: guesses stay listed but are not used
    assert run([*lib, "tag", str(photos / "moon.jpg"), "--add", "night"]) == 0
    train(capsys, lib, method)
    status = cli_json(capsys, *lib, "status", "--json")
    assert isinstance(status, dict)
    (active,) = [h for h in status["hashers"] if h["is_active"]]
    details = active["details"]
    assert details["labels_by_origin"] == {"user": 1}
    assert details["zero_shot_fallback"] is False
