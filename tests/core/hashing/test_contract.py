"""The contract every registered hasher meets (DESIGN.md, "The hasher interface")."""

from __future__ import annotations

import io
import json
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from core.errors import HasherFileError, HashingInputError, NotFittedError
from core.hashing import Hasher, PairedFeatures, StreamBatch, create_hasher, list_hashers
from core.hashing.metrics import evaluate_ranking, hamming_matrix, relevance
from core.hashing.registry import get_spec
from tests.core.hashing.clustered import Clustered, clustered_pairs

KEYS = list_hashers()
ONLINE_KEYS = [k for k in KEYS if get_spec(k).online]
N_TRAIN = 600


@cache
def data() -> Clustered:
    return clustered_pairs(N_TRAIN + 200, seed=3)


def train_set(key: str = "") -> PairedFeatures:
    """The training rows; semi-supervised methods see the labels of one row in four."""
    d = data()
    rows = slice(0, N_TRAIN)
    if key and get_spec(key).supervision == "semi-supervised":
        mask = np.arange(N_TRAIN) % 4 == 0
        return PairedFeatures(d.image[rows], d.text[rows], d.labels[rows], mask)
    return PairedFeatures(d.image[rows], d.text[rows], d.labels[rows])


@cache
def fitted(key: str, n_bits: int = 32, seed: int = 0) -> Hasher:
    return create_hasher(key, n_bits, seed=seed).fit(train_set(key))


def cross_modal_map(hasher: Hasher) -> tuple[float, float]:
    d = data()
    q, db = slice(N_TRAIN, None), slice(0, N_TRAIN)
    rel = relevance(d.labels[q], d.labels[db])
    i2t = hamming_matrix(hasher.encode_image(d.image[q]), hasher.encode_text(d.text[db]), 32)
    t2i = hamming_matrix(hasher.encode_text(d.text[q]), hasher.encode_image(d.image[db]), 32)
    return evaluate_ranking(i2t, rel).map, evaluate_ranking(t2i, rel).map


def test_registry_lists_the_issue_baselines() -> None:
    assert {"lsh", "itq", "cca-itq", "cmfh", "batch", "hpseh"} <= set(KEYS)


@pytest.mark.parametrize("key", KEYS)
def test_codes_have_packed_shape_and_dtype(key: str) -> None:
    hasher = fitted(key)
    d = data()
    for codes in (hasher.encode_image(d.image[:7]), hasher.encode_text(d.text[:7])):
        assert codes.shape == (7, 4)
        assert codes.dtype == np.uint8
    assert hasher.is_fitted
    assert hasher.dims == (96, 96)


@pytest.mark.parametrize("key", KEYS)
def test_bits_are_used(key: str) -> None:
    bits = np.unpackbits(fitted(key).encode_image(data().image), axis=1)
    share = bits.mean(axis=0)
    # no bit is constant over 800 items: every bit carries information
    assert ((share > 0.02) & (share < 0.98)).all(), share


@pytest.mark.parametrize("key", KEYS)
def test_same_seed_same_codes_and_other_seed_other_codes(key: str) -> None:
    again = create_hasher(key, 32, seed=0).fit(train_set(key))
    other = create_hasher(key, 32, seed=1).fit(train_set(key))
    x = data().image[N_TRAIN:]
    np.testing.assert_array_equal(fitted(key).encode_image(x), again.encode_image(x))
    assert not np.array_equal(fitted(key).encode_image(x), other.encode_image(x))


@pytest.mark.parametrize("key", KEYS)
def test_save_load_round_trip_gives_identical_codes(key: str, tmp_path: Path) -> None:
    hasher = fitted(key)
    path = tmp_path / "model.npz"
    hasher.save(path)
    loaded = Hasher.load(path)
    assert type(loaded) is type(hasher)
    assert loaded.get_params() == hasher.get_params()
    d = data()
    np.testing.assert_array_equal(loaded.encode_image(d.image), hasher.encode_image(d.image))
    np.testing.assert_array_equal(loaded.encode_text(d.text), hasher.encode_text(d.text))
    assert type(hasher).load(path).n_bits == 32


