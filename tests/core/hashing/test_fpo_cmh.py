"""FPO-CMH beyond the contract: the bank by hand, the learner against a torch transcription."""

from __future__ import annotations

import copy
from functools import cache

import numpy as np
import pytest

from core.errors import HashingInputError
from core.hashing import Hasher, PairedFeatures, StreamBatch, create_hasher
from core.hashing.fpo_cmh.bank import AnchorBank, initial_bank
from core.hashing.fpo_cmh.hasher import FPOCMH
from core.hashing.fpo_cmh.labels import CONCEPTS_AUX
from tests.core.hashing.clustered import Clustered, clustered_pairs
from tests.core.hashing.fpo_reference import reference_stream

N_OFFLINE = 200


@cache
def data() -> Clustered:
    return clustered_pairs(420, seed=5)


def offline(rows: np.ndarray | slice = slice(0, N_OFFLINE)) -> PairedFeatures:
    d = data()
    return PairedFeatures(d.image[rows], d.text[rows], d.labels[rows])


def fitted(**params: object) -> FPOCMH:
    hasher = create_hasher("fpo-cmh", 16, seed=0, **params).fit(offline())
    assert isinstance(hasher, FPOCMH)
    return hasher


def vec(*values: float) -> np.ndarray:
    return np.array(values, dtype=np.float32)


# ----------------------------------------------------------------------------- bank
def three_anchor_bank(promote_after: int = 1) -> AnchorBank:
    features = (np.eye(3, dtype=np.float32), 2 * np.eye(3, dtype=np.float32))
    codes = (np.full((3, 2), 0.5, np.float32), np.full((3, 2), -0.5, np.float32))
    return AnchorBank(np.array([4, 7, 9]), features, codes, promote_after)


def test_bank_update_averages_row_zero_like_every_row() -> None:
    bank = three_anchor_bank()
    live = {0: vec(0.2, 0.4), 2: vec(1.0, -1.0)}
    change = bank.observe(0, vec(1.0, 1.0, 1.0), vec(0.6, 0.0), [4, 9], live.__getitem__)
    assert change.updated == (0, 2)
    assert change.added == ()
    # row 0 (class 4) is updated: the reference's `if bank_idx:` skipped it
    np.testing.assert_allclose(bank.features[0][0], [1.0, 0.5, 0.5])
    np.testing.assert_allclose(bank.features[0][2], [0.5, 0.5, 1.0])
    np.testing.assert_allclose(bank.features[0][1], [0.0, 1.0, 0.0])  # class 7: untouched
    # code tier: ½(h + live code of the old anchor), not the stored code
    np.testing.assert_allclose(bank.codes[0][0], [0.4, 0.2])
    np.testing.assert_allclose(bank.codes[0][2], [0.8, -0.5])
    np.testing.assert_allclose(bank.features[1], 2 * np.eye(3))  # the other modality


def test_novel_class_waits_for_both_modalities_then_joins_as_a_new_row() -> None:
    bank = three_anchor_bank(promote_after=2)
    never = pytest.fail
    assert bank.observe(0, vec(2, 0, 0), vec(1, 1), [5], never).added == ()
    assert bank.observe(0, vec(0, 2, 0), vec(-1, 1), [5], never).added == ()
    assert bank.observe(1, vec(0, 0, 4), vec(0, 1), [5], never).added == ()
    assert not bank.is_known(5)
    assert bank.buffers[0].counts[5] == 2
    change = bank.observe(1, vec(4, 0, 0), vec(1, 0), [5], never)
    assert change.added == (3,)
    assert bank.row_of[5] == 3
    assert bank.size == 4
    np.testing.assert_allclose(bank.features[0][3], [1.0, 1.0, 0.0])  # ½(x₂ + x₁)
    np.testing.assert_allclose(bank.codes[0][3], [0.0, 1.0])
    np.testing.assert_allclose(bank.features[1][3], [2.0, 0.0, 2.0])
    np.testing.assert_allclose(bank.codes[1][3], [0.5, 0.5])
    assert 5 not in bank.buffers[0].counts  # promoted classes leave the buffer pool


