"""The CLI on the ONNX runtime: a search that never imports torch, and torch's rankings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.cli.main import run
from tests.conftest import TinyClip
from tests.corpus import copy_real_photos

pytestmark = pytest.mark.pipeline

ROOT = Path(__file__).resolve().parents[2]
SEARCH_WITHOUT_TORCH = """
import json, sys
from desktop_app.cli.main import run
code = run(sys.argv[1:])
heavy = ("torch", "open_clip", "torchvision", "av", "rawpy")  # av, rawpy: RAW and video decoders
print(json.dumps({"code": code, "loaded": sorted(m for m in heavy if m in sys.modules)}))
"""


@pytest.fixture
def indexed(tmp_path: Path, tiny_clip: TinyClip) -> Path:
    photos = tmp_path / "photos"
    copy_real_photos(photos)
    library = tmp_path / "lib.sqlite"
    model = [
        "--model", tiny_clip.model_name, "--pretrained", str(tiny_clip.weights_path),
        "--model-config", str(tiny_clip.config_path), "--device", "cpu",
    ]  # fmt: skip
    assert run(["--library", str(library), "index", "--no-progress", str(photos), *model]) == 0
    return library


def test_a_text_search_imports_neither_torch_nor_the_raw_and_video_decoders(
    indexed: Path,
) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-c", SEARCH_WITHOUT_TORCH, "--library", str(indexed), "search",
         "Chelsea the cat.", "--json"],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"code": 0, "loaded": []}
    hits = json.loads("\n".join(result.stdout.strip().splitlines()[:-1]))
    assert {Path(hit["path"]).parent.name for hit in hits} == {
        "photos"
    }  # random weights: no meaning
    assert len(hits) == 11


def test_status_says_which_runtime_and_why(
    indexed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert run(["--library", str(indexed), "status", "--json"]) == 0
    runtime = json.loads(capsys.readouterr().out)["encoder_runtime"]
    assert runtime["runtime"] == "onnx"
    assert runtime["precision"] in {
        "int8",
        "fp32",
        "vision int8, text fp32",
        "vision fp32, text int8",
    }
    assert "int8 check" in runtime["reason"]


def test_rankings_match_between_runtimes(
    indexed: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def ranked(query: str) -> list[str]:
        capsys.readouterr()
        assert run(["--library", str(indexed), "search", query, "--k", "11", "--json"]) == 0
        return [hit["path"] for hit in json.loads(capsys.readouterr().out)]

    queries = ["Chelsea the cat.", "Launch photo of a rocket", "a cup of coffee", "moon"]
    monkeypatch.setenv("HASHLENS_ENCODER_PRECISION", "fp32")
    onnx = [ranked(q) for q in queries]
    monkeypatch.setenv("HASHLENS_ENCODER_RUNTIME", "torch")
    torch_ranks = [ranked(q) for q in queries]
    assert onnx == torch_ranks
    assert all(len(r) == 11 for r in onnx)
