"""``hashlens watch`` as a user runs it: a real process, a photo dropped in, Ctrl-C."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.store.database import Store
from desktop_app.cli.main import run
from tests.conftest import TinyClip
from tests.corpus import copy_real_photos

pytestmark = pytest.mark.pipeline

REPO = Path(__file__).resolve().parents[2]
DEADLINE_S = 60.0


class Output:
    """The lines a process prints, read on a thread so that waiting has a deadline."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.lines: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        assert process.stdout is not None
        stream = process.stdout
        threading.Thread(target=lambda: [self._queue.put(x) for x in stream], daemon=True).start()

    def wait_for(self, text: str) -> bool:
        deadline = time.monotonic() + DEADLINE_S
        while time.monotonic() < deadline:
            if any(text in line for line in self.lines):
                return True
            try:
                self.lines.append(self._queue.get(timeout=0.1))
            except queue.Empty:
                continue
        return False


@pytest.fixture
def indexed(tmp_path: Path, tiny_clip: TinyClip) -> tuple[Path, Path]:
    photos = tmp_path / "photos"
    copy_real_photos(photos)
    library = tmp_path / "lib.sqlite"
    model = ["--model", tiny_clip.model_name, "--pretrained", str(tiny_clip.weights_path),
             "--model-config", str(tiny_clip.config_path)]  # fmt: skip
    assert run(["--library", str(library), "add", str(photos)]) == 0
    assert run(["--library", str(library), "index", "--no-progress", *model]) == 0
    return library, photos


def test_watch_indexes_a_new_photo_and_stops_cleanly_on_ctrl_c(
    indexed: tuple[Path, Path], tmp_path: Path
) -> None:
    library, photos = indexed
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "HASHLENS_WATCH_QUIET_S": "0.2",
           "HASHLENS_WATCH_SETTLE_S": "0.1", "HASHLENS_WATCH_POLL_INTERVAL_S": "0.5"}  # fmt: skip
    command = [sys.executable, "-m", "desktop_app.cli.main", "--library", str(library), "watch"]
    process = subprocess.Popen(
        command, cwd=REPO, env=env, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        output = Output(process)
        assert output.wait_for("Watching for changes"), output.lines
        assert output.wait_for(f"{photos}: watched with file events"), output.lines
        pixels = np.random.default_rng(3).integers(0, 255, size=(40, 40, 3), dtype=np.uint8)
        Image.fromarray(pixels).save(tmp_path / "staged.jpg")
        (tmp_path / "staged.jpg").rename(photos / "new.jpg")
        assert output.wait_for("Done: 1 new"), output.lines
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=DEADLINE_S) == 0
        assert output.wait_for("Stopped watching."), output.lines
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert "Catching up" in output.lines[0]
    assert "Done: 0 new, 0 changed, 0 moved, 0 removed, 11 unchanged" in output.lines[1]
    conn = sqlite3.connect(library)
    try:
        row = conn.execute("SELECT status FROM media WHERE path = ?", [str(photos / "new.jpg")])
        assert row.fetchall() == [("ready",)]
    finally:
        conn.close()


def test_watch_without_folders_says_how_to_add_one(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Store.open(tmp_path / "empty.sqlite").close()  # a library with no folders (a missing
    # library is refused before watch starts: tests/desktop_app/test_cli_rough_edges.py)
    assert run(["--library", str(tmp_path / "empty.sqlite"), "watch"]) == 1
    assert "hashlens add" in capsys.readouterr().out


def test_watch_refuses_when_the_settings_turn_it_off(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    library = str(tmp_path / "lib.sqlite")
    assert run(["--library", library, "add", str(tmp_path)]) == 0
    monkeypatch.setenv("HASHLENS_WATCH_MODE", "off")
    assert run(["--library", library, "watch"]) == 1
    assert 'watch.mode = "off"' in capsys.readouterr().out
