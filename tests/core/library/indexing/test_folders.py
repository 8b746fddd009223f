from __future__ import annotations

from pathlib import Path

from core.library.folders import is_inside, register_folder
from tests.core.library.conftest import Harness
from tests.corpus import copy_real_photos


def test_folder_inside_a_registered_one_is_not_added_again(
    harness: Harness, tmp_path: Path
) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    first = register_folder(harness.store, str(tmp_path / "a"))
    again = register_folder(harness.store, str(tmp_path / "a" / "b"))
    assert again.covered_by_existing
    assert again.folder.id == first.folder.id
    assert [f.path for f in harness.store.media.folders()] == [str(tmp_path / "a")]


def test_parent_folder_absorbs_registered_children_and_keeps_their_photos(
    harness: Harness, tmp_path: Path
) -> None:
    child = tmp_path / "parent" / "child"
    child.mkdir(parents=True)
    copy_real_photos(child)
    register_folder(harness.store, str(child))
    harness.index()
    encoded = harness.encoder.images_encoded
    result = register_folder(harness.store, str(tmp_path / "parent"))
    assert result.absorbed == (str(child),)
    assert [f.path for f in harness.store.media.folders()] == [str(tmp_path / "parent")]
    report = harness.index()
    assert (report.added, report.removed, report.moved) == (0, 0, 0)
    assert harness.encoder.images_encoded == encoded
    assert harness.captions(child / "coffee.jpg") == ["Coffee cup."]


def test_is_inside_compares_whole_path_components() -> None:
    assert is_inside("/p/a", "/p")
    assert is_inside("/p", "/p")
    assert not is_inside("/photos2", "/photos")
