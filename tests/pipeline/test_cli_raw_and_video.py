"""RAW photos and videos through the real CLI (add, index, status, search) and the tiny model.

Random weights cannot rank by meaning: an item is found by a lossless copy of the picture
it was indexed by (score 1), as ``test_cli_pipeline`` finds photos.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.media.image_io import open_image
from desktop_app.cli.main import run
from tests.conftest import TinyClip
from tests.corpus import copy_real_photos
from tests.media_files import distinct_colours, truncate, write_dng, write_video
from tests.pipeline.test_cli_pipeline import model_args

pytestmark = pytest.mark.pipeline

COLOURS = distinct_colours(30)


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    copy_real_photos(folder)
    write_dng(folder / "raw" / "IMG_0001.dng", (220, 40, 40), size=(320, 240))
    (folder / "raw" / "IMG_0001.txt").write_text("a red wall", encoding="utf-8")
    write_video(folder / "clips" / "MVI_0002.mp4", COLOURS, size=(320, 240))
    truncate(write_dng(folder / "raw" / "cut.dng", (40, 40, 220)))
    truncate(write_video(folder / "clips" / "cut.mov", COLOURS))
    return folder


def _json(capsys: pytest.CaptureFixture[str], *argv: str) -> object:
    capsys.readouterr()
    code = run(list(argv))
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out)


def test_raw_photos_and_videos_become_searchable_items(
    tmp_path: Path, photos: Path, tiny_clip: TinyClip, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = ["--library", str(tmp_path / "lib.sqlite")]
    assert run([*lib, "add", str(photos)]) == 0
    capsys.readouterr()
    assert run([*lib, "index", "--no-progress", *model_args(tiny_clip)]) == 0
    indexed_out = capsys.readouterr().out
    assert "cut.mov is truncated or its image data is corrupt." in indexed_out

    status = _json(capsys, *lib, "status", "--json")
    assert isinstance(status, dict)
    assert (status["photos"], status["photos_ready"], status["photos_error"]) == (15, 13, 2)
    assert (status["raw_photos"], status["videos"]) == (2, 2)
    assert status["not_indexed"] == {}
    reasons = {Path(e["path"]).name: e["reason"] for e in status["errors"]}
    assert reasons == {
        "cut.dng": "cut.dng is truncated or its image data is corrupt.",
        "cut.mov": "cut.mov is truncated or its image data is corrupt.",
    }

    everything = _json(capsys, *lib, "search", "a photo", "--k", "50", "--json")
    assert isinstance(everything, list)
    media = {Path(h["path"]).name: h["media"] for h in everything}
    assert len(media) == 13
    assert media["IMG_0001.dng"] == "raw"
    assert media["MVI_0002.mp4"] == "video"
    assert {m for name, m in media.items() if name.endswith(".jpg")} == {"photo"}
    assert all(h["kind"] == "photo" for h in everything)  # the contract's kind is unchanged

    pictures = {}
    for item, kind in ((photos / "raw" / "IMG_0001.dng", "raw"),
                       (photos / "clips" / "MVI_0002.mp4", "video")):  # fmt: skip
        pictures[kind] = tmp_path / f"{item.stem}-picture.png"  # the picture it was indexed by
        open_image(item, max_pixels=10**8).image.save(pictures[kind])
        hits = _json(capsys, *lib, "search", "--image", str(pictures[kind]), "--target",
                     "photos", "--json")  # fmt: skip
        assert isinstance(hits, list)
        assert (hits[0]["path"], hits[0]["media"]) == (str(item), kind)
        assert hits[0]["score"] == pytest.approx(1.0, abs=2e-3)

    # a video outside the library, encoded otherwise, finds the video by its frame
    other = write_video(tmp_path / "elsewhere.mkv", COLOURS, size=(320, 240), gop=3)
    hits = _json(capsys, *lib, "search", "--image", str(other), "--target", "photos", "--json")
    assert isinstance(hits, list)
    assert Path(hits[0]["path"]).name == "MVI_0002.mp4"

    # the caption beside the RAW photo is indexed and searchable like any photo's
    captions = _json(capsys, *lib, "search", "--image", str(pictures["raw"]), "--json", "--k", "50")
    assert isinstance(captions, list)
    assert any(h["caption"] == "a red wall" and h["media"] == "raw" for h in captions)
