"""Watching two real folders with the real indexer, the tiny open_clip model and CCA-ITQ codes.

Each step does what a user's file manager does, waits (with a deadline) until the
service has run the indexer and gone quiet, then checks the library: paths, counts,
how many index runs it took, and that every code stored before is byte-identical.
"""

from __future__ import annotations

import shutil
import sqlite3
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.config import IndexingConfig, WatchConfig
from core.encoders.encoder import LazyEncoder
from core.library.folders import register_folder
from core.library.indexing.indexer import Indexer, IndexOptions
from core.library.training.trainer import Trainer, TrainOptions
from core.library.watching.service import WatchOptions, WatchService, own_paths
from core.store.database import Store
from core.types import IndexReport
from tests.conftest import TinyClip
from tests.core.library.watching.conftest import wait_until
from tests.corpus import copy_real_photos

CONFIG = WatchConfig(quiet_s=0.5, settle_s=0.2, max_delay_s=30.0, poll_interval_s=0.3)
STEP_TIMEOUT_S = 30.0
CodeKey = tuple[int, str, int]


def tiny_encoder(tiny_clip: TinyClip) -> LazyEncoder:
    def load() -> object:
        from core.encoders.clip_encoder import load_encoder

        return load_encoder(tiny_clip.encoder_config())

    return LazyEncoder("tiny-test", load)


def noise_jpegs(folder: Path, count: int, seed: int = 1) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    out = []
    for i in range(count):
        pixels = rng.integers(0, 255, size=(48, 64, 3), dtype=np.uint8)
        path = folder / f"p{i:03d}.jpg"
        Image.fromarray(pixels).save(path, quality=90)
        out.append(path)
    return out


@dataclass
class Library:
    """Reads the library file from the test's thread (its own connection)."""

    path: Path

    def query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        conn = sqlite3.connect(self.path)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()

    def codes(self) -> dict[CodeKey, bytes]:
        rows = self.query("SELECT hasher_id, modality, item_id, code FROM codes")
        return {(int(h), str(m), int(i)): bytes(c) for h, m, i, c in rows}

    def media(self) -> dict[str, tuple[int, str]]:
        rows = self.query("SELECT path, id, status FROM media")
        return {str(p): (int(i), str(s)) for p, i, s in rows}

    def image_code_ids(self) -> set[int]:
        return {i for (_, m, i) in self.codes() if m == "image"}


@dataclass
class Runs:
    """Index runs the service asked for, each on the service's thread with its own Store."""

    library: Path
    encoder: LazyEncoder
    service: WatchService | None = None
    reports: list[IndexReport] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self) -> None:
        assert self.service is not None
        options = IndexOptions(batch_size=16, unsettled=self.service.unsettled_paths)
        with Store.open(self.library) as store:
            report = Indexer(store, self.encoder, IndexingConfig(), options).run()
        with self.lock:
            self.reports.append(report)

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.reports)

    def last(self) -> IndexReport:
        with self.lock:
            return self.reports[-1]


@pytest.fixture
def watched(tmp_path: Path, tiny_clip: TinyClip) -> Iterator[tuple[Runs, WatchService, Path, Path]]:
    a, b = tmp_path / "a", tmp_path / "b"
    copy_real_photos(a)
    b.mkdir()
    library = tmp_path / "library.sqlite"
    encoder = tiny_encoder(tiny_clip)
    with Store.open(library) as store:
        for folder in (a, b):
            register_folder(store, str(folder))
        Indexer(store, encoder, IndexingConfig()).run()
        record = store.known_encoder("tiny-test")
        assert record is not None
        Trainer(store, record).train(TrainOptions("cca-itq", n_bits=16))
    runs = Runs(library, encoder)
    service = WatchService(runs, CONFIG, WatchOptions(ignored=own_paths(library)))
    runs.service = service
    service.set_folders([str(a), str(b)])
    service.start()
    assert service.wait_until_applied(STEP_TIMEOUT_S)
    yield runs, service, a, b
    service.stop()


def settle(runs: Runs, service: WatchService, runs_before: int) -> int:
    """Wait until a run happened and nothing is pending or running; returns the runs since."""

    def quiet() -> bool:
        status = service.status()
        return runs.count > runs_before and not status.pending and not status.is_indexing

    assert wait_until(quiet, STEP_TIMEOUT_S), service.status()
    return runs.count - runs_before


def assert_codes_kept(before: dict[CodeKey, bytes], after: dict[CodeKey, bytes]) -> None:
    kept = {k: after.get(k) for k in before if k in after}
    assert kept == {k: before[k] for k in kept}, "a stored code changed"


