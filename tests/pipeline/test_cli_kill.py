"""``hashlens index`` killed with SIGKILL half-way: the library is whole, the next run ends it."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.store.database import Store
from desktop_app.cli.main import run
from tests.conftest import TinyClip
from tests.corpus import copy_real_photos

pytestmark = [
    pytest.mark.pipeline,
    pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX"),
]


def stored_vectors(library: Path) -> int:
    conn = sqlite3.connect(f"{library.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM image_features").fetchone()[0])
    except sqlite3.OperationalError:  # tables not made yet
        return 0
    finally:
        conn.close()


def test_a_kill_during_indexing_keeps_finished_batches_and_the_next_run_completes(
    tmp_path: Path, tiny_clip: TinyClip
) -> None:
    photos = tmp_path / "photos"
    for album in range(20):
        copy_real_photos(photos / f"album{album:02d}")
    library = tmp_path / "lib.sqlite"
    assert run(["--library", str(library), "add", str(photos)]) == 0
    model = [
        "--model", tiny_clip.model_name, "--pretrained", str(tiny_clip.weights_path),
        "--model-config", str(tiny_clip.config_path),
    ]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop_app.cli.main", "--library", str(library), "index",
         "--no-progress", "--batch-size", "1", *model],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while stored_vectors(library) < 5 and process.poll() is None:
        assert time.monotonic() < deadline, "indexing never stored a batch"
        time.sleep(0.02)
    assert process.poll() is None, "indexing finished before it could be killed"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    seen = stored_vectors(library)
    with Store.open(library, mode="read", verify=True) as store:
        stats = store.stats()
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert seen <= stats.image_vectors < stats.photos  # finished batches kept, not all done
    assert run(["--library", str(library), "index", "--no-progress", *model]) == 0
    with Store.open(library, mode="read", verify=True) as store:
        stats = store.stats()
    assert stats.photos_ready == stats.photos
    assert stats.image_vectors == stats.photos