def test_initial_bank_keeps_classes_seen_in_both_modalities_with_class_means() -> None:
    image = np.array([[1, 0], [3, 0], [0, 2]], np.float32)
    text = np.array([[0, 1], [0, 3], [5, 5]], np.float32)
    codes = (image / 10, text / 10)
    image_labels = np.array([[1, 0, 1], [1, 0, 0], [0, 1, 0]], bool)
    text_labels = np.array([[1, 0, 0], [0, 0, 0], [1, 0, 1]], bool)
    bank = initial_bank((image, text), codes, (image_labels, text_labels), promote_after=1)
    assert bank.classes == [0, 2]  # class 1 has no text
    np.testing.assert_allclose(bank.features[0], [[2, 0], [1, 0]])
    np.testing.assert_allclose(bank.features[1], [[2.5, 3], [5, 5]])
    np.testing.assert_allclose(bank.codes[1], [[0.25, 0.3], [0.5, 0.5]])


# -------------------------------------------------------------------------- learner
def labelled_stream(
    hasher: FPOCMH, rows: range, given: bool
) -> list[tuple[np.ndarray, int, list[int]]]:
    d = data()
    rng = np.random.default_rng(1)
    stream = []
    for i in rows:
        m = int(rng.integers(2))
        x = (d.image if m == 0 else d.text)[i]
        scores = d.labels[i] if given else hasher.learner.labels_of(x[None, :], m)[0]
        stream.append((x, m, np.flatnonzero(scores).tolist()))
    return stream


@pytest.mark.parametrize(
    ("params", "given"),
    [
        ({}, False),
        ({"inter_target": "cross", "code_temperature": 10.0}, False),
        ({"inter_target": "own", "phi": 0.5}, True),
    ],
)
def test_learner_matches_the_torch_transcription_of_the_spec(
    params: dict[str, object], given: bool
) -> None:
    if given:  # offline data without classes 6 and 7: they arrive as novel classes
        d = data()
        rows = np.flatnonzero(d.labels[:N_OFFLINE, 6:].sum(axis=1) == 0)
        hasher = create_hasher("fpo-cmh", 16, mu=4, lr=0.05, **params).fit(offline(rows))
    else:
        hasher = fitted(mu=4, lr=0.05, **params)
    assert isinstance(hasher, FPOCMH)
    start = copy.deepcopy(hasher.learner)
    stream = labelled_stream(hasher, range(N_OFFLINE, N_OFFLINE + 120), given)
    for x, m, labels in stream:
        hasher.learner.learn(x, m, labels)
    weights, biases = reference_stream(start, stream)
    for m, head in enumerate(hasher.learner.heads):
        moved = np.abs(head.W - start.heads[m].W).max()
        assert moved > 1e-3
        np.testing.assert_allclose(head.W, weights[m], atol=moved * 1e-3)
        np.testing.assert_allclose(head.b, biases[m], atol=moved * 1e-3)
    if given:
        assert hasher.learner.bank.size > start.bank.size


def test_a_head_steps_only_after_mu_items_of_its_own_modality() -> None:
    hasher = fitted(mu=3)
    d = data()
    text_weights = hasher.learner.heads[1].W.copy()
    hasher.partial_fit(StreamBatch(image=d.image[300:305]))
    assert hasher.learner.heads[0].steps == 1
    assert hasher.learner.counts == [2, 0]
    assert hasher.learner.heads[1].steps == 0
    np.testing.assert_array_equal(hasher.learner.heads[1].W, text_weights)
    assert np.abs(hasher.learner.heads[1].grad_b).sum() > 0  # cross-leakage waits


def test_rehearsal_weight_gamma_is_used() -> None:
    hasher, other = fitted(mu=1, gamma=0.0), fitted(mu=1, gamma=5.0)
    assert not np.array_equal(hasher.learner.anchors0[0], np.zeros(0))
    x = data().image[300:301]
    for h in (hasher, other):  # an item without labels: only the rehearsal moves the head
        h.learner.learn(x[0], 0, [])
    assert not np.allclose(hasher.learner.heads[0].W, other.learner.heads[0].W)


