"""End to end through the real CLI and a tiny open_clip model loaded from a file.

Random weights cannot rank by meaning; these tests check the plumbing: counts,
JSON fields and types, a photo found by itself, a caption found by its own text,
and what is (not) re-encoded after moves, renames, edits and deletions.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from desktop_app.cli.main import run
from tests.conftest import TinyClip
from tests.corpus import copy_real_photos, make_format_variants
from tests.library_files import make_newer_library

pytestmark = pytest.mark.pipeline


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return tmp_path / "lib.sqlite"


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    copy_real_photos(folder)
    make_format_variants(folder / "rocket.jpg", folder / "variants")
    return folder


def model_args(tiny: TinyClip) -> list[str]:
    return [
        "--model", tiny.model_name, "--pretrained", str(tiny.weights_path),
        "--model-config", str(tiny.config_path),
    ]  # fmt: skip


def cli_json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    capsys.readouterr()
    assert run(list(argv)) == 0
    return json.loads(capsys.readouterr().out)


def vectors_count(library: Path) -> tuple[int, int]:
    conn = sqlite3.connect(library)
    try:
        images = conn.execute("SELECT COUNT(*) FROM image_features").fetchone()[0]
        texts = conn.execute("SELECT COUNT(*) FROM caption_features").fetchone()[0]
    finally:
        conn.close()
    return int(images), int(texts)


@pytest.fixture
def indexed(
    library: Path, photos: Path, tiny_clip: TinyClip, capsys: pytest.CaptureFixture[str]
) -> Path:
    lib = ["--library", str(library)]
    assert run([*lib, "add", str(photos)]) == 0
    assert run([*lib, "index", "--no-progress", *model_args(tiny_clip)]) == 0
    return library


def test_index_reports_every_photo_and_status_json_agrees(
    indexed: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status = cli_json(capsys, "--library", str(indexed), "status", "--json")
    assert isinstance(status, dict)
    n_files = len([p for p in photos.rglob("*") if p.suffix != ".txt" and p.is_file()])
    assert status["photos"] == status["photos_ready"] == n_files
    assert status["captions"] == 11
    assert status["errors"] == []
    assert vectors_count(indexed) == (n_files, 11)


def test_search_text_json_has_the_contract_fields(
    indexed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hits = cli_json(capsys, "--library", str(indexed), "search", "a cat", "--k", "5", "--json")
    assert isinstance(hits, list)
    assert len(hits) == 5
    for hit in hits:
        assert {"path", "caption", "score", "distance", "kind"} <= set(hit)
        assert hit["kind"] == "photo"
        assert isinstance(hit["score"], float)
        assert isinstance(hit["path"], str)
        assert Path(hit["path"]).is_file()
    scores = [h["score"] for h in hits]
    assert scores == sorted(scores, reverse=True)


def pixel_copy(image: Path, folder: Path) -> Path:
    """A lossless copy of ``image`` outside the library: same pixels, other bytes."""
    copy = folder / f"{image.stem}-copy.png"
    Image.open(image).save(copy)
    return copy


def test_a_photo_ranks_first_for_its_pixel_copy_and_never_for_itself(
    indexed: Path, photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("chelsea.jpg", "coffee.jpg"):
        hits = cli_json(
            capsys, "--library", str(indexed), "search", "--image",
            str(pixel_copy(photos / name, tmp_path)), "--target", "photos", "--json",
        )  # fmt: skip
        assert isinstance(hits, list)
        assert hits[0]["path"] == str(photos / name)
        assert hits[0]["score"] == pytest.approx(1.0, abs=2e-3)
        itself = cli_json(
            capsys, "--library", str(indexed), "search", "--image", str(photos / name),
            "--target", "photos", "--json",
        )  # fmt: skip
        assert isinstance(itself, list)
        assert str(photos / name) not in [h["path"] for h in itself]  # "more like this"


def test_image_to_caption_search_returns_caption_hits(
    indexed: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hits = cli_json(
        capsys, "--library", str(indexed), "search", "--image", str(photos / "coffee.jpg"),
        "--k", "3", "--json",
    )  # fmt: skip
    assert isinstance(hits, list)
    assert len(hits) == 3
    assert all(h["kind"] == "caption" and h["caption"] for h in hits)


def test_a_caption_queried_by_its_own_text_ranks_first(indexed: Path, tiny_clip: TinyClip) -> None:
    from core.config import IndexingConfig
    from core.search.engine import SearchEngine
    from core.store.database import Store
    from desktop_app.cli.runtime import lazy_encoder

    with Store.open(indexed) as store:
        engine = SearchEngine(store, lazy_encoder(tiny_clip.encoder_config()), IndexingConfig())
        for text in ("Coffee cup.", "Chelsea the cat."):
            hits = engine.captions_like(engine.encode_text_query(text), 3)
            assert hits[0].caption == text
            assert hits[0].score == pytest.approx(1.0, abs=2e-3)


def test_moves_renames_edits_and_deletes_re_encode_only_what_changed(
    indexed: Path, photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = ["--library", str(indexed)]
    images_before, texts_before = vectors_count(indexed)
    (photos / "coffee.jpg").rename(photos / "espresso.jpg")
    (photos / "coffee.txt").rename(photos / "espresso.txt")
    (photos / "sub").mkdir()
    shutil.move(photos / "chelsea.jpg", photos / "sub" / "chelsea.jpg")
    shutil.move(photos / "chelsea.txt", photos / "sub" / "chelsea.txt")
    rng = np.random.default_rng(1)
    Image.fromarray(rng.integers(0, 255, (40, 60, 3), dtype=np.uint8)).save(photos / "rocket.jpg")
    (photos / "moon.jpg").unlink()
    brick = photos / "brick.txt"
    brick.write_text(brick.read_text() + "\nRed bricks #texture\n")
    capsys.readouterr()
    assert run([*lib, "index", "--no-progress"]) == 0  # the library remembers its model
    out = capsys.readouterr().out
    assert "0 new, 1 changed, 2 moved, 1 removed" in out
    assert "encoded 1 photos and 1 captions" in out
    images_after, texts_after = vectors_count(indexed)
    assert images_after == images_before - 1  # moon removed; rocket replaced in place
    assert texts_after == texts_before + 1 - 1  # moon's caption gone, one brick caption new
    hits = cli_json(
        capsys, *lib, "search", "--image", str(pixel_copy(photos / "espresso.jpg", tmp_path)),
        "--target", "photos", "--json",
    )  # fmt: skip
    assert isinstance(hits, list)
    assert hits[0]["path"] == str(photos / "espresso.jpg")
    assert hits[0]["caption"] == "Coffee cup."


def test_newer_library_is_refused_by_the_cli(
    library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = make_newer_library(library)
    capsys.readouterr()
    assert run(["--library", str(library), "status"]) == 1
    assert "newer version of HashLens" in capsys.readouterr().err
    assert library.read_bytes() == before


def test_missing_model_tag_fails_fast_with_import_advice(
    library: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import time

    lib = ["--library", str(library)]
    assert run([*lib, "add", str(photos)]) == 0
    started = time.monotonic()
    code = run([*lib, "index", "--no-progress", "--model", "ViT-B-32", "--pretrained", "openai"])
    assert code == 1
    assert time.monotonic() - started < 30
    err = capsys.readouterr().err
    assert "--pretrained" in err


def test_search_without_query_is_a_clear_usage_error(
    indexed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    assert run(["--library", str(indexed), "search"]) == 1
    assert "Give either a text" in capsys.readouterr().err


def test_adding_a_missing_folder_is_refused(
    library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(["--library", str(library), "add", str(tmp_path / "nope")]) == 1
    assert "is not a folder" in capsys.readouterr().err


def test_odd_file_names_are_indexed_and_printed_safely(
    library: Path, tmp_path: Path, tiny_clip: TinyClip, capsys: pytest.CaptureFixture[str]
) -> None:
    import os

    folder = tmp_path / "odd"
    folder.mkdir()
    copy_real_photos(folder)
    (folder / "coffee.jpg").rename(os.fsdecode(bytes(folder) + b"/caf\xe9.jpg"))
    (folder / "chelsea.jpg").rename(folder / ("long-" + "x" * 230 + ".jpg"))
    lib = ["--library", str(library)]
    assert run([*lib, "add", str(folder)]) == 0
    assert run([*lib, "index", "--no-progress", *model_args(tiny_clip)]) == 0
    status = cli_json(capsys, *lib, "status", "--json")
    assert isinstance(status, dict)
    assert status["photos_ready"] == 11
    hits = cli_json(capsys, *lib, "search", "coffee", "--k", "11", "--json")
    assert isinstance(hits, list)
    assert any(h["path"].endswith("caf\\xe9.jpg") for h in hits)
    capsys.readouterr()
    assert run([*lib, "search", "coffee", "--k", "11"]) == 0
    assert "caf\\xe9.jpg" in capsys.readouterr().out


def test_ctrl_c_during_index_keeps_finished_batches_and_a_rerun_completes(
    library: Path,
    photos: Path,
    tiny_clip: TinyClip,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from core.encoders.onnx_encoder import OnnxEncoder  # the CPU runtime the CLI uses

    real = OnnxEncoder.encode_preprocessed
    calls = {"n": 0}

    def interrupt_on_third_batch(self: OnnxEncoder, batch: list[object]) -> object:
        calls["n"] += 1
        if calls["n"] == 3:
            raise KeyboardInterrupt
        return real(self, batch)

    monkeypatch.setattr(OnnxEncoder, "encode_preprocessed", interrupt_on_third_batch)
    lib = ["--library", str(library)]
    assert run([*lib, "add", str(photos)]) == 0
    code = run([*lib, "index", "--no-progress", "--batch-size", "4", *model_args(tiny_clip)])
    assert code == 130
    assert "interrupted" in capsys.readouterr().err
    assert vectors_count(library)[0] == 8  # the two batches of 4 finished before Ctrl-C
    monkeypatch.setattr(OnnxEncoder, "encode_preprocessed", real)
    assert run([*lib, "index", "--no-progress"]) == 0
    n_files = len([p for p in photos.rglob("*") if p.suffix != ".txt" and p.is_file()])
    assert vectors_count(library)[0] == n_files


def test_train_then_search_through_codes_in_every_mode(
    indexed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = ["--library", str(indexed)]
    capsys.readouterr()
    assert run([*lib, "train", "--method", "cca-itq", "--bits", "16", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "Trained cca-itq (16 bits, version 1)" in out
    assert "Settings documented defaults kept (reg=1.0): 11 pairs are too few" in out
    assert "photo codes" in out
    query = ["search", "Coffee cup.", "--k", "5", "--json"]
    exact = cli_json(capsys, *lib, *query, "--mode", "exact")
    hamming = cli_json(capsys, *lib, *query, "--mode", "hamming")
    rerank = cli_json(capsys, *lib, *query, "--mode", "rerank", "--shortlist", "1000")
    default = cli_json(capsys, *lib, *query)
    assert isinstance(exact, list)
    assert isinstance(hamming, list)
    assert isinstance(rerank, list)
    assert all(h["distance"] is None for h in exact)
    distances = [h["distance"] for h in hamming]
    assert all(isinstance(d, int) for d in distances)
    assert distances == sorted(distances)
    # a shortlist larger than the library re-ranks everything: the exact result
    assert [h["path"] for h in rerank] == [h["path"] for h in exact]
    assert [h["score"] for h in rerank] == pytest.approx([h["score"] for h in exact], abs=1e-6)
    assert default == rerank
    status = cli_json(capsys, *lib, "status", "--json")
    assert isinstance(status, dict)
    (hasher,) = status["hashers"]
    assert hasher["name"] == "cca-itq"
    assert hasher["is_active"]
    assert hasher["n_bits"] == 16


def test_image_query_through_codes_finds_the_photo_of_a_pixel_copy(
    indexed: Path, photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = ["--library", str(indexed)]
    assert run([*lib, "train", "--method", "lsh", "--bits", "64", "--no-progress"]) == 0
    image = photos / "rocket.jpg"
    query = pixel_copy(image, tmp_path)  # the photo itself is left out of its own results
    for mode in ("hamming", "rerank"):
        hits = cli_json(
            capsys, *lib, "search", "--image", str(query), "--target", "photos", "--json",
            "--mode", mode,
        )  # fmt: skip
        assert isinstance(hits, list)
        assert hits[0]["path"] == str(image)
        assert hits[0]["distance"] == 0


def test_hashing_errors_are_worded_and_change_nothing(
    indexed: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = ["--library", str(indexed)]
    capsys.readouterr()
    assert run([*lib, "search", "cat", "--mode", "hamming"]) == 1
    assert "No hashing model is trained" in capsys.readouterr().err
    assert run([*lib, "train", "--method", "batch", "--bits", "32", "--no-progress"]) == 1
    assert "learns from labels" in capsys.readouterr().err
    assert run([*lib, "train", "--method", "lsh", "--bits", "30", "--no-progress"]) == 1
    assert "multiple of 8" in capsys.readouterr().err
    status = cli_json(capsys, *lib, "status", "--json")
    assert isinstance(status, dict)
    assert status["hashers"] == []


def test_fpo_cmh_embeds_concept_prompts_and_keeps_learning_while_indexing(
    indexed: Path, photos: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.library.training.training_rows
    from core.encoders.concepts import ConceptVocabulary, load_vocabulary
    from core.hashing.fpo_cmh.hasher import FPOCMH
    from core.library.training.code_writer import load_hasher
    from core.store.database import Store

    full = load_vocabulary()
    small = ConceptVocabulary(full.phrases[:60], full.groups[:60], full.templates)
    monkeypatch.setattr(
        core.library.training.training_rows, "load_vocabulary", lambda: small
    )  # a fast run
    lib = ["--library", str(indexed)]
    assert run([*lib, "train", "--method", "fpo-cmh", "--bits", "8", "--no-progress"]) == 0
    assert "Trained fpo-cmh (8 bits, version 1)" in capsys.readouterr().out

    def snapshot() -> tuple[bytes, dict[tuple[str, int], bytes], FPOCMH, dict[str, object]]:
        with Store.open(indexed) as store:
            (record,) = store.codes.hashers()
            rows = store.db.execute("SELECT modality, item_id, code FROM codes").fetchall()
            hasher = load_hasher(store, record)
            assert isinstance(hasher, FPOCMH)
            codes = {(str(m), int(i)): bytes(c) for m, i, c in rows}
            return store.codes.model_bytes(record.id), codes, hasher, json.loads(record.details)

    blob, codes, hasher, details = snapshot()
    assert hasher.learner.labeller.kind == "zero-shot"  # prompts from the tiny CLIP text tower
    assert hasher.learner.labeller.n_classes == 60 == details["concept_prompts"]
    rng = np.random.default_rng(0)
    for i in range(3):
        pixels = rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(photos / f"new{i}.png")
        (photos / f"new{i}.png.txt").write_text(f"new picture {i}")
    assert run([*lib, "index", "--no-progress"]) == 0
    new_blob, new_codes, learned, new_details = snapshot()
    assert new_blob != blob
    assert {k: new_codes[k] for k in codes} == codes
    assert len(new_codes) == len(codes) + 6
    assert learned.learner.seen == [3, 3]
    assert new_details["online"]["pairs"] == 3  # type: ignore[index]