@pytest.mark.parametrize("key", [k for k in KEYS if k != "lsh"])
def test_learned_methods_beat_random_projections(key: str) -> None:
    lsh_i2t, lsh_t2i = cross_modal_map(fitted("lsh"))
    i2t, t2i = cross_modal_map(fitted(key))
    assert i2t > lsh_i2t + 0.05, (i2t, lsh_i2t)
    assert t2i > lsh_t2i + 0.05, (t2i, lsh_t2i)


@pytest.mark.parametrize("key", KEYS)
def test_unfitted_hasher_refuses_to_encode(key: str) -> None:
    with pytest.raises(NotFittedError):
        create_hasher(key, 32).encode_image(data().image[:2])


@pytest.mark.parametrize("key", KEYS)
def test_bad_features_raise_typed_errors(key: str) -> None:
    hasher = fitted(key)
    d = data()
    with pytest.raises(HashingInputError, match="96"):
        hasher.encode_text(d.text[:3, :50])
    broken = d.image[:3].copy()
    broken[1, 4] = np.nan
    with pytest.raises(HashingInputError, match="NaN"):
        hasher.encode_image(broken)


@pytest.mark.parametrize("key", KEYS)
def test_online_learning_only_where_supported(key: str) -> None:
    hasher = fresh_copy(key)
    assert hasher.supports_partial_fit == get_spec(key).online
    batch = StreamBatch(image=data().image[:4])
    if not hasher.supports_partial_fit:
        with pytest.raises(HashingInputError, match="online"):
            hasher.partial_fit(batch)
    else:
        assert hasher.partial_fit(batch) is hasher


def fresh_copy(key: str) -> Hasher:
    """A private copy of the cached fitted hasher (partial_fit must not touch the cache)."""
    return Hasher.from_bytes(fitted(key).to_bytes())


def stream_batches(start: int, n: int) -> list[StreamBatch]:
    """Image-only, text-only and paired batches over held-out rows, in turn."""
    d = data()
    out = []
    for i in range(start, start + n, 5):
        rows = slice(i, i + 5)
        kind = (i // 5) % 3
        image = d.image[rows] if kind != 1 else None
        text = d.text[rows] if kind != 0 else None
        out.append(StreamBatch(image=image, text=text))
    return out


@pytest.mark.parametrize("key", ONLINE_KEYS)
def test_online_methods_learn_from_image_only_text_only_and_paired_batches(key: str) -> None:
    hasher = fresh_copy(key)
    before = hasher.project_image(data().image[:50])
    for batch in stream_batches(N_TRAIN, 150):
        assert hasher.partial_fit(batch) is hasher
    after = hasher.project_image(data().image[:50])
    assert not np.array_equal(before, after)  # the hash functions moved
    codes = hasher.encode_text(data().text[:9])
    assert codes.shape == (9, 4)
    assert codes.dtype == np.uint8


@pytest.mark.parametrize("key", ONLINE_KEYS)
def test_online_state_round_trip_mid_stream_gives_identical_later_updates(key: str) -> None:
    batches = stream_batches(N_TRAIN, 200)
    running = fresh_copy(key)
    for batch in batches[:17]:  # an odd number of items: gradients are pending
        running.partial_fit(batch)
    resumed = Hasher.from_bytes(running.to_bytes())
    for batch in batches[17:]:
        running.partial_fit(batch)
        resumed.partial_fit(batch)
    left, right = running.state_dict(), resumed.state_dict()
    assert left.keys() == right.keys()
    for name in left:
        np.testing.assert_array_equal(left[name], right[name], err_msg=name)


@pytest.mark.parametrize("key", ONLINE_KEYS)
def test_online_methods_refuse_bad_stream_input(key: str) -> None:
    d = data()
    with pytest.raises(NotFittedError):
        create_hasher(key, 32).partial_fit(StreamBatch(image=d.image[:2]))
    hasher = fresh_copy(key)
    with pytest.raises(HashingInputError, match="96"):
        hasher.partial_fit(StreamBatch(image=d.image[:2, :40]))
    with pytest.raises(HashingInputError, match="96"):
        hasher.partial_fit(StreamBatch(image=d.image[:2], text=d.text[:2, :95]))
    with pytest.raises(HashingInputError, match="StreamBatch"):
        hasher.partial_fit(PairedFeatures(d.image[:2], d.text[:2]))  # type: ignore[arg-type]


@pytest.mark.parametrize("n_bits", [0, 7, 12, 1032, True, 64.0])
def test_code_length_must_be_a_multiple_of_8_up_to_1024(n_bits: object) -> None:
    with pytest.raises(HashingInputError, match="bits"):
        create_hasher("lsh", n_bits)  # type: ignore[arg-type]


def test_unknown_method_names_the_known_ones() -> None:
    with pytest.raises(HashingInputError, match="cca-itq"):
        create_hasher("no-such-method")


def test_supervised_method_needs_labels() -> None:
    d = data()
    with pytest.raises(HashingInputError, match="labels"):
        create_hasher("batch", 32).fit(PairedFeatures(d.image, d.text))
    mask = np.ones(len(d.labels), dtype=bool)
    mask[:10] = False
    with pytest.raises(HashingInputError, match="LPIH"):
        create_hasher("batch", 32).fit(PairedFeatures(d.image, d.text, d.labels, mask))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"labels": np.ones((5, 3))}, "one row per item"),
        ({"labels": np.full((800, 8), 2)}, "0 or 1"),
        ({"text": np.ones((5, 96))}, "same order"),
    ],
)
def test_paired_features_validate_shapes(kwargs: dict[str, object], message: str) -> None:
    d = data()
    args: dict[str, object] = {"image": d.image, "text": d.text, **kwargs}
    with pytest.raises(HashingInputError, match=message):
        PairedFeatures(**args)  # type: ignore[arg-type]