def test_rehearsal_targets_are_the_initial_codes_of_the_initial_anchors() -> None:
    learner = fitted().learner
    head = learner.heads[1]
    codes = head.pre_activation(head.features(learner.anchors0[1])) > 0
    np.testing.assert_array_equal(learner.targets0[1] > 0, codes)
    np.testing.assert_array_equal(learner.anchors0[1], learner.bank.features[1])


def test_heads_start_from_the_base_hasher_codes() -> None:
    d = data()
    base = create_hasher("batch", 16, seed=0, tune=False).fit(offline())  # bases are not tuned
    hasher = fitted()
    np.testing.assert_array_equal(hasher.encode_image(d.image), base.encode_image(d.image))
    np.testing.assert_array_equal(hasher.encode_text(d.text), base.encode_text(d.text))
    unsupervised = create_hasher("fpo-cmh", 16, base="cca-itq").fit(offline())
    cca = create_hasher("cca-itq", 16).fit(offline())
    np.testing.assert_array_equal(unsupervised.encode_text(d.text), cca.encode_text(d.text))


def test_zero_shot_labeller_keys_the_bank_by_concepts() -> None:
    d = data()
    rng = np.random.default_rng(0)
    concepts = rng.standard_normal((30, 96)).astype(np.float32)
    concepts[:8] = d.image[:N_OFFLINE][np.argmax(d.labels[:N_OFFLINE], axis=0)]
    train = PairedFeatures(d.image[:N_OFFLINE], d.text[:N_OFFLINE], aux={CONCEPTS_AUX: concepts})
    hasher = create_hasher("fpo-cmh", 16, theta=0.1).fit(train)
    assert isinstance(hasher, FPOCMH)
    learner = hasher.learner
    assert learner.labeller.kind == "zero-shot"
    assert learner.labeller.n_classes == 30
    assert learner.settings.cross_targets
    assert learner.bank.size > 0
    assert max(learner.bank.classes) < 30
    hasher.partial_fit(StreamBatch(text=d.text[300:340]))
    loaded = Hasher.from_bytes(hasher.to_bytes())
    assert isinstance(loaded, FPOCMH)
    assert loaded.learner.labeller.kind == "zero-shot"
    np.testing.assert_array_equal(loaded.encode_text(d.text), hasher.encode_text(d.text))


# ------------------------------------------------------------------------ bad input
def test_fit_without_prompts_or_labels_says_what_is_missing() -> None:
    d = data()
    with pytest.raises(HashingInputError, match="neither"):
        create_hasher("fpo-cmh", 16).fit(PairedFeatures(d.image, d.text))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"inter_target": "cross"}, "one space"),
        ({"labeller": "zero-shot"}, "concept prompt embeddings"),
        ({"labeller": "kmeans"}, "labeller must be one of"),
        ({"base": "fpo-cmh"}, "offline method"),
        ({"mu": 0}, "mu"),
    ],
)
def test_unusable_settings_are_refused(params: dict[str, object], message: str) -> None:
    d = data()
    train = PairedFeatures(d.image[:N_OFFLINE], d.text[:N_OFFLINE, :40], d.labels[:N_OFFLINE])
    with pytest.raises(HashingInputError, match=message):
        create_hasher("fpo-cmh", 16, **params).fit(train)


def test_zero_shot_prompts_of_another_dimension_are_refused() -> None:
    d = data()
    aux = {CONCEPTS_AUX: np.ones((5, 12), np.float32)}
    with pytest.raises(HashingInputError, match="one CLIP"):
        create_hasher("fpo-cmh", 16).fit(PairedFeatures(d.image, d.text, aux=aux))


def test_stream_labels_must_have_one_column_per_class() -> None:
    hasher = fitted()
    d = data()
    with pytest.raises(HashingInputError, match="3 classes, but this model knows 8"):
        hasher.partial_fit(StreamBatch(image=d.image[:2], labels=np.ones((2, 3))))
    hasher.partial_fit(StreamBatch(image=d.image[:2], labels=d.labels[:2]))
    assert hasher.learner.seen == [2, 0]


def test_stream_item_with_neither_modality_is_refused() -> None:
    with pytest.raises(HashingInputError, match="an image, a text, or both"):
        StreamBatch(image=None, text=None)
