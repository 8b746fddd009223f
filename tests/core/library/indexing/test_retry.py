"""Photos that failed for a passing reason are tried again; corrupt ones wait for a change."""

from __future__ import annotations

import errno
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

import core.library.indexing.scanner as scanner_module
from core.encoders.encoder import LazyEncoder
from core.library.indexing.indexer import Indexer, IndexOptions
from core.store.records import MediaRecord
from core.types import IndexReport
from tests.core.library.conftest import FakeEncoder, Harness


def _photos(folder: Path, n: int) -> list[Path]:
    folder.mkdir()
    paths = []
    for i in range(n):
        path = folder / f"p{i}.jpg"
        Image.new("RGB", (40, 30), (20 * i, 100, 200 - 10 * i)).save(path)
        paths.append(path)
    return paths


def _record(harness: Harness, path: Path) -> MediaRecord:
    record = harness.store.media.media_by_path(str(path))
    assert record is not None, path
    return record


def _has_vector(harness: Harness, path: Path) -> bool:
    record = _record(harness, path)
    return not any(mid == record.id for mid, _ in harness.store.vectors.media_to_encode(1)) and (
        record.status == "ready"
    )


def _index_with_hook(harness: Harness, on_model_load: Any) -> IndexReport:
    """One run whose model load (after the scan, before any decode) calls ``on_model_load``."""

    def load() -> FakeEncoder:
        on_model_load()
        harness.loads += 1
        return harness.encoder

    indexer = Indexer(
        harness.store, LazyEncoder("fake-config", load), harness.config, IndexOptions(4)
    )
    return indexer.run()


def test_a_photo_renamed_while_the_run_reads_it_is_indexed_at_its_new_path_next_run(
    harness: Harness, tmp_path: Path
) -> None:
    photos = _photos(tmp_path / "photos", 5)
    harness.add(tmp_path / "photos")
    renamed = photos[2].with_name("holiday.jpg")

    first = _index_with_hook(harness, lambda: photos[2].rename(renamed))

    assert [Path(s.path).name for s in first.skipped] == ["p2.jpg"]
    assert "moved or deleted" in first.skipped[0].reason
    second = harness.index()
    assert second.moved == 1
    assert second.encoded_images == 1
    assert _record(harness, renamed).status == "ready"
    assert _has_vector(harness, renamed)
    assert harness.store.media.errors() == []
    assert harness.store.stats().photos_ready == 5


def test_a_photo_unreadable_at_decode_is_indexed_once_its_permissions_are_fixed(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tests run as root, where chmod cannot deny reading, so Path.open is patched."""
    photos = _photos(tmp_path / "photos", 3)
    harness.add(tmp_path / "photos")
    real_open = Path.open

    def deny(self: Path, *args: Any, **kwargs: Any) -> Any:
        if self == photos[1]:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(Path, "open", deny)
        first = harness.index()
    assert [s.reason for s in first.skipped] == ["p1.jpg cannot be read: permission denied."]
    assert _record(harness, photos[1]).retry

    second = harness.index()

    assert second.encoded_images == 1
    assert second.skipped == ()
    assert _has_vector(harness, photos[1])


def test_a_photo_unreadable_at_scan_stays_skipped_without_loading_the_model_until_fixed(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos = _photos(tmp_path / "photos", 3)
    harness.add(tmp_path / "photos")
    real_hash = scanner_module.content_hash

    def deny(path: str, size: int) -> str:
        if path == str(photos[0]):
            raise PermissionError(errno.EACCES, "Permission denied", path)
        return real_hash(path, size)

    monkeypatch.setattr(scanner_module, "content_hash", deny)
    harness.index()
    harness.loads = 0
    still_denied = harness.index()
    assert harness.loads == 0  # a file that still cannot be read costs no model load
    assert still_denied.encoded_images == 0
    reason = dict(harness.store.media.errors())[str(photos[0])]
    assert "Permission denied" in reason

    monkeypatch.setattr(scanner_module, "content_hash", real_hash)
    fixed = harness.index()

    assert fixed.encoded_images == 1
    assert _has_vector(harness, photos[0])
    assert harness.store.media.errors() == []


def test_a_corrupt_photo_is_not_decoded_again_until_it_changes(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos = _photos(tmp_path / "photos", 2)
    bad = photos[0].with_name("bad.jpg")
    bad.write_bytes(photos[0].read_bytes()[:200])
    harness.add(tmp_path / "photos")
    import core.library.indexing.image_stage as stage_module

    opened: list[str] = []
    real_open_image = stage_module.open_image

    def counting(path: Path, **kwargs: Any) -> Any:
        opened.append(path.name)
        return real_open_image(path, **kwargs)

    monkeypatch.setattr(stage_module, "open_image", counting)
    harness.index()
    assert "bad.jpg" in opened
    assert not _record(harness, bad).retry
    opened.clear()
    harness.index()
    assert opened == []

    Image.new("RGB", (40, 30), "green").save(bad)
    harness.index()
    assert opened == ["bad.jpg"]
    assert _record(harness, bad).status == "ready"


def test_errors_recorded_before_the_upgrade_are_tried_once_more(tmp_path: Path) -> None:
    """A library from the version that kept every error forever heals on its next run."""
    from core.store.database import Store

    photos = _photos(tmp_path / "photos", 1)
    path = tmp_path / "library.sqlite"
    with Store.open(path) as store, store.atomic():
        folder = store.media.add_folder(str(tmp_path / "photos"))
        media_id = store.media.insert_media(folder.id, str(photos[0]), 1, 1, "h", "")
        store.media.mark_error(media_id, "p0.jpg was moved or deleted before it could be read.")
    with Store.open(path) as store:  # back to the previous schema
        store.db.execute("ALTER TABLE media DROP COLUMN error_retry")
        store.db.execute("DROP TABLE unsupported_files")
        store.db.execute("DELETE FROM _sqlite_migrations WHERE name = 'm003_retry_and_unsupported'")
        store.db.conn.commit()

    with Store.open(path) as store:
        record = store.media.media_by_path(str(photos[0]))

    assert record is not None
    assert (record.status, record.retry) == ("error", True)
