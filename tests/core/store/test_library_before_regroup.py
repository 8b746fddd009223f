"""A library written before the packages were regrouped (issue 18) works after it.

``tests/data/library-before-regroup.sqlite`` was written by the code of commit 04d605b
(before ``core/features``, ``core/indexing`` and ``core/hashing/models/fpo_*`` moved): 11
real photos with captions indexed with the tiny test model, then ``lsh`` (16 bits),
``fpo-cmh`` (16 bits, whose module moved to ``core/hashing/fpo_cmh``) and ``cca-itq``
(8 bits, active) trained with ``hashlens train``. Stored models name their method by
registry key, never by module path, so every one must load and reproduce its codes.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from core.library.training.code_writer import load_hasher
from core.store.database import Store
from core.store.records import EncoderRecord
from desktop_app.cli.main import run

FIXTURE = Path(__file__).parents[2] / "data" / "library-before-regroup.sqlite"


@pytest.fixture
def library(tmp_path: Path) -> Path:
    path = tmp_path / "lib.sqlite"
    shutil.copy(FIXTURE, path)
    return path


def test_every_stored_hasher_loads_and_reproduces_its_stored_codes(library: Path) -> None:
    with Store.open(library) as store:
        records = store.codes.hashers()
        assert {(h.name, h.n_bits) for h in records} == {
            ("lsh", 16), ("fpo-cmh", 16), ("cca-itq", 8),
        }  # fmt: skip
        for record in records:
            row = store.db.execute(
                "SELECT id, dim FROM encoders WHERE id = ?", [record.encoder_id]
            ).fetchone()
            encoder = EncoderRecord(row[0], "", row[1])
            hasher = load_hasher(store, record)
            ids, features = store.vectors.image_matrix(encoder)
            code_ids, codes = store.codes.codes(record.id, "image", record.n_bits // 8)
            assert len(ids) == 11
            assert np.array_equal(code_ids, ids)
            assert np.array_equal(hasher.encode_image(features), codes), record.name
            caption_ids, _, text = store.vectors.caption_matrix(encoder)
            text_ids, text_codes = store.codes.codes(record.id, "text", record.n_bits // 8)
            assert np.array_equal(text_ids, caption_ids)
            assert np.array_equal(hasher.encode_text(text), text_codes), record.name


def test_the_cli_reads_it_and_switches_hashers(
    library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lib = ["--library", str(library)]
    assert run([*lib, "status"]) == 0
    assert "Photos: 11 (11 indexed" in capsys.readouterr().out
    assert run([*lib, "hashers", "--json"]) == 0
    active = [r["method"] for r in json.loads(capsys.readouterr().out) if r["active"]]
    assert active == ["cca-itq"]
    assert run([*lib, "train", "--activate", "--method", "fpo-cmh", "--bits", "16"]) == 0
    assert "Search now uses fpo-cmh" in capsys.readouterr().out


def test_opening_it_marks_every_item_a_photo_and_drops_stale_raw_and_video_counts(
    library: Path,
) -> None:
    import sqlite3

    with sqlite3.connect(library) as conn:  # counts the walk kept before RAW/video were read
        folder_id = conn.execute("SELECT id FROM folders").fetchone()[0]
        conn.executemany(
            "INSERT INTO unsupported_files(folder_id, kind, count) VALUES (?, ?, ?)",
            [(folder_id, "raw", 4), (folder_id, "video", 2), (folder_id, "hidden", 1)],
        )
    conn.close()

    with Store.open(library) as store:
        kinds = store.db.execute("SELECT kind, COUNT(*) FROM media GROUP BY kind").fetchall()
        assert kinds == [("photo", 11)]
        assert store.media.unsupported() == {folder_id: {"hidden": 1}}
        assert (store.stats().raw_photos, store.stats().videos) == (0, 0)
