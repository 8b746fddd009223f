"""An online hasher keeps learning from new photos at indexing time; stored codes never change."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.hashing import Hasher, PairedFeatures, StreamBatch, create_hasher
from core.hashing.fpo_cmh.hasher import FPOCMH
from core.library.training.code_writer import MissingItems, load_hasher
from core.library.training.online_update import learn_from_new_items, plan_stream
from core.library.training.trainer import Trainer, TrainOptions
from core.store.database import Store
from core.store.records import HasherRecord
from tests.core.hashing.clustered import clustered_pairs
from tests.core.library.conftest import Harness
from tests.core.library.training.test_trainer import encoder_of, make_labelled_photos


def all_codes(store: Store, record: HasherRecord) -> dict[tuple[str, int], bytes]:
    rows = store.db.execute(
        "SELECT modality, item_id, code FROM codes WHERE hasher_id = ?", [record.id]
    ).fetchall()
    return {(str(m), int(i)): bytes(c) for m, i, c in rows}


def active(harness: Harness) -> HasherRecord:
    record = harness.store.codes.active_hasher(encoder_of(harness).id)
    assert record is not None
    return record


def learner_of(store: Store, record: HasherRecord) -> FPOCMH:
    hasher = load_hasher(store, record)
    assert isinstance(hasher, FPOCMH)
    return hasher


def add_photo(folder: Path, name: str, rgb: tuple[int, int, int], caption: str | None) -> None:
    Image.new("RGB", (36, 28), rgb).save(folder / name)
    if caption is not None:
        (folder / f"{name}.txt").write_text(caption)


@pytest.fixture
def trained(harness: Harness, tmp_path: Path) -> Path:
    folder = tmp_path / "albums"
    make_labelled_photos(folder)
    add_photo(folder / "red", "plain.png", (200, 60, 60), None)  # a photo without caption
    harness.add(folder)
    harness.index()
    Trainer(harness.store, encoder_of(harness)).train(TrainOptions("fpo-cmh", 8))
    return folder


def test_new_items_teach_the_model_then_are_coded_by_it(harness: Harness, trained: Path) -> None:
    store = harness.store
    record = active(harness)
    before_blob = store.codes.model_bytes(record.id)
    before_codes = all_codes(store, record)
    before = Hasher.from_bytes(before_blob)
    # new: a captioned photo, an uncaptioned photo, and a caption for an old photo
    add_photo(trained / "green", "new_pair.png", (40, 220, 60), "a green picture #green")
    add_photo(trained / "blue", "new_alone.png", (20, 30, 240), None)
    plain = store.media.media_by_path(str(trained / "red" / "plain.png"))
    assert plain is not None
    with store.atomic():
        store.media.add_user_caption(plain.id, "a plain red square")

    report = harness.index()

    assert report.added == 2
    assert report.hashed == 4  # two photos, two captions
    after_blob = store.codes.model_bytes(record.id)
    assert after_blob != before_blob
    after_codes = all_codes(store, record)
    assert {k: after_codes[k] for k in before_codes} == before_codes  # byte-identical
    new_keys = set(after_codes) - set(before_codes)
    assert {m for m, _ in new_keys} == {"image", "text"}
    assert len(new_keys) == 4
    # the new codes come from the model that has learned from them (the stored one)
    encoder = encoder_of(harness)
    hasher = learner_of(store, record)
    assert before.to_bytes() != hasher.to_bytes()
    for modality, item in new_keys:
        vector = store.vectors.vectors_of(encoder, modality, [item])  # type: ignore[arg-type]
        encode = hasher.encode_image if modality == "image" else hasher.encode_text
        assert encode(vector)[0].tobytes() == after_codes[(modality, item)]
    assert hasher.learner.seen == [2, 2]  # one pair, one photo alone, one caption alone
    online = json.loads(active(harness).details)["online"]
    assert (online["pairs"], online["images"], online["texts"], online["updates"]) == (1, 1, 1, 1)
    # the hasher's own summary is kept for status and the hashing card (issue #15)
    assert (online["images_seen"], online["texts_seen"]) == (2, 2)
    assert online["bank_rows"] == hasher.learner.bank.size
    assert 0.0 <= online["drift"] <= 1.0


def test_learning_resumes_from_the_stored_state_after_a_restart(
    harness: Harness, trained: Path, tmp_path: Path
) -> None:
    record = active(harness)
    for i in range(3):
        add_photo(trained / "red", f"r{i}.png", (250, 10 * i, 0), f"red thing {i} #red")
    harness.index()
    first = learner_of(harness.store, record)
    assert first.learner.seen == [3, 3]
    harness.store.close()
    # a new process: everything is read back from the library file
    again = Harness(tmp_path)
    try:
        for i in range(2):
            add_photo(trained / "blue", f"b{i}.png", (0, 10 * i, 250), None)
        again.index()
        resumed = learner_of(again.store, active(again))
        assert resumed.learner.seen == [5, 3]
        # exactly what the first model would have learned from the same two photos
        media = [
            again.store.media.media_by_path(str(trained / "blue" / f"b{i}.png")) for i in (0, 1)
        ]
        ids = [m.id for m in media if m is not None]
        vectors = again.store.vectors.vectors_of(encoder_of(again), "image", ids)
        first.partial_fit(StreamBatch(image=vectors))
        expected, got = first.state_dict(), resumed.state_dict()
        for key in expected:
            np.testing.assert_array_equal(got[key], expected[key], err_msg=key)
    finally:
        again.store.close()
        harness.store = Store.open(tmp_path / "library.sqlite")  # the fixture closes it


def test_offline_hashers_are_not_touched_by_indexing(harness: Harness, tmp_path: Path) -> None:
    folder = tmp_path / "albums"
    make_labelled_photos(folder)
    harness.add(folder)
    harness.index()
    record = Trainer(harness.store, encoder_of(harness)).train(TrainOptions("cca-itq", 8)).hasher
    blob = harness.store.codes.model_bytes(record.id)
    add_photo(folder / "red", "extra.png", (255, 0, 0), "red extra #red")
    assert harness.index().hashed == 2
    assert harness.store.codes.model_bytes(record.id) == blob
    assert "online" not in json.loads(active(harness).details)


def test_stream_plan_pairs_new_photos_with_their_first_new_caption(
    harness: Harness, trained: Path
) -> None:
    from core.library.training.code_writer import MissingItems

    store = harness.store
    photo = store.media.media_by_path(str(trained / "red" / "red0.png"))
    other = store.media.media_by_path(str(trained / "green" / "green0.png"))
    assert photo is not None
    assert other is not None
    with store.atomic():
        extra = store.media.add_user_caption(photo.id, "second caption")
    first = store.media.captions_of(photo.id)[0][0]
    other_caption = store.media.captions_of(other.id)[0][0]
    plan = plan_stream(store, MissingItems([photo.id], [first, extra, other_caption]))
    assert plan.pairs == [(photo.id, first)]
    assert plan.images == []
    assert plan.texts == [extra, other_caption]


def test_cancelled_learning_keeps_what_it_learned(
    harness: Harness, trained: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.library.indexing.indexer
    from core.errors import TaskCancelled
    from core.library.training.code_writer import MissingItems
    from core.library.training.online_update import learn_from_new_items
    from core.progress import CancelToken, Progress

    store, record = harness.store, active(harness)
    add_photo(trained / "green", "pair.png", (40, 200, 60), "a green one #green")
    add_photo(trained / "blue", "alone.png", (20, 30, 240), None)
    monkeypatch.setattr(core.library.indexing.indexer, "learn_from_new_items", lambda *a, **k: None)
    harness.index()  # coded, not learned from: learn by hand, cancelled after the pair
    photos = [
        store.media.media_by_path(str(trained / p)) for p in ("green/pair.png", "blue/alone.png")
    ]
    ids = [m.id for m in photos if m is not None]
    caption = store.media.captions_of(ids[0])[0][0]
    token = CancelToken()
    seen: list[Progress] = []

    def on_progress(progress: Progress) -> None:
        seen.append(progress)
        token.cancel()

    hasher = load_hasher(store, record)
    with pytest.raises(TaskCancelled):
        learn_from_new_items(
            store, record, hasher, encoder_of(harness), MissingItems(ids, [caption]),
            progress=on_progress, cancel=token,
        )  # fmt: skip
    assert [(p.stage, p.done, p.total) for p in seen] == [("learning", 1, 2)]
    assert learner_of(store, record).learner.seen == [1, 1]  # the pair, not the photo alone
    assert json.loads(active(harness).details)["online"]["pairs"] == 1


def test_the_indexer_codes_new_items_with_the_model_that_learned_from_them(
    harness: Harness, trained: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.library.indexing.indexer

    store, record = harness.store, active(harness)
    before = all_codes(store, record)
    add_photo(trained / "green", "late.png", (40, 200, 60), "a late green one #green")
    learned: list[FPOCMH] = []

    def learn_and_turn_around(store: Store, record: HasherRecord, hasher: FPOCMH, *a, **k):  # type: ignore[no-untyped-def]
        out = learn_from_new_items(store, record, hasher, *a, **k)
        for head in hasher.learner.heads:  # a model that codes everything differently
            head.W *= -1
            head.b *= -1
        learned.append(hasher)
        return out

    monkeypatch.setattr(
        core.library.indexing.indexer, "learn_from_new_items", learn_and_turn_around
    )
    harness.index()
    (model,) = learned
    new = set(all_codes(store, record)) - set(before)
    assert len(new) == 2
    for modality, item in new:
        vector = store.vectors.vectors_of(encoder_of(harness), modality, [item])  # type: ignore[arg-type]
        encode = model.encode_image if modality == "image" else model.encode_text
        assert encode(vector)[0].tobytes() == all_codes(store, record)[(modality, item)]


def test_learning_cancelled_by_the_indexer_still_codes_every_new_item(
    harness: Harness, trained: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import core.library.indexing.indexer
    from core.errors import TaskCancelled

    store, record = harness.store, active(harness)
    before = all_codes(store, record)
    add_photo(trained / "green", "late.png", (40, 200, 60), "a late green one #green")

    def cancelled(*args: object, **kwargs: object) -> None:
        raise TaskCancelled("Indexing was cancelled.")

    monkeypatch.setattr(core.library.indexing.indexer, "learn_from_new_items", cancelled)
    assert harness.index().cancelled
    after = all_codes(store, record)
    assert {k: after[k] for k in before} == before
    assert {m for m, _ in set(after) - set(before)} == {"image", "text"}


def test_a_batch_the_model_rejects_is_skipped_and_indexing_goes_on(
    harness: Harness, trained: Path
) -> None:
    """Issue #15: features of another dimension must not stop indexing or watching."""
    store = harness.store
    record = active(harness)
    encoder = encoder_of(harness)
    media = [int(r[0]) for r in store.db.execute("SELECT id FROM media LIMIT 2").fetchall()]
    other = clustered_pairs(120, dim=20, subspace=4, seed=1)  # a model for 20-d features
    foreign = create_hasher("fpo-cmh", 8).fit(PairedFeatures(other.image, other.text, other.labels))
    blob = store.codes.model_bytes(record.id)
    learned = learn_from_new_items(
        store, record, foreign, encoder, MissingItems(images=media, texts=[])
    )
    assert learned is None  # nothing learned, nothing stored, no exception
    assert store.codes.model_bytes(record.id) == blob