def test_watching_indexes_bursts_moves_deletions_and_slow_writes_without_touching_codes(
    watched: tuple[Runs, WatchService, Path, Path], tmp_path: Path
) -> None:
    runs, service, a, b = watched
    lib = Library(runs.library)
    codes = lib.codes()
    assert len(codes) == 22  # 11 photos and 11 captions
    assert [s.mode for s in service.status().folders] == ["events", "events"]

    # 1. a burst of 50 photos copied into a new sub-folder: one run, every photo coded
    staged = noise_jpegs(tmp_path / "staging", 50)
    (a / "burst").mkdir()
    for photo in staged:
        shutil.copyfile(photo, a / "burst" / photo.name)
    assert settle(runs, service, 0) == 1
    report = runs.last()
    assert (report.added, report.encoded_images, report.hashed) == (50, 50, 50)
    media = lib.media()
    assert len(media) == 61
    burst_ids = {media[str(a / "burst" / p.name)][0] for p in staged}
    assert {media[str(a / "burst" / p.name)][1] for p in staged} == {"ready"}
    assert burst_ids <= lib.image_code_ids()
    assert_codes_kept(codes, lib.codes())
    codes = lib.codes()
    assert len(codes) == 72

    # 2. a rename: the same row, a new path, nothing encoded or hashed again
    old_id = media[str(a / "burst" / "p000.jpg")][0]
    (a / "burst" / "p000.jpg").rename(a / "burst" / "renamed.jpg")
    assert settle(runs, service, 1) == 1
    report = runs.last()
    assert (report.moved, report.added, report.removed, report.encoded_images) == (1, 0, 0, 0)
    media = lib.media()
    assert media[str(a / "burst" / "renamed.jpg")] == (old_id, "ready")
    assert str(a / "burst" / "p000.jpg") not in media
    assert lib.codes() == codes

    # 3. a move (photo and its caption) between the two watched folders
    cat_id = media[str(a / "chelsea.jpg")][0]
    (a / "chelsea.txt").rename(b / "chelsea.txt")
    (a / "chelsea.jpg").rename(b / "chelsea.jpg")
    assert settle(runs, service, 2) == 1
    report = runs.last()
    assert (report.moved, report.added, report.removed, report.encoded_images) == (1, 0, 0, 0)
    assert report.encoded_captions == 0
    media = lib.media()
    assert media[str(b / "chelsea.jpg")] == (cat_id, "ready")
    folder_of_cat = lib.query("SELECT f.path FROM media m JOIN folders f ON f.id = m.folder_id "
                              "WHERE m.id = ?", (cat_id,))  # fmt: skip
    assert folder_of_cat == [(str(b),)]
    assert lib.codes() == codes

    # 4. a deletion: the row and its codes go, every other code stays
    coffee_id = media[str(a / "coffee.jpg")][0]
    (a / "coffee.jpg").unlink()
    (a / "coffee.txt").unlink()
    assert settle(runs, service, 3) == 1
    assert runs.last().removed == 1
    media = lib.media()
    assert len(media) == 60
    assert coffee_id not in {i for i, _ in media.values()}
    after = lib.codes()
    assert_codes_kept(codes, after)
    assert {k for k in codes if k not in after} == {k for k in codes if k[2] == coffee_id}
    codes = after

    # 5. a photo written slowly, open all along: never indexed half-written, not even by an
    #    index run made meanwhile (as the window's "Index now" would); then indexed once
    slow = b / "slow.jpg"
    fresh = noise_jpegs(tmp_path / "fresh", 2, seed=2)  # not copies of indexed photos
    data = fresh[0].read_bytes()
    step = len(data) // 4 + 1
    with slow.open("wb") as handle:
        for number in range(4):
            handle.write(data[number * step : (number + 1) * step])
            handle.flush()
            if number == 1:
                shutil.copyfile(fresh[1], b / "quick.jpg")
                assert wait_until(  # quick.jpg seen and complete, slow.jpg not
                    lambda: (
                        service.status().pending == 2 and service.unsettled_paths() == {str(slow)}
                    )
                )
                runs()
                assert (runs.last().added, runs.last().skipped) == (1, ())  # quick.jpg only
            else:  # a pause longer than the quiet and settle intervals
                time.sleep(CONFIG.quiet_s + CONFIG.settle_s + 0.1)
            assert str(slow) not in lib.media()
            assert str(slow) in service.unsettled_paths()
    assert runs.count == 5
    assert settle(runs, service, 5) == 1
    report = runs.last()
    assert (report.added, report.encoded_images, report.skipped) == (1, 1, ())
    slow_id, status = lib.media()[str(slow)]
    assert status == "ready"
    assert slow_id in lib.image_code_ids()
    assert_codes_kept(codes, lib.codes())
    codes = lib.codes()

    # 6. a watched folder vanishes (an unplugged drive): nothing is deleted, watching goes on
    b.rename(tmp_path / "b-unplugged")
    assert wait_until(lambda: service.status().folders[1].mode == "missing")
    runs_before = runs.count
    (a / "burst" / "p003.jpg").unlink()  # the other folder is still watched
    assert settle(runs, service, runs_before) == 1
    assert runs.last().removed == 1
    assert runs.last().withheld_deletions  # b's photos are kept while it is gone
    assert str(b / "chelsea.jpg") in lib.media()
    (tmp_path / "b-unplugged").rename(b)
    assert wait_until(lambda: service.status().folders[1].mode == "events")
    assert settle(runs, service, runs_before + 1) == 1  # a rescan for what it missed
    assert runs.last().removed == 0
    assert str(b / "slow.jpg") in lib.media()
    assert_codes_kept(codes, lib.codes())
