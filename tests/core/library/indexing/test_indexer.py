from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from PIL import Image

from core.library.indexing.indexer import Indexer, IndexOptions
from tests.core.library.conftest import FakeEncoder, Harness
from tests.corpus import copy_real_photos, make_bad_files, make_format_variants


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    copy_real_photos(folder)
    return folder


def test_first_run_encodes_every_photo_and_caption(harness: Harness, photos: Path) -> None:
    harness.add(photos)
    report = harness.index()
    n = len(list(photos.glob("*.jpg")))
    assert report.added == n
    assert report.encoded_images == n == harness.encoder.images_encoded
    assert report.encoded_captions == n
    assert harness.store.stats().photos_ready == n
    assert harness.captions(photos / "coffee.jpg") == ["Coffee cup."]


def test_rescan_of_unchanged_folder_decodes_nothing_and_loads_no_model(
    harness: Harness, photos: Path
) -> None:
    harness.add(photos)
    harness.index()
    harness.loads = 0
    report = harness.index()
    assert report.unchanged == len(list(photos.glob("*.jpg")))
    assert (report.added, report.encoded_images, report.encoded_captions) == (0, 0, 0)
    assert harness.loads == 0


def test_changed_photo_is_re_encoded_and_touched_one_is_not(harness: Harness, photos: Path) -> None:
    harness.add(photos)
    harness.index()
    Image.new("RGB", (64, 48), "red").save(photos / "coffee.jpg")
    stat = (photos / "rocket.jpg").stat()
    os.utime(photos / "rocket.jpg", ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    before = harness.encoder.images_encoded
    report = harness.index()
    assert report.updated == 1
    assert harness.encoder.images_encoded - before == 1


def test_renamed_and_moved_photos_keep_features_and_captions(
    harness: Harness, photos: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    harness.add(photos)
    harness.add(other)
    harness.index()
    (photos / "coffee.jpg").rename(photos / "morning.jpg")
    (photos / "coffee.txt").rename(photos / "morning.txt")
    shutil.move(photos / "chelsea.jpg", other / "chelsea.jpg")
    shutil.move(photos / "chelsea.txt", other / "chelsea.txt")
    images, texts = harness.encoder.images_encoded, harness.encoder.texts_encoded
    report = harness.index()
    assert report.moved == 2
    assert (report.added, report.removed) == (0, 0)
    assert harness.encoder.images_encoded == images
    assert harness.encoder.texts_encoded == texts
    assert harness.captions(photos / "morning.jpg") == ["Coffee cup."]
    assert harness.captions(other / "chelsea.jpg") == ["Chelsea the cat."]


def test_deleted_photo_is_removed_with_its_data(harness: Harness, photos: Path) -> None:
    harness.add(photos)
    harness.index()
    (photos / "coffee.jpg").unlink()
    report = harness.index()
    assert report.removed == 1
    assert harness.store.media.media_by_path(str(photos / "coffee.jpg")) is None


def test_most_of_a_folder_missing_removes_nothing_and_says_so(
    harness: Harness, photos: Path
) -> None:
    harness.add(photos)
    harness.index()
    n = len(list(photos.glob("*.jpg")))
    for path in list(photos.glob("*.jpg"))[:-2]:
        path.unlink()
    report = harness.index()
    assert report.removed == 0
    assert report.withheld_deletions
    assert "missing" in report.withheld_deletions[0]
    assert harness.store.stats().photos == n
    assert any("Nothing removed" in m for _, m in harness.store.media.problems())


def test_unmounted_folder_removes_nothing(harness: Harness, photos: Path, tmp_path: Path) -> None:
    harness.add(photos)
    harness.index()
    photos.rename(tmp_path / "unplugged")
    report = harness.index()
    assert report.removed == 0
    assert "not there" in report.withheld_deletions[0]


def test_bad_files_are_skipped_with_reasons_and_the_run_continues(
    harness: Harness, photos: Path
) -> None:
    bad = make_bad_files(photos)
    harness.add(photos)
    report = harness.index()
    reasons = {Path(s.path).name: s.reason for s in report.skipped}
    for key in ("empty", "text_as_jpg", "truncated", "huge"):
        assert bad[key].name in reasons, key
    assert "empty" in reasons[bad["empty"].name]
    assert harness.store.stats().photos_ready >= 11
    errors = dict(harness.store.media.errors())
    assert str(bad["truncated"]) in errors
    again = harness.index()
    assert again.skipped == ()  # not retried until the file changes


def test_every_supported_format_is_indexed(harness: Harness, photos: Path, tmp_path: Path) -> None:
    variants = tmp_path / "variants"
    variants.mkdir()
    made = make_format_variants(photos / "coffee.jpg", variants)
    harness.add(variants)
    report = harness.index()
    assert report.encoded_images == len(made)
    assert report.skipped == ()


def test_file_deleted_between_scan_and_decode_is_skipped(
    harness: Harness, photos: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.library.indexing import image_stage

    real = image_stage.open_image

    def vanish_then_open(path: Path, **kwargs: object) -> object:
        if path.name == "coffee.jpg" and path.exists():
            path.unlink()
        return real(path, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(image_stage, "open_image", vanish_then_open)
    harness.add(photos)
    report = harness.index()
    assert [Path(s.path).name for s in report.skipped] == ["coffee.jpg"]
    assert report.encoded_images == len(list(photos.glob("*.jpg")))


def test_interrupted_run_keeps_finished_batches_and_next_run_resumes(
    harness: Harness, photos: Path
) -> None:
    harness.add(photos)
    harness.encoder = FakeEncoder(fail_on_batch=2)
    with pytest.raises(KeyboardInterrupt):
        harness.index(batch_size=4)
    assert harness.store.stats().image_vectors == 4
    harness.encoder = FakeEncoder()
    report = harness.index(batch_size=4)
    assert report.encoded_images == len(list(photos.glob("*.jpg"))) - 4


def test_caption_edits_and_hashtags_reach_the_library(harness: Harness, photos: Path) -> None:
    harness.add(photos)
    harness.index()
    (photos / "coffee.txt").write_text("Coffee cup.\nMorning brew at the #cafe #Paris\n")
    texts = harness.encoder.texts_encoded
    harness.index()
    assert harness.captions(photos / "coffee.jpg") == [
        "Coffee cup.",
        "Morning brew at the #cafe #Paris",
    ]
    assert harness.encoder.texts_encoded - texts == 1
    record = harness.store.media.media_by_path(str(photos / "coffee.jpg"))
    assert record is not None
    assert harness.store.labels.names_of(record.id) == ["cafe", "paris"]


def test_folder_caption_files_and_bad_rows_are_reported(harness: Harness, photos: Path) -> None:
    (photos / "captions.csv").write_text(
        "file,caption,keywords\nrocket.jpg,A rocket on the pad,space;launch\n,orphan row\n"
    )
    harness.add(photos)
    harness.index()
    assert "A rocket on the pad" in harness.captions(photos / "rocket.jpg")
    record = harness.store.media.media_by_path(str(photos / "rocket.jpg"))
    assert record is not None
    assert set(harness.store.labels.names_of(record.id)) == {"space", "launch"}
    assert any("line 3" in m for _, m in harness.store.media.problems())


def test_hidden_folders_and_symlink_loops_are_skipped(harness: Harness, photos: Path) -> None:
    hidden = photos / ".thumbnails"
    hidden.mkdir()
    shutil.copy(photos / "coffee.jpg", hidden / "thumb.jpg")
    (photos / "loop").symlink_to(photos, target_is_directory=True)
    harness.add(photos)
    report = harness.index()
    assert report.added == len(list(photos.glob("*.jpg")))


def test_indexing_a_chosen_folder_leaves_the_others_alone(
    harness: Harness, photos: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    other.mkdir()
    shutil.copy(photos / "coffee.jpg", other / "cup.jpg")
    harness.add(photos)
    harness.add(other)
    target = harness.store.media.folder_by_path(str(other))
    assert target is not None
    indexer = Indexer(harness.store, harness.lazy(), harness.config, IndexOptions(batch_size=4))
    report = indexer.run([target])
    assert report.added == 1


def test_caption_file_in_a_parent_folder_describes_photos_below_it(
    harness: Harness, photos: Path
) -> None:
    album = photos / "album"
    album.mkdir()
    shutil.move(photos / "rocket.jpg", album / "rocket.jpg")
    (photos / "captions.jsonl").write_text('{"file": "album/rocket.jpg", "caption": "Lift-off"}\n')
    harness.add(photos)
    harness.index()
    assert harness.captions(album / "rocket.jpg") == ["Lift-off"]
    (photos / "captions.jsonl").write_text('{"file": "album/rocket.jpg", "caption": "Ignition"}\n')
    harness.index()
    assert harness.captions(album / "rocket.jpg") == ["Ignition"]


def test_an_exact_copy_reuses_the_original_vectors_without_decoding(
    harness: Harness, photos: Path
) -> None:
    harness.add(photos)
    harness.index()
    shutil.copy2(photos / "coffee.jpg", photos / "coffee copy.jpg")
    images = harness.encoder.images_encoded
    report = harness.index()
    assert (report.added, report.copies) == (1, 1)
    assert harness.encoder.images_encoded == images
    store = harness.store
    encoder = store.vectors.find_encoder("fake:1")
    assert encoder is not None
    ids, x = store.vectors.image_matrix(encoder)
    original = store.media.media_by_path(str(photos / "coffee.jpg"))
    copy = store.media.media_by_path(str(photos / "coffee copy.jpg"))
    assert original is not None
    assert copy is not None
    rows = {int(i): row for i, row in zip(ids, x, strict=True)}
    assert (rows[copy.id] == rows[original.id]).all()
    details = store.media.details(copy.id)
    assert details is not None
    assert details.status == "ready"
    assert details.width == store.media.details(original.id).width  # type: ignore[union-attr]
