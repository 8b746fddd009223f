"""Training on stored features, codes for every item, and codes that never go stale."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from core.encoders.concepts import load_vocabulary
from core.errors import HashingInputError
from core.hashing import list_hashers
from core.hashing.registry import get_spec
from core.library.training.code_writer import load_hasher
from core.library.training.concept_prompts import embed_concepts
from core.library.training.trainer import Trainer, TrainOptions
from core.library.training.training_data import load_pseudo_pairs
from core.store.records import EncoderRecord
from tests.core.library.conftest import Harness

COLOURS = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220)}


def make_labelled_photos(folder: Path, per_colour: int = 6, tag: bool = True) -> None:
    """Photos in colour albums, each with a caption; tagged ones carry a #hashtag label."""
    rng = np.random.default_rng(0)
    for name, rgb in COLOURS.items():
        album = folder / name
        album.mkdir(parents=True, exist_ok=True)
        for i in range(per_colour):
            noise = rng.integers(-25, 25, (32, 48, 3))
            pixels = np.clip(np.array(rgb) + noise, 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(album / f"{name}{i}.png")
            text = f"a {name} picture number {i}" + (f" #{name}" if tag else "")
            (album / f"{name}{i}.png.txt").write_text(text)


def encoder_of(harness: Harness) -> EncoderRecord:
    record = harness.store.known_encoder("fake-config")
    assert record is not None
    return record


def code_count(harness: Harness, modality: str) -> int:
    row = harness.store.db.execute(
        "SELECT COUNT(*) FROM codes WHERE modality = ?", [modality]
    ).fetchone()
    return int(row[0])


@pytest.fixture
def labelled(harness: Harness, tmp_path: Path) -> Path:
    folder = tmp_path / "albums"
    make_labelled_photos(folder)
    harness.add(folder)
    harness.index()
    return folder


@pytest.mark.parametrize("method", ["batch", "hpseh"])
def test_supervised_training_uses_hashtags_and_codes_every_item(
    harness: Harness, labelled: Path, method: str
) -> None:
    report = Trainer(harness.store, encoder_of(harness)).train(TrainOptions(method, 8))
    assert report.rows == 18
    assert report.classes == 3
    assert report.origin_counts == {"hashtag": 18}
    assert report.codes.images == 18
    assert report.codes.texts == 18
    assert report.hasher.is_active
    assert code_count(harness, "image") == 18 == code_count(harness, "text")
    details = json.loads(report.hasher.details)
    assert details["labels_by_origin"] == {"hashtag": 18}


def test_codes_in_the_library_equal_the_stored_model_applied_to_stored_features(
    harness: Harness, labelled: Path
) -> None:
    encoder = encoder_of(harness)
    record = Trainer(harness.store, encoder).train(TrainOptions("cca-itq", 8)).hasher
    hasher = load_hasher(harness.store, record)
    ids, codes = harness.store.codes.codes(record.id, "image", 1)
    expected = hasher.encode_image(harness.store.vectors.vectors_of(encoder, "image", ids.tolist()))
    np.testing.assert_array_equal(codes, expected)


def test_new_changed_and_deleted_photos_keep_codes_in_step(
    harness: Harness, labelled: Path
) -> None:
    Trainer(harness.store, encoder_of(harness)).train(TrainOptions("lsh", 16))
    red0 = labelled / "red" / "red0.png"
    before = harness.store.media.media_by_path(str(red0))
    assert before is not None
    # a new photo, an edited photo and a deleted photo
    Image.new("RGB", (40, 30), (250, 250, 0)).save(labelled / "red" / "yellow.png")
    Image.new("RGB", (40, 30), (0, 0, 0)).save(red0)
    os.utime(red0, ns=(1, 1))
    (labelled / "blue" / "blue1.png").unlink()
    report = harness.index()
    assert report.added == 1
    assert report.updated == 1
    assert report.removed == 1
    assert report.hashed == 2  # the new photo and the re-encoded one
    assert code_count(harness, "image") == 18
    record = harness.store.codes.active_hasher(encoder_of(harness).id)
    assert record is not None
    ids, codes = harness.store.codes.codes(record.id, "image", 2)
    hasher = load_hasher(harness.store, record)
    vectors = harness.store.vectors.vectors_of(encoder_of(harness), "image", ids.tolist())
    np.testing.assert_array_equal(codes, hasher.encode_image(vectors))
    assert harness.index().hashed == 0


def test_album_folders_become_labels_when_asked(harness: Harness, tmp_path: Path) -> None:
    folder = tmp_path / "untagged"
    make_labelled_photos(folder, tag=False)
    harness.add(folder)
    harness.index()
    trainer = Trainer(harness.store, encoder_of(harness))
    with pytest.raises(HashingInputError, match="no photo it can train on has a keyword"):
        trainer.train(TrainOptions("batch", 8))
    report = trainer.train(TrainOptions("batch", 8, albums=True))
    assert report.origin_counts == {"album": 18}
    assert report.classes == 3
    (registered,) = harness.store.media.folders()
    with harness.store.atomic():  # opted in once, for every training
        harness.store.media.set_album_source(registered.id, True)
    assert trainer.train(TrainOptions("batch", 8)).origin_counts == {"album": 18}


def test_retraining_replaces_the_old_version_and_its_codes(
    harness: Harness, labelled: Path
) -> None:
    trainer = Trainer(harness.store, encoder_of(harness))
    first = trainer.train(TrainOptions("lsh", 8)).hasher
    second = trainer.train(TrainOptions("lsh", 8, seed=3)).hasher
    other = trainer.train(TrainOptions("cca-itq", 8)).hasher
    versions = {(h.name, h.version, h.is_active) for h in harness.store.codes.hashers()}
    assert versions == {("lsh", 2, False), ("cca-itq", 1, True)}
    assert first.id not in {h.id for h in harness.store.codes.hashers()}
    assert second.version == 2
    assert other.is_active
    assert code_count(harness, "image") == 36  # lsh v2 and cca-itq, 18 each


def test_retraining_at_another_length_keeps_the_other_lengths(
    harness: Harness, labelled: Path
) -> None:
    trainer = Trainer(harness.store, encoder_of(harness))
    trainer.train(TrainOptions("lsh", 16))
    trainer.train(TrainOptions("lsh", 8))
    trainer.train(TrainOptions("lsh", 8, seed=3))
    kept = {(h.name, h.n_bits, h.version) for h in harness.store.codes.hashers()}
    assert ("lsh", 16, 1) in kept
    assert {v for name, bits, v in kept if bits == 8} == {3}


def _captionless(harness: Harness, tmp_path: Path) -> None:
    """The colour albums again, with no caption anywhere (a typical camera folder)."""
    folder = tmp_path / "bare"
    make_labelled_photos(folder)
    for sidecar in folder.rglob("*.txt"):
        sidecar.unlink()
    harness.add(folder)
    harness.index()


@pytest.mark.parametrize("method", list_hashers())
def test_a_library_without_captions_trains_every_method_on_pseudo_pairs(
    harness: Harness, tmp_path: Path, method: str
) -> None:
    _captionless(harness, tmp_path)
    albums = get_spec(method).supervision == "supervised"  # labels from the album folders
    trainer = Trainer(harness.store, encoder_of(harness), harness.lazy())
    report = trainer.train(TrainOptions(method, 8, albums=albums))
    assert report.rows == report.photos == report.pseudo_pairs == 18
    assert report.codes.images == 18
    assert report.codes.texts == 0  # no captions to code
    assert report.hasher.is_active
    assert json.loads(report.hasher.details)["pseudo_pairs"] == 18


def test_pseudo_pairs_pair_each_photo_with_the_prompts_it_resembles(
    harness: Harness, tmp_path: Path
) -> None:
    _captionless(harness, tmp_path)
    encoder = encoder_of(harness)
    concepts = embed_concepts(harness.lazy().get(), load_vocabulary())
    data = load_pseudo_pairs(harness.store, encoder, lambda: concepts, albums=True)
    assert data is not None
    assert (data.caption_ids == -1).all()
    assert data.label_names == ("blue", "green", "red")
    # the text side is the prompt mix the photo is closest to, not the photo itself
    best = np.argmax(data.features.image @ concepts.T, axis=1)
    agreement = np.sum(data.features.text * concepts[best], axis=1)
    assert float(agreement.min()) > 0.5
    assert not np.allclose(data.features.text, data.features.image)


def test_a_library_without_captions_and_without_its_model_says_what_training_needs(
    harness: Harness, tmp_path: Path
) -> None:
    _captionless(harness, tmp_path)
    with pytest.raises(HashingInputError, match="No photo in this library has a caption"):
        Trainer(harness.store, encoder_of(harness)).train(TrainOptions("lsh", 8))
    assert harness.store.codes.hashers() == []


def test_a_library_with_captions_trains_on_its_real_pairs_only(
    harness: Harness, labelled: Path, tmp_path: Path
) -> None:
    bare = tmp_path / "more"
    bare.mkdir()
    Image.new("RGB", (30, 30), (9, 9, 9)).save(bare / "uncaptioned.png")
    harness.add(bare)
    harness.index()
    report = Trainer(harness.store, encoder_of(harness), harness.lazy()).train(
        TrainOptions("lsh", 8)
    )
    assert report.rows == 18
    assert report.pseudo_pairs == 0
    assert report.codes.images == 19  # the uncaptioned photo still gets its code


def test_bad_code_length_changes_nothing(harness: Harness, labelled: Path) -> None:
    with pytest.raises(HashingInputError, match="multiple of 8"):
        Trainer(harness.store, encoder_of(harness)).train(TrainOptions("lsh", 12))
    assert harness.store.codes.hashers() == []
    assert code_count(harness, "image") == 0


def test_search_refuses_a_stored_model_that_no_longer_fits_the_encoder(
    harness: Harness, labelled: Path
) -> None:
    from core.config import SearchConfig
    from core.errors import IncompatibleCodesError
    from core.search.engine import SearchEngine

    encoder = encoder_of(harness)
    record = Trainer(harness.store, encoder).train(TrainOptions("lsh", 8)).hasher
    engine = SearchEngine(harness.store, harness.lazy(), harness.config, SearchConfig())
    assert engine.mode() == "rerank"
    # the model blob is damaged: search says so instead of crashing or guessing
    with harness.store.atomic():
        harness.store.db.execute("UPDATE hashers SET model = x'00ff' WHERE id = ?", [record.id])
    engine.refresh()
    with pytest.raises(IncompatibleCodesError, match="cannot be used; retrain"):
        engine.mode("rerank")
    assert engine.mode() == "exact"  # auto falls back; exact search keeps working
    # a model trained on features of another dimension is refused the same way
    from core.hashing import PairedFeatures, create_hasher

    other = create_hasher("lsh", 8).fit(PairedFeatures(np.ones((4, 5)), np.ones((4, 5))))
    with harness.store.atomic():
        harness.store.db.execute(
            "UPDATE hashers SET model = ? WHERE id = ?", [other.to_bytes(), record.id]
        )
    engine.refresh()
    with pytest.raises(IncompatibleCodesError, match="does not match the model"):
        engine.mode("hamming")
    assert engine.mode("exact") == "exact"


def test_photos_re_encoded_while_training_still_get_codes_from_the_new_hasher(
    harness: Harness, labelled: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.library.training.trainer as trainer_module

    encoder = encoder_of(harness)
    real = trainer_module.write_missing_codes
    calls = []

    def racing_index_run(*args: Any, **kwargs: Any) -> Any:
        written = real(*args, **kwargs)
        if not calls:  # an index run re-encodes a photo right after the first pass
            ids, vectors = harness.store.vectors.image_matrix(encoder)
            with harness.store.atomic():
                harness.store.vectors.put_image_features(encoder.id, [int(ids[0])], vectors[:1])
        calls.append(written)
        return written

    monkeypatch.setattr(trainer_module, "write_missing_codes", racing_index_run)
    report = Trainer(harness.store, encoder).train(TrainOptions("lsh", 8))
    assert len(calls) == 2
    assert calls[1].images == 1
    assert code_count(harness, "image") == 18
    assert report.codes.images == 19


def test_auto_compares_methods_on_held_out_pairs_and_records_the_choice(
    harness: Harness, tmp_path: Path
) -> None:
    folder = tmp_path / "albums"
    make_labelled_photos(folder, per_colour=45)
    harness.add(folder)
    harness.index()
    report = Trainer(harness.store, encoder_of(harness)).train(TrainOptions("auto", 8))
    selection = report.selection
    assert selection is not None
    assert selection.situation == "labelled"
    assert report.hasher.name == selection.key
    assert selection.key in {"batch", "hpseh"}
    assert report.tuning is selection.tuning  # the winner is not searched twice
    details = json.loads(report.hasher.details)
    assert details["auto"]["method"] == selection.key
    assert set(details["auto"]["scores"]) == {"batch", "hpseh"}
    assert details["tuning"]["status"] == "tuned"
    stored = load_hasher(harness.store, report.hasher)
    assert stored.tuning == report.tuning
    assert report.tuning is not None
    for name, value in report.tuning.chosen.items():
        assert stored.get_params()[name] == value


def test_auto_on_a_small_library_uses_the_documented_method_and_says_why(
    harness: Harness, labelled: Path
) -> None:
    report = Trainer(harness.store, encoder_of(harness)).train(TrainOptions("auto", 8))
    assert report.selection is not None
    assert report.hasher.name == "batch"
    assert "could not be compared" in report.selection.reason
    assert report.tuning is not None
    assert report.tuning.status == "defaults"
    assert "18 pairs are too few" in report.tuning.message
