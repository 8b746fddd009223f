"""``hashlens hashers`` lists the trained hashing models; ``train --activate`` switches."""

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
def library(tmp_path: Path, tiny_clip: TinyClip) -> Path:
    folder = tmp_path / "photos"
    copy_real_photos(folder)
    library = tmp_path / "lib.sqlite"
    lib = ["--library", str(library)]
    assert run([*lib, "add", str(folder)]) == 0
    assert run([*lib, "index", "--no-progress", *model_args(tiny_clip)]) == 0
    return library


def _hashers(lib: list[str], capsys: pytest.CaptureFixture[str]) -> list[dict[str, object]]:
    capsys.readouterr()
    assert run([*lib, "hashers", "--json"]) == 0
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return rows


def _distances(lib: list[str], capsys: pytest.CaptureFixture[str]) -> list[tuple[str, int]]:
    capsys.readouterr()
    assert run([*lib, "search", "a red flower", "--k", "8", "--mode", "hamming", "--json"]) == 0
    return [(h["path"], h["distance"]) for h in json.loads(capsys.readouterr().out)]


def _train(lib: list[str], method: str, *extra: str) -> int:
    return run([*lib, "train", "--method", method, "--bits", "16", "--no-progress", *extra])


def test_activate_switches_search_back_to_an_earlier_hasher_without_training(
    library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = ["--library", str(library)]
    assert _train(lib, "lsh") == 0
    by_lsh = _distances(lib, capsys)
    assert _train(lib, "cca-itq") == 0
    by_cca = _distances(lib, capsys)
    assert by_cca != by_lsh  # the two hashers rank differently, so the check below can fail
    before = {r["method"]: r for r in _hashers(lib, capsys)}
    assert before["cca-itq"]["active"]
    assert not before["lsh"]["active"]

    capsys.readouterr()
    assert _train(lib, "lsh", "--activate") == 0
    assert "Search now uses lsh (16 bits, version 1" in capsys.readouterr().out
    after = {r["method"]: r for r in _hashers(lib, capsys)}
    assert after["lsh"]["active"]
    assert not after["cca-itq"]["active"]
    # nothing was refitted: same version and training time, both hashers kept
    for key in ("version", "trained_at", "id"):
        assert after["lsh"][key] == before["lsh"][key]
    assert _distances(lib, capsys) == by_lsh


def test_hashers_lists_each_method_and_length_and_marks_the_active_one(
    library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = ["--library", str(library)]
    assert _train(lib, "lsh") == 0
    assert run([*lib, "train", "--method", "lsh", "--bits", "32", "--no-progress"]) == 0
    capsys.readouterr()
    assert run([*lib, "hashers"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("* lsh")
    assert "32 bits" in lines[0]
    assert lines[1].startswith("  lsh")
    assert "16 bits" in lines[1]
    assert "pairs" in lines[0]
    assert "unsupervised" in lines[0]
    assert lines[-1].startswith("Switch with: hashlens train --activate")
    rows = _hashers(lib, capsys)
    assert [(r["bits"], r["active"]) for r in rows] == [(32, True), (16, False)]
    assert all(isinstance(r["rows"], int) and r["rows"] > 0 for r in rows)


def test_a_library_without_hashers_says_how_to_train(
    library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert run(["--library", str(library), "hashers"]) == 0
    assert "run `hashlens train`" in capsys.readouterr().out
    assert _hashers(["--library", str(library)], capsys) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--method", "auto", "--bits", "16"], "Name the hashing model to switch to"),
        (["--method", "cmfh", "--bits", "16"], "No cmfh model with 16-bit codes"),
        (["--method", "lsh", "--bits", "64"], "No lsh model with 64-bit codes"),
    ],
)
def test_activate_refuses_what_was_never_trained_and_changes_nothing(
    library: Path, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    lib = ["--library", str(library)]
    assert _train(lib, "lsh") == 0
    before = _hashers(lib, capsys)
    assert run([*lib, "train", *argv, "--activate", "--no-progress"]) != 0
    err = capsys.readouterr().err
    assert message in err
    assert "auto" in argv or "hashlens hashers" in err
    assert _hashers(lib, capsys) == before


def test_activate_codes_photos_indexed_after_the_hasher_was_trained(
    library: Path, tmp_path: Path, tiny_clip: TinyClip, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = ["--library", str(library)]
    assert _train(lib, "lsh") == 0
    assert _train(lib, "cca-itq") == 0
    more = tmp_path / "more"
    copy_real_photos(more)
    assert run([*lib, "index", "--no-progress", str(more), *model_args(tiny_clip)]) == 0
    capsys.readouterr()
    assert _train(lib, "lsh", "--activate") == 0
    out = capsys.readouterr().out
    assert "Coded " in out
    assert "indexed since it was trained" in out
    capsys.readouterr()
    assert run([*lib, "search", "a red flower", "--k", "200", "--mode", "hamming", "--json"]) == 0
    paths = {h["path"] for h in json.loads(capsys.readouterr().out) if h["kind"] == "photo"}
    assert any(p.startswith(str(more)) for p in paths)
