from __future__ import annotations

import os
import shutil
from pathlib import Path

from core.config import IndexingConfig
from core.library.indexing.file_walk import walk
from core.library.indexing.scanner import Scanner, ancestors
from core.media.content_hash import CHUNK_BYTES, content_hash
from core.store.records import FolderRecord, MediaRecord


def test_content_hash_follows_content_not_name(tmp_path: Path) -> None:
    data = os.urandom(3 * CHUNK_BYTES)
    a, b = tmp_path / "a.jpg", tmp_path / "b.jpg"
    a.write_bytes(data)
    b.write_bytes(data)
    assert content_hash(str(a), len(data)) == content_hash(str(b), len(data))
    b.write_bytes(data[:-1] + bytes([data[-1] ^ 1]))  # last byte differs
    assert content_hash(str(a), len(data)) != content_hash(str(b), len(data))


def test_content_hash_of_small_files_covers_every_byte(tmp_path: Path) -> None:
    data = bytearray(os.urandom(CHUNK_BYTES + 100))
    path = tmp_path / "x.png"
    path.write_bytes(data)
    before = content_hash(str(path), len(data))
    data[CHUNK_BYTES + 50] ^= 0xFF
    path.write_bytes(data)
    assert content_hash(str(path), len(data)) != before


def test_walk_lists_images_skips_hidden_and_system_folders(tmp_path: Path) -> None:
    for rel in ("a.JPG", "b.heic", "notes.txt", ".hidden.jpg", "sub/c.webp", ".cache/d.jpg",
                "@eaDir/e.jpg", "$RECYCLE.BIN/f.jpg"):  # fmt: skip
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    found = sorted(os.path.relpath(p, tmp_path) for p in walk(str(tmp_path)).image_stats())
    assert found == ["a.JPG", "b.heic", "sub/c.webp"]


def test_walk_of_a_missing_root_says_so(tmp_path: Path) -> None:
    assert not walk(str(tmp_path / "gone")).root_exists


def test_walk_follows_a_symlinked_folder_once(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "a.jpg").write_bytes(b"x")
    (tmp_path / "link").symlink_to(real, target_is_directory=True)
    (real / "back").symlink_to(tmp_path, target_is_directory=True)
    assert len(walk(str(tmp_path)).image_stats()) == 1


def test_plan_pairs_a_renamed_file_with_its_record(tmp_path: Path) -> None:
    data = os.urandom(1000)
    (tmp_path / "new-name.jpg").write_bytes(data)
    folder = FolderRecord(1, str(tmp_path), True, False, "")
    old_path = str(tmp_path / "old-name.jpg")
    digest = content_hash(str(tmp_path / "new-name.jpg"), 1000)
    stored = {1: {old_path: MediaRecord(7, 1, old_path, 1000, 1, digest, "ready", "")}}
    plan = Scanner(IndexingConfig()).plan([folder], stored)
    assert [(m.media_id, m.new_path) for m in plan.moved] == [(7, str(tmp_path / "new-name.jpg"))]
    assert (plan.new, plan.deleted) == ([], [])


def test_plan_treats_a_copy_as_new_while_the_original_stays(tmp_path: Path) -> None:
    (tmp_path / "a.jpg").write_bytes(os.urandom(1000))
    shutil.copy(tmp_path / "a.jpg", tmp_path / "copy.jpg")
    st = (tmp_path / "a.jpg").stat()
    folder = FolderRecord(1, str(tmp_path), True, False, "")
    path = str(tmp_path / "a.jpg")
    record = MediaRecord(
        1, 1, path, st.st_size, st.st_mtime_ns, content_hash(path, 1000), "ready", ""
    )
    plan = Scanner(IndexingConfig()).plan([folder], {1: {path: record}})
    assert [Path(n.path).name for n in plan.new] == ["copy.jpg"]
    assert plan.moved == []
    assert plan.unchanged == 1


def test_ancestors_stop_at_the_root() -> None:
    assert ancestors("/p/a/b", "/p") == ["/p/a/b", "/p/a", "/p"]
    assert ancestors("/p", "/p") == ["/p"]


def test_plan_leaves_files_still_being_written_and_defers_deletions_but_not_moves(
    tmp_path: Path,
) -> None:
    folder = FolderRecord(1, str(tmp_path), True, False, "")
    moved_data = os.urandom(1000)
    (tmp_path / "moved-here.jpg").write_bytes(moved_data)
    (tmp_path / "arriving.jpg").write_bytes(b"\xff\xd8 half")
    (tmp_path / "rewritten.jpg").write_bytes(b"new bytes, still coming")
    moved_from, gone, rewritten = (
        str(tmp_path / n) for n in ("old.jpg", "gone.jpg", "rewritten.jpg")
    )
    digest = content_hash(str(tmp_path / "moved-here.jpg"), 1000)
    stored = {
        1: {
            moved_from: MediaRecord(1, 1, moved_from, 1000, 1, digest, "ready", ""),
            gone: MediaRecord(2, 1, gone, 5, 1, "x", "ready", ""),
            rewritten: MediaRecord(3, 1, rewritten, 5, 1, "y", "ready", ""),
        }
    }
    unsettled = frozenset({str(tmp_path / "arriving.jpg"), rewritten})
    plan = Scanner(IndexingConfig()).plan([folder], stored, unsettled=unsettled)
    assert plan.new == []  # arriving.jpg waits until it is complete
    assert plan.changed == []  # so does the rewrite of a stored photo
    assert [(m.media_id, Path(m.new_path).name) for m in plan.moved] == [(1, "moved-here.jpg")]
    assert plan.deleted == []  # gone.jpg may be the file still arriving: next run decides
    settled = Scanner(IndexingConfig()).plan([folder], stored)
    assert sorted(settled.deleted) == [2]