def test_photos_of_a_new_kind_in_a_watched_folder_get_their_kind_s_codeword(
    harness: Harness, trained: Path
) -> None:
    from core.hashing.fpo_cmh.codebook import NEW

    store, record = harness.store, active(harness)
    before = all_codes(store, record)
    model = learner_of(store, record)
    book = model._codebook
    assert book is not None

    def unlike_anything_seen(text: str) -> bool:
        vector = harness.encoder.encode_texts([text])
        return bool(book.place(model.learner.targets.embed(vector, 1), 1)[0] == NEW)

    # the fake encoder's caption vectors are hashes: take a caption that is new to the model
    caption = next(
        c for c in (f"a yellow square, take {j}" for j in range(50)) if unlike_anything_seen(c)
    )
    rng = np.random.default_rng(5)
    yellow = trained / "yellow"
    yellow.mkdir()
    for i in range(6):
        noise = rng.integers(-8, 8, (28, 36, 3))
        pixels = np.clip(np.array([230, 220, 20]) + noise, 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(yellow / f"y{i}.png")
        (yellow / f"y{i}.png.txt").write_text(caption)
    harness.index()
    after = all_codes(store, record)
    assert {k: after[k] for k in before} == before  # stored codes never change
    hasher = learner_of(store, record)
    assert hasher.online_summary()["codebook_rows"] == 1
    online = json.loads(active(harness).details)["online"]
    assert online["novel_rows"] == 1  # what status and the Hashing card report
    (word,) = hasher._codebook.codewords  # type: ignore[union-attr]
    expected = np.packbits(word > 0).tobytes()
    photos = [store.media.media_by_path(str(yellow / f"y{i}.png")) for i in range(6)]
    assert all(after[("image", p.id)] == expected for p in photos if p is not None)
    captions = [store.media.captions_of(p.id)[0][0] for p in photos if p is not None]
    assert all(after[("text", c)] == expected for c in captions)
