"""`hashlens dataset build|convert|info` end to end, offline (packages seeded in the cache)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest
import scipy.io

from core import paths
from desktop_app.cli.main import run
from hashlens_bench import dataset_command, emoji_source
from hashlens_bench.builder import SOURCES
from hashlens_bench.dataset import load_features
from tests.conftest import TinyClip
from tests.hashlens_bench.conftest import Fetch


def _seed_cache(fetch: Fetch) -> None:
    """Put fixture packages where ``npm pack`` results are cached, marked as unpacked."""
    for package in emoji_source.PACKAGES:
        target = paths.cache_dir() / "bench" / "npm" / package.tarball_name.removesuffix(".tgz")
        target.mkdir(parents=True)
        fetch(package).rename(target / "package")
        (target / ".hashlens-unpacked").write_text("fixture", encoding="utf-8")


def test_build_then_info_prints_sizes_and_json(
    emoji_fetch: Fetch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _seed_cache(emoji_fetch)
    out = tmp_path / "emoji-tfidf.npz"

    assert run(["dataset", "build", "emoji", "--text", "tfidf", "--out", str(out), "--no-progress",
                "--query-fraction", "0.25"]) == 0  # fmt: skip
    assert run(["dataset", "info", str(out)]) == 0
    assert run(["dataset", "info", "--json", str(out)]) == 0

    printed = capsys.readouterr().out
    assert f"Wrote {out}" in printed
    assert "emoji-tfidf: 23 items drawn from 8 source items; image 1876-d" in printed
    assert "Split: query 6, database 17, train = database." in printed
    info = json.loads(printed[printed.index("{") :])
    assert info["summary"]["classes"] == 5
    assert info["meta"]["text_features"]["kind"] == "tfidf"


def test_build_with_clip_features_goes_through_the_encoder(
    emoji_fetch: Fetch, tmp_path: Path, tiny_clip: TinyClip
) -> None:
    _seed_cache(emoji_fetch)
    cfg = tiny_clip.encoder_config()
    model = [
        "--model",
        cfg.model,
        "--pretrained",
        cfg.pretrained,
        "--model-config",
        cfg.model_config,
    ]
    out = tmp_path / "clip.npz"

    code = run(["dataset", "build", "emoji", "--text", "clip", "--image", "clip", "--no-progress",
                "--out", str(out), *model, "--device", "cpu"])  # fmt: skip

    assert code == 0
    data = load_features(out)
    assert data.image.shape == (23, 16)
    assert data.text.shape == (23, 16)
    assert data.meta["image_features"]["model_id"] == data.meta["text_features"]["model_id"]


def test_build_without_npm_or_cache_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no npm on the PATH

    assert run(["dataset", "build", "emoji", "--out", str(tmp_path / "x.npz")]) == 1

    assert "npm is needed" in capsys.readouterr().err
    assert not (tmp_path / "x.npz").exists()


def test_convert_writes_an_npz_and_reports_the_layout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = np.random.default_rng(0)
    mat = tmp_path / "wiki.mat"
    scipy.io.savemat(
        mat,
        {"I_tr": rng.random((6, 4)), "T_tr": rng.random((6, 3)), "L_tr": np.arange(6) % 3 + 1,
         "I_te": rng.random((2, 4)), "T_te": rng.random((2, 3)), "L_te": np.array([1, 3])},
    )  # fmt: skip
    out = tmp_path / "wiki.npz"

    assert run(["dataset", "convert", str(mat), str(out)]) == 0

    assert "layout split" in capsys.readouterr().out
    assert load_features(out).labels.shape == (8, 3)


def test_bad_inputs_are_worded_for_a_person(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "junk.mat").write_bytes(b"junk" * 100)

    assert run(["dataset", "info", str(tmp_path / "absent.npz")]) == 1
    assert run(["dataset", "convert", str(tmp_path / "junk.mat"), str(tmp_path / "o.npz")]) == 1
    assert run(["dataset", "build", "emoji", "--query-fraction", "1.5"]) == 1

    err = capsys.readouterr().err
    assert "hashlens: No feature dataset at" in err
    assert "hashlens: junk.mat is not a readable .mat file." in err
    assert "--query-fraction must lie between 0 and 1" in err
    assert "Traceback" not in err
    assert not os.path.exists(tmp_path / "o.npz")


def test_the_cli_offers_exactly_the_sources_the_builder_knows() -> None:
    # The CLI keeps its own copy so that parsing arguments does not import the builder.
    assert dataset_command._SOURCES == SOURCES


def test_without_out_each_label_scheme_gets_its_own_file_and_name(
    emoji_fetch: Fetch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Before session 16 every non-default scheme was written to emoji-multilabel.npz, so
    # building the coarse group variant overwrote the multi-label set.
    _seed_cache(emoji_fetch)
    monkeypatch.chdir(tmp_path)

    for scheme in ("group", "subgroup+tags"):
        assert run(["dataset", "build", "emoji", "--labels", scheme, "--text", "tfidf",
                    "--no-progress", "--query-fraction", "0.25"]) == 0  # fmt: skip

    group = load_features(tmp_path / "emoji-tfidf-group.npz")
    multilabel = load_features(tmp_path / "emoji-tfidf-multilabel.npz")
    assert (group.name, multilabel.name) == ("emoji-tfidf-group", "emoji-tfidf-multilabel")
    assert all(name.startswith("group:") for name in group.label_names)
    assert not any(name.startswith("group:") for name in multilabel.label_names)


def test_name_only_text_gets_its_own_file_name(
    emoji_fetch: Fetch, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed_cache(emoji_fetch)
    monkeypatch.chdir(tmp_path)

    assert run(["dataset", "build", "emoji", "--text", "tfidf", "--text-source", "name",
                "--no-progress", "--query-fraction", "0.25"]) == 0  # fmt: skip

    data = load_features(tmp_path / "emoji-tfidf-nameonly.npz")
    assert data.name == "emoji-tfidf-nameonly"
    assert data.meta["source"]["text_source"] == "name"