def test_empty_training_set_is_refused() -> None:
    with pytest.raises(HashingInputError, match="empty"):
        PairedFeatures(np.zeros((0, 4)), np.zeros((0, 4)))


def test_stream_batch_needs_a_modality() -> None:
    with pytest.raises(HashingInputError, match="image, a text"):
        StreamBatch()


def test_itq_refuses_unaligned_modalities() -> None:
    d = data()
    with pytest.raises(HashingInputError, match="cca-itq"):
        create_hasher("itq", 32).fit(PairedFeatures(d.image, d.text[:, :40]))


def test_truncated_or_foreign_model_files_are_refused(tmp_path: Path) -> None:
    blob = fitted("cca-itq").to_bytes()
    with pytest.raises(HasherFileError, match="damaged"):
        Hasher.from_bytes(blob[: len(blob) // 2])
    with pytest.raises(HasherFileError):
        Hasher.from_bytes(b"not a model at all")
    foreign = tmp_path / "other.npz"
    np.savez(foreign, W=np.zeros(3))
    with pytest.raises(HasherFileError, match="not a HashLens model"):
        Hasher.load(foreign)
    with pytest.raises(HasherFileError, match="cannot be read"):
        Hasher.load(tmp_path / "missing.npz")


def test_a_file_naming_an_unknown_method_is_refused() -> None:
    with np.load(io.BytesIO(fitted("lsh").to_bytes())) as archive:
        arrays = {key: archive[key] for key in archive.files}
    meta = json.loads(bytes(arrays["__meta__"]))
    meta["name"] = "xyz"
    arrays["__meta__"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    with pytest.raises(HasherFileError, match="Unknown hashing method 'xyz'"):
        Hasher.from_bytes(buffer.getvalue())


def test_loading_through_the_wrong_class_is_refused() -> None:
    from core.hashing.models.cmfh import CMFH

    with pytest.raises(HasherFileError, match="not a CMFH"):
        CMFH.from_bytes(fitted("lsh").to_bytes())


@pytest.mark.parametrize("key", ["batch", "hpseh"])
def test_supervised_method_refuses_fewer_pairs_than_bits(key: str) -> None:
    d = data()
    small = PairedFeatures(d.image[:20], d.text[:20], d.labels[:20])
    with pytest.raises(HashingInputError, match="20 for 32 bits"):
        create_hasher(key, 32).fit(small)
    assert create_hasher(key, 16).fit(small).is_fitted


def test_unknown_setting_is_refused_with_the_known_ones() -> None:
    with pytest.raises(HashingInputError, match=r"no setting lamda\. Its settings: .*gamma"):
        create_hasher("cmfh", 32, lamda=1.0)
    assert create_hasher("cmfh", 32, gamma=0.5).get_params()["gamma"] == 0.5
