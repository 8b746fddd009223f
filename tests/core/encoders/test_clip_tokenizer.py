"""The torch-free tokenizer gives open_clip's token ids, bit for bit."""

from __future__ import annotations

import random
import typing
from pathlib import Path

import numpy as np
import pytest

from core.encoders.clip_tokenizer import ClipTokenizer

open_clip_tokenizer = pytest.importorskip("open_clip.tokenizer")

TEXTS = [
    "",
    " ",
    "a dog on the beach at sunset",
    "A DOG   on\tthe\nBEACH!!!",
    "Chelsea the cat.",
    "don't you'll we've I'm they're he'd it's",
    "café naïve façade — “quotes” ‘single’ …",
    "東京タワーの夜景",
    "서울의 밤",
    "Привет, мир! Ёлка",
    "مرحبا بالعالم",
    "emoji 🐶🏖️🌅 and flags 🇫🇷",
    "numbers 1234567890 3.14159 1,000,000 42nd",
    "&amp; &lt;b&gt;html&lt;/b&gt; &amp;amp;",
    "mojibake: cafÃ© donâ€™t",
    "under_score snake_case CamelCaseWord",
    "<start_of_text> literal <end_of_text> specials",
    "tabs\tand\r\nnewlines\u00a0nbsp\u2003em-space",
    "x" * 300,
    " ".join(["photograph of a golden retriever puppy playing in the snow"] * 12),
    "zero\u200bwidth joiner\u200d and combining e\u0301",
]


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = (
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        " .,;:!?'\"-_()[]{}<>/\\@#$%^&*+=~`|"
        "éèêëçñöüßøåæœ漢字かなカナ한글ДЖЯαβγ🙂🎉\t\n"
    )
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 120))) for _ in range(count)]


@pytest.fixture(scope="module")
def reference() -> object:
    return open_clip_tokenizer.SimpleTokenizer()


@pytest.fixture(scope="module")
def ours() -> ClipTokenizer:
    return ClipTokenizer(Path(open_clip_tokenizer.default_bpe()))


@pytest.mark.parametrize("context_length", [77, 16])
def test_same_ids_as_open_clip(reference: object, context_length: int) -> None:
    texts = TEXTS + _random_texts(300, seed=context_length)
    ours = ClipTokenizer(Path(open_clip_tokenizer.default_bpe()), context_length=context_length)
    expected = reference(texts, context_length=context_length).numpy()  # type: ignore[operator]
    got = ours(texts)
    assert got.dtype == np.int64
    assert got.shape == (len(texts), context_length)
    mismatched = [
        t for t, a, b in zip(texts, got, expected, strict=True) if not np.array_equal(a, b)
    ]
    assert mismatched == []


def test_long_text_is_cut_and_ends_with_end_token(ours: ClipTokenizer) -> None:
    row = ours(" ".join(["word"] * 200))[0]
    assert row[0] == ours.sot_token_id
    assert row[-1] == ours.eot_token_id
    assert (row != 0).all()


def test_empty_text_is_start_and_end(ours: ClipTokenizer) -> None:
    row = ours("")[0]
    assert row[:2].tolist() == [ours.sot_token_id, ours.eot_token_id]
    assert not row[2:].any()


@pytest.mark.parametrize("clean", ["whitespace", "canonicalize"])
def test_other_clean_functions_match(clean: str) -> None:
    texts = TEXTS + _random_texts(50, seed=7)
    reference = open_clip_tokenizer.SimpleTokenizer(clean=clean)
    ours = ClipTokenizer(Path(open_clip_tokenizer.default_bpe()), clean=clean)
    assert np.array_equal(ours(texts), reference(texts).numpy())


def test_unknown_clean_function_is_refused() -> None:
    with pytest.raises(ValueError, match="clean"):
        ClipTokenizer(Path(open_clip_tokenizer.default_bpe()), clean="shout")


def test_decode_and_ignored_text_match_open_clip(reference: object, ours: ClipTokenizer) -> None:
    ref: typing.Any = reference
    for text in [*TEXTS, *_random_texts(50, seed=5)]:
        ids = ours.encode(text)
        assert ours.decode(ids) == ref.decode(ids)
    long = " ".join(["red bicycle by the sea"] * 20)  # 100 words, 75 fit
    ignored = ours.ignored_text(long)
    assert ignored == ref.decode(ref.encode(long)[75:]).strip()
    assert ignored.split() == long.split()[75:]
    assert ours.ignored_text("a short caption") == ""
