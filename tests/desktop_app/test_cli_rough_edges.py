"""The CLI's answers to a mistyped path, an empty query, a damaged or unwritable library.

None of these loads a model: each is refused (or answered) before one would load.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.cli.main import EXIT_BROKEN_PIPE, run
from tests.library_files import (
    flip_bytes_in_table,
    make_library_with_rows,
    read_only,
    read_only_mount,
    truncate_by,
)

NO_MODEL = ["--model", "no-such-model", "--pretrained", "/no/such/weights.pt"]
"""Any command that loaded a model with these would fail with a model error."""


def cli(*argv: str) -> int:
    return run(list(argv))


@pytest.fixture
def photos(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    return folder


@pytest.mark.parametrize(
    "command",
    [["status"], ["status", "--json"], ["search", "cat"], ["train", "--method", "lsh"],
     ["index"], ["remove", "/x"], ["tag", "/x"], ["watch"]],
)  # fmt: skip
def test_a_mistyped_library_is_not_created_by_a_command_that_does_not_make_one(
    tmp_path: Path, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    library = tmp_path / "libary.sqlite"
    assert cli("--library", str(library), *command) == 1
    err = capsys.readouterr().err
    assert f"There is no library at {library}" in err
    assert "hashlens add" in err
    assert not library.exists()
    assert list(tmp_path.rglob("*.sqlite*")) == []


def test_add_and_index_with_folders_create_the_library(
    tmp_path: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli("--library", str(tmp_path / "a.sqlite"), "add", str(photos)) == 0
    # index registers the folder, then needs a model (none here): the library stays
    cli("--library", str(tmp_path / "b.sqlite"), "index", "--no-progress", str(photos))
    assert f"Added {photos}" in capsys.readouterr().out
    assert (tmp_path / "a.sqlite").stat().st_size > 0
    assert (tmp_path / "b.sqlite").stat().st_size > 0


def test_an_empty_file_is_refused_even_by_add(
    tmp_path: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = tmp_path / "empty.sqlite"
    library.touch()
    assert cli("--library", str(library), "add", str(photos)) == 1
    assert "is an empty file, not a HashLens library" in capsys.readouterr().err
    assert library.stat().st_size == 0


def test_a_missing_config_file_is_an_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = tmp_path / "lib.sqlite"
    make_library_with_rows(library)
    assert cli("--config", str(tmp_path / "setings.toml"), "--library", str(library), "status") == 1
    assert "setings.toml (--config) does not exist" in capsys.readouterr().err


@pytest.mark.parametrize("query", ["", "   "])
def test_an_empty_search_text_is_refused(
    tmp_path: Path, query: str, capsys: pytest.CaptureFixture[str]
) -> None:
    library = tmp_path / "lib.sqlite"
    make_library_with_rows(library)
    assert cli("--library", str(library), "search", query, *NO_MODEL) == 1
    assert "The search text is empty" in capsys.readouterr().err


def test_a_missing_query_image_is_said_not_to_exist(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = tmp_path / "lib.sqlite"
    make_library_with_rows(library)
    image = tmp_path / "holiday.jpg"
    assert cli("--library", str(library), "search", "--image", str(image), *NO_MODEL) == 1
    err = capsys.readouterr().err
    assert f"The image {image} (--image) does not exist" in err
    assert "moved or deleted" not in err
    assert cli("--library", str(library), "search", "--image", str(tmp_path), *NO_MODEL) == 1
    assert "(--image) is a folder; give one image file" in capsys.readouterr().err


def test_searching_an_unindexed_library_says_so_before_loading_a_model(
    tmp_path: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = tmp_path / "lib.sqlite"
    assert cli("--library", str(library), "add", str(photos)) == 0
    capsys.readouterr()
    assert cli("--library", str(library), "search", "cat", *NO_MODEL) == 1
    err = capsys.readouterr().err
    assert "The library has no indexed photos yet" in err
    assert "hashlens index" in err
    assert "no-such-model" not in err  # no model was loaded, and no id is named


def test_a_text_search_of_captions_needs_indexed_captions(
    tmp_path: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = tmp_path / "lib.sqlite"
    assert cli("--library", str(library), "add", str(photos)) == 0
    capsys.readouterr()
    assert cli("--library", str(library), "search", "cat", "--target", "captions", *NO_MODEL) == 1
    assert "The library has no indexed captions yet" in capsys.readouterr().err


def test_a_truncated_library_is_refused_in_words_and_left_as_it_was(
    tmp_path: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = tmp_path / "lib.sqlite"
    make_library_with_rows(library)
    truncate_by(library, 0.01)
    before = library.read_bytes()
    for command in (["status"], ["add", str(photos)]):
        assert cli("--library", str(library), *command) == 1
        assert f"The library {library} is damaged" in capsys.readouterr().err
    assert library.read_bytes() == before


def test_a_library_with_flipped_bytes_is_refused_by_every_command(
    tmp_path: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = tmp_path / "lib.sqlite"
    make_library_with_rows(library)
    flip_bytes_in_table(library, "media")
    before = library.read_bytes()
    for command in (["status"], ["add", str(photos)], ["search", "cat", *NO_MODEL]):
        assert cli("--library", str(library), *command) == 1
        err = capsys.readouterr().err
        assert "is damaged" in err
        assert "Traceback" not in err
    assert library.read_bytes() == before


def test_status_reads_a_library_on_a_read_only_mount_and_add_says_why_it_cannot(
    tmp_path: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "lib.sqlite"
    make_library_with_rows(source)
    with read_only_mount(tmp_path / "mnt", [source]) as folder:
        library = folder / "lib.sqlite"
        assert cli("--library", str(library), "status") == 0
        out = capsys.readouterr().out
        assert "(read-only)" in out
        assert "Photos: 200" in out
        assert cli("--library", str(library), "add", str(photos)) == 1
        err = capsys.readouterr().err
        assert "cannot be written: it is on a read-only disk or mount" in err
        assert "not a SQLite database" not in err


def test_status_reads_a_library_in_a_read_only_folder(
    tmp_path: Path, photos: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "shared"
    folder.mkdir()
    library = folder / "lib.sqlite"
    make_library_with_rows(library)
    with read_only(folder):
        assert cli("--library", str(library), "status", "--json") == 0
        assert '"photos": 200' in capsys.readouterr().out
        assert cli("--library", str(library), "tag", "/photos/00001.jpg") == 0
        assert "/photos/00001.jpg\n  (no labels)" in capsys.readouterr().out
        assert cli("--library", str(library), "add", str(photos)) == 1
        assert f"its folder {folder} is read-only" in capsys.readouterr().err


def test_output_cut_off_by_head_ends_quietly(tmp_path: Path) -> None:
    """``hashlens status | head -1``: the reader leaves; no BrokenPipeError traceback."""
    library = tmp_path / "lib.sqlite"
    make_library_with_rows(library)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-m", "desktop_app.cli.main", "--library", str(library)]
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    try:
        done = subprocess.run(
            [*command, "status", "--json"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=env,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert done.stderr.decode() == ""
    assert done.returncode == EXIT_BROKEN_PIPE


def test_damage_met_while_reading_an_unchecked_library_is_worded_too(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Above READ_CHECK_MAX_BYTES, status skips the whole-file check: the damaged table it
    reads still ends in the damaged-library message, not a traceback."""
    monkeypatch.setattr("desktop_app.cli.main.READ_CHECK_MAX_BYTES", 0)
    library = tmp_path / "lib.sqlite"
    make_library_with_rows(library)
    flip_bytes_in_table(library, "folders")  # status lists them
    before = library.read_bytes()
    assert cli("--library", str(library), "status") == 1
    err = capsys.readouterr().err
    assert f"The library {library} is damaged" in err
    assert library.read_bytes() == before
