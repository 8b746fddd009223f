from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from core.errors import IndexSchemaError, LibraryBusyError, LibraryError
from core.store.database import PAGE_SIZE_BYTES, Store
from core.store.lock import WriterLock
from tests.library_files import make_newer_library


def test_new_library_uses_wal_foreign_keys_and_blob_page_size(store: Store) -> None:
    pragma = store.db.execute
    assert pragma("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert pragma("PRAGMA foreign_keys").fetchone()[0] == 1
    assert pragma("PRAGMA page_size").fetchone()[0] == PAGE_SIZE_BYTES
    assert pragma("PRAGMA busy_timeout").fetchone()[0] >= 1000


def test_reopening_applies_no_migration_twice(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite"
    Store.open(path).close()
    with Store.open(path) as store:
        names = store.db.execute("SELECT name FROM _sqlite_migrations").fetchall()
    assert names == [
        ("m001_initial",), ("m002_hasher_models",), ("m003_retry_and_unsupported",),
        ("m004_camera",), ("m005_media_kind",),
    ]  # fmt: skip


def test_library_from_newer_version_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "lib.sqlite"
    before = make_newer_library(path)
    with pytest.raises(IndexSchemaError) as info:
        Store.open(path)
    assert "newer version" in info.value.user_message
    assert path.read_bytes() == before


def test_file_that_is_not_sqlite_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("these are my notes, not a database\n" * 100)
    before = path.read_bytes()
    with pytest.raises(LibraryError) as info:
        Store.open(path)
    assert "not a HashLens library" in info.value.user_message
    assert path.read_bytes() == before


def test_other_sqlite_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE things (x)")
    conn.commit()
    conn.close()
    with pytest.raises(LibraryError, match="not a HashLens library"):
        Store.open(path)


def test_writer_lock_refuses_a_second_process(tmp_path: Path) -> None:
    library = tmp_path / "lib.sqlite"
    holder = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from core.store.lock import WriterLock
        lock = WriterLock(Path({str(library)!r}))
        lock.acquire()
        print("locked", flush=True)
        sys.stdin.readline()
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", holder],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[3],
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "locked"
        with pytest.raises(LibraryBusyError) as info:
            WriterLock(library).acquire()
        assert str(proc.pid) in info.value.user_message
    finally:
        proc.communicate("\n", timeout=30)
    with WriterLock(library):
        pass  # released when the other process ended


def test_features_round_trip_as_float16(store: Store) -> None:
    with store.atomic():
        folder = store.media.add_folder("/photos")
        ids = [
            store.media.insert_media(folder.id, f"/photos/{i}.jpg", 1, 1, f"h{i}", "")
            for i in range(3)
        ]
        encoder = store.vectors.encoder("model:a", 4)
        x = np.random.default_rng(0).normal(size=(3, 4)).astype(np.float32)
        store.vectors.put_image_features(encoder.id, ids, x)
    got_ids, got = store.vectors.image_matrix(encoder)
    assert got_ids.tolist() == ids
    np.testing.assert_allclose(got, x, rtol=1e-3, atol=1e-3)
    assert store.vectors.media_to_encode(encoder.id) == []


def test_deleting_a_photo_removes_its_captions_labels_and_features(store: Store) -> None:
    with store.atomic():
        folder = store.media.add_folder("/p")
        mid = store.media.insert_media(folder.id, "/p/a.jpg", 1, 1, "h", "")
        store.media.replace_captions(mid, [("a dog", "sidecar")], sources={"sidecar"})
        store.labels.set_labels(mid, ["dog"], "hashtag")
        enc = store.vectors.encoder("m", 2)
        store.vectors.put_image_features(enc.id, [mid], np.ones((1, 2), np.float32))
        store.media.delete_media([mid])
    for table in ("captions", "media_labels", "image_features"):
        assert store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == 0


def test_replace_captions_keeps_unchanged_rows_and_user_captions(store: Store) -> None:
    with store.atomic():
        folder = store.media.add_folder("/p")
        mid = store.media.insert_media(folder.id, "/p/a.jpg", 1, 1, "h", "")
        store.media.replace_captions(mid, [("one", "sidecar"), ("two", "sidecar")], {"sidecar"})
        user_id = store.media.add_user_caption(mid, "my own words")
    first = {t: cid for cid, t, _ in store.media.captions_of(mid)}
    with store.atomic():
        changed = store.media.replace_captions(
            mid, [("one", "sidecar"), ("three", "sidecar")], {"sidecar"}
        )
    after = {t: cid for cid, t, _ in store.media.captions_of(mid)}
    assert changed == 2
    assert set(after) == {"one", "three", "my own words"}
    assert after["one"] == first["one"]
    assert after["my own words"] == user_id


def test_encoder_with_same_id_but_other_dimension_is_refused(store: Store) -> None:
    from core.errors import IncompatibleCodesError

    store.vectors.encoder("m", 4)
    with pytest.raises(IncompatibleCodesError):
        store.vectors.encoder("m", 8)


def test_stats_count_photos_by_status(store: Store) -> None:
    with store.atomic():
        folder = store.media.add_folder("/p")
        a = store.media.insert_media(folder.id, "/p/a.jpg", 1, 1, "h1", "")
        b = store.media.insert_media(folder.id, "/p/b.jpg", 1, 1, "h2", "")
        store.media.insert_media(folder.id, "/p/c.jpg", 1, 1, "h3", "")
        store.media.mark_ready(a, 10, 20, None)
        store.media.mark_error(b, "truncated")
    stats = store.stats()
    assert (stats.photos, stats.photos_ready, stats.photos_error, stats.photos_pending) == (
        3,
        1,
        1,
        1,
    )
    assert store.media.errors() == [("/p/b.jpg", "truncated")]


def test_stats_survive_the_log_vanishing_while_they_are_read(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite deletes the -wal file when the last connection closes, which another thread
    # may do between listing the files and reading their sizes (a real window's
    # background status task failed so, and the window then hung).
    real_stat = Path.stat

    def vanished(self: Path, **kwargs: bool) -> os.stat_result:
        if self.name.endswith("-wal"):
            raise FileNotFoundError(2, "No such file or directory", str(self))
        return real_stat(self, **kwargs)

    with store.atomic():
        store.media.add_folder("/p")
    monkeypatch.setattr(Path, "exists", lambda self, **kwargs: True)
    monkeypatch.setattr(Path, "stat", vanished)
    stats = store.stats()
    assert stats.file_bytes == real_stat(store.path).st_size > 0
    with Store.open(store.path) as again:  # opening checks the log's size too
        assert again.stats().file_bytes == stats.file_bytes
