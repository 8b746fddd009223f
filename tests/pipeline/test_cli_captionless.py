"""End to end: a library whose photos have no captions at all trains and searches by codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop_app.cli.main import run
from tests.conftest import TinyClip
from tests.corpus import copy_real_photos
from tests.pipeline.test_cli_pipeline import model_args

pytestmark = pytest.mark.pipeline


@pytest.fixture
def captionless(tmp_path: Path, tiny_clip: TinyClip) -> Path:
    folder = tmp_path / "camera"
    copy_real_photos(folder)
    for sidecar in folder.glob("*.txt"):
        sidecar.unlink()
    library = tmp_path / "lib.sqlite"
    lib = ["--library", str(library)]
    assert run([*lib, "add", str(folder)]) == 0
    assert run([*lib, "index", "--no-progress", *model_args(tiny_clip)]) == 0
    return library


@pytest.mark.parametrize("method", ["cca-itq", "auto"])
def test_train_works_without_a_single_caption_and_says_it_used_pseudo_pairs(
    captionless: Path, capsys: pytest.CaptureFixture[str], method: str
) -> None:
    lib = ["--library", str(captionless)]
    capsys.readouterr()
    assert run([*lib, "train", "--method", method, "--bits", "16", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "pseudo-pairs (no photo has a caption" in out
    assert run([*lib, "search", "a cat", "--k", "3", "--json", "--mode", "hamming"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert len(hits) == 3
    assert all(h["kind"] == "photo" and h["distance"] is not None for h in hits)


def test_status_says_the_hasher_learned_from_pseudo_pairs(
    captionless: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = ["--library", str(captionless)]
    assert run([*lib, "train", "--method", "lsh", "--bits", "16", "--no-progress"]) == 0
    capsys.readouterr()
    assert run([*lib, "status"]) == 0
    assert "pseudo-pairs (no photo has a caption" in capsys.readouterr().out
