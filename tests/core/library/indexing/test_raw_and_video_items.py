"""RAW photos and videos become library items like photos; broken ones are skipped, by name."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from core.media import video_frame
from tests.core.library.conftest import Harness
from tests.media_files import distinct_colours, truncate, write_dng, write_video


def test_raw_and_video_files_are_indexed_with_their_kind_date_and_camera(
    harness: Harness, tmp_path: Path
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (40, 30), "green").save(photos / "plain.jpg")
    write_dng(photos / "IMG_0001.DNG", (200, 30, 30))
    write_video(photos / "clip.mp4", distinct_colours(20))
    truncate(write_dng(photos / "cut.dng", (30, 30, 200)))
    truncate(write_video(photos / "cut.mov", distinct_colours(20)))
    harness.add(photos)

    report = harness.index()

    assert report.encoded_images == 3
    media = harness.store.media
    rows = harness.store.db.execute(
        "SELECT path, kind, status, width, height, taken_at, camera FROM media ORDER BY path"
    ).fetchall()
    by_name = {Path(r[0]).name: r[1:] for r in rows}
    assert by_name["IMG_0001.DNG"] == (
        "raw",
        "ready",
        96,
        64,
        "2021-06-05T10:11:12",
        "Canon EOS 5D",
    )
    assert by_name["clip.mp4"] == ("video", "ready", 64, 48, "2022-03-04T05:06:07", "")
    assert by_name["plain.jpg"][:2] == ("photo", "ready")
    assert by_name["cut.dng"][:2] == ("raw", "error")
    assert by_name["cut.mov"][:2] == ("video", "error")
    errors = dict(media.errors())
    assert errors[str(photos / "cut.dng")] == "cut.dng is truncated or its image data is corrupt."
    assert errors[str(photos / "cut.mov")] == "cut.mov is truncated or its image data is corrupt."
    assert {Path(s.path).name for s in report.skipped} == {"cut.dng", "cut.mov"}
    stats = harness.store.stats()
    assert (stats.photos, stats.photos_ready, stats.raw_photos, stats.videos) == (5, 3, 2, 2)
    assert media.unsupported() == {}


def test_a_moved_video_keeps_its_features_and_its_kind(harness: Harness, tmp_path: Path) -> None:
    photos = tmp_path / "photos"
    write_video(photos / "clip.mp4", distinct_colours(10))
    harness.add(photos)
    harness.index()
    (photos / "2022").mkdir()
    shutil.move(photos / "clip.mp4", photos / "2022" / "clip.mp4")

    report = harness.index()

    assert (report.moved, report.encoded_images) == (1, 0)
    record = harness.store.media.media_by_path(str(photos / "2022" / "clip.mp4"))
    assert record is not None
    assert harness.store.media.kinds_of([record.id]) == {record.id: "video"}


def test_a_video_past_the_time_limit_is_skipped_and_indexing_goes_on(
    harness: Harness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.new("RGB", (40, 30), "green").save(photos / "plain.jpg")
    write_video(photos / "slow.mp4", distinct_colours(20))
    monkeypatch.setattr(video_frame, "TIME_LIMIT_S", 0.0)  # as a stalled or endless decode
    harness.add(photos)

    report = harness.index()

    assert report.encoded_images == 1
    reason = dict(harness.store.media.errors())[str(photos / "slow.mp4")]
    assert reason == "slow.mp4 took longer than 0 seconds to decode a frame; it was skipped."
    monkeypatch.undo()  # the next scan tries it again only if the file changes
    assert harness.index().encoded_images == 0
