"""The CLI with a real (tiny) model: scores, long queries, caption targets, hostile names, a
full disk while indexing."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from core.store import database
from core.store.database import Store
from desktop_app.cli.main import run
from tests.conftest import TinyClip
from tests.corpus import copy_real_photos
from tests.library_files import read_only

pytestmark = pytest.mark.pipeline

TERMINAL_CONTROLS = ("\x1b", "\r", "\x07", "\x9b", "\u202e")


def model_args(tiny: TinyClip) -> list[str]:
    return [
        "--model", tiny.model_name, "--pretrained", str(tiny.weights_path),
        "--model-config", str(tiny.config_path),
    ]  # fmt: skip


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    copy_real_photos(folder)
    return folder


@pytest.fixture
def lib(tmp_path: Path, photos: Path, tiny_clip: TinyClip) -> list[str]:
    args = ["--library", str(tmp_path / "lib.sqlite")]
    assert run([*args, "add", str(photos)]) == 0
    assert run([*args, "index", "--no-progress", *model_args(tiny_clip)]) == 0
    return args


def json_out(capsys: pytest.CaptureFixture[str], *argv: str) -> list[dict[str, object]]:
    capsys.readouterr()
    assert run(list(argv)) == 0
    hits = json.loads(capsys.readouterr().out)
    assert isinstance(hits, list)
    return hits


def test_a_photo_queried_by_a_pixel_copy_scores_at_most_one(
    lib: list[str], photos: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Stored float16 vectors are ~3e-4 off unit length; the score is a cosine, <= 1.

    The query is a lossless copy (same pixels, other bytes): the photo itself (its path or
    its exact bytes) is left out of "more like this".
    """
    tops = []
    for image in sorted(photos.glob("*.jpg")):
        query = tmp_path / "query.png"
        Image.open(image).save(query)
        argv = ["search", "--image", str(query), "--target", "photos", "--mode", "exact"]
        hits = json_out(capsys, *lib, *argv, "--k", "1", "--json")
        assert hits[0]["path"] == str(image)
        tops.append(float(hits[0]["score"]))  # type: ignore[arg-type]
    assert max(tops) <= 1.0
    assert min(tops) > 0.999


def test_a_text_query_can_target_captions(
    lib: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    conn = sqlite3.connect(lib[1])
    caption = str(conn.execute("SELECT text FROM captions ORDER BY id LIMIT 1").fetchone()[0])
    conn.close()
    argv = ["search", caption, "--target", "captions", "--mode", "exact", "--json"]
    hits = json_out(capsys, *lib, *argv)
    assert {h["kind"] for h in hits} == {"caption"}
    assert hits[0]["caption"] == caption
    photos_hits = json_out(capsys, *lib, "search", caption, "--json")
    assert {h["kind"] for h in photos_hits} == {"photo"}


def test_a_query_longer_than_the_model_reads_says_what_was_left_out(
    lib: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    """The tiny model reads 16 tokens: 14 one-token words after its start and end markers."""
    query = "red green blue black white brown pink gray cat dog sun sea hat cup tree sky"
    capsys.readouterr()
    assert run([*lib, "search", query]) == 0
    err = capsys.readouterr().err
    assert "the query is longer than the model reads" in err
    assert err.rstrip().endswith('"tree sky"')
    assert run([*lib, "search", "cat on a sunny beach"]) == 0
    assert capsys.readouterr().err == ""


def test_hostile_names_and_captions_reach_the_terminal_escaped_and_json_keeps_them(
    tmp_path: Path, tiny_clip: TinyClip, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "hostile"
    folder.mkdir()
    copy_real_photos(folder)
    name = "evil\x1b]0;owned\x07\r\u202egpj.exe.jpg"
    (folder / "coffee.jpg").rename(folder / name)
    (folder / "coffee.txt").rename(folder / f"{name[:-4]}.txt")
    caption = "Coffee \x1b[2J\x1b[Hcleared \x9b31m red \u202eright-to-left"
    (folder / f"{name[:-4]}.txt").write_text(caption, encoding="utf-8")
    (folder / "broken\x1b[2J.jpg").write_bytes(b"")  # skipped: its name is shown by status
    lib = ["--library", str(tmp_path / "lib.sqlite")]
    assert run([*lib, "add", str(folder)]) == 0
    assert run([*lib, "index", "--no-progress", *model_args(tiny_clip)]) == 0
    capsys.readouterr()
    for argv in (["search", "coffee", "--k", "20"], ["status"]):
        assert run([*lib, *argv]) == 0
        out = capsys.readouterr().out
        assert not [c for c in TERMINAL_CONTROLS if c in out], argv
        assert "evil\\x1b]0;owned\\x07\\x0d\\u202egpj.exe.jpg" in out or argv == ["status"]
        assert "broken\\x1b[2J.jpg" in out or argv != ["status"]
    for argv in (["search", "coffee", "--k", "20", "--json"], ["status", "--json"]):
        assert run([*lib, *argv]) == 0
        text = capsys.readouterr().out
        assert not [c for c in TERMINAL_CONTROLS if c in text], argv
        document = json.loads(text)
        if argv[0] == "search":
            hit = next(h for h in document if h["path"].endswith(name))
            assert hit["path"] == str(folder / name)
            assert hit["caption"] == caption
        else:
            assert str(folder / "broken\x1b[2J.jpg") in [e["path"] for e in document["errors"]]


def test_a_disk_that_fills_up_while_indexing_is_reported_and_the_library_survives(
    lib: list[str],
    tmp_path: Path,
    photos: Path,
    tiny_clip: TinyClip,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A full disk simulated with ``PRAGMA max_page_count`` on every connection the CLI
    opens: SQLite answers SQLITE_FULL, the result code a full disk (ENOSPC) gives."""
    library = Path(lib[1])
    with Store.open(library) as store:
        ready = store.stats().photos_ready
    for album in range(8):  # enough new rows to need new pages
        copy_real_photos(photos / f"album{album}")
    real_connect = database._connect

    def connect_on_a_full_disk(path: Path) -> sqlite3.Connection:
        conn = real_connect(path)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn

    monkeypatch.setattr(database, "_connect", connect_on_a_full_disk)
    capsys.readouterr()
    assert run([*lib, "index", "--no-progress", *model_args(tiny_clip)]) == 1
    err = capsys.readouterr().err
    assert f"The disk holding the library {library} is full" in err
    assert "Traceback" not in err
    monkeypatch.setattr(database, "_connect", real_connect)
    with Store.open(library, mode="read", verify=True) as store:
        assert store.stats().photos_ready >= ready
    assert run([*lib, "index", "--no-progress", *model_args(tiny_clip)]) == 0
    with Store.open(library, mode="read", verify=True) as store:
        stats = store.stats()
    assert stats.photos_ready == stats.photos > ready


def test_a_library_in_a_read_only_folder_can_be_searched(
    lib: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    library = Path(lib[1])
    with read_only(library.parent):
        hits = json_out(capsys, *lib, "search", "coffee", "--k", "3", "--json")
        assert len(hits) == 3
        capsys.readouterr()
        assert run([*lib, "search", "coffee", "--model", "RN50", "--pretrained", "random"]) == 1
        assert "no features from RN50 (weights: random)" in capsys.readouterr().err
