"""``hashlens status`` and the window's skipped dialog show every skip with its reason."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from core.config import EncoderConfig
from core.store.database import ACTIVE_ENCODER_SETTING
from desktop_app.application.library import read_overview
from desktop_app.application.model_choice import encoder_config_key
from desktop_app.cli.library_commands import cmd_status, status_payload
from tests.core.library.conftest import Harness

pytestmark = pytest.mark.skipif(os.name == "nt", reason="needs POSIX symlinks")


def _photo(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 30), "red").save(path)
    return path


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path)
    yield h
    h.store.close()


def test_status_and_the_skipped_dialog_show_every_reason(
    harness: Harness, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    photos = tmp_path / "photos"
    real = _photo(photos / "real.jpg")
    (photos / "alias.jpg").symlink_to(real)
    (photos / "empty.jpg").write_bytes(b"")
    (photos / "IMG_1.CR2").write_bytes(b"raw")
    (photos / "clip.mp4").write_bytes(b"video")
    (photos / "MOV_2.avi").write_bytes(b"video")
    _photo(photos / ".secret.jpg")
    harness.add(photos)
    harness.index()
    # the fake encoder's key is not a real model configuration; status reads it as one
    harness.store.set_setting(ACTIVE_ENCODER_SETTING, encoder_config_key(EncoderConfig()))

    cmd_status(harness.store, argparse.Namespace(json=False))
    shown = capsys.readouterr().out
    payload = status_payload(harness.store)
    overview = read_overview(harness.store, EncoderConfig())

    assert "empty.jpg: empty.jpg is empty (0 bytes)." in shown
    assert "alias.jpg: the same file as" in shown
    summary = "1 hidden photo file"
    assert f"Not indexed: {summary} (name starts with '.')" in shown
    assert "not supported" not in shown
    assert payload["not_indexed"] == {"hidden": 1}
    assert "clip.mp4: clip.mp4 is truncated or its image data is corrupt." in shown
    assert "IMG_1.CR2: IMG_1.CR2 is truncated or its image data is corrupt." in shown
    reasons = {Path(s.path).name: s.reason for s in overview.skipped}
    assert reasons["empty.jpg"] == "empty.jpg is empty (0 bytes)."
    assert reasons["alias.jpg"].startswith("the same file as")
    assert reasons["MOV_2.avi"] == "MOV_2.avi is truncated or its image data is corrupt."
    assert reasons["photos"].startswith(f"Not indexed: {summary}")
