"""CLIP's byte-pair tokenizer without torch: the query path's tokenizer.

A re-implementation of open_clip's ``SimpleTokenizer`` (itself OpenAI CLIP's) over the
same vocabulary file, returning NumPy arrays. It gives the same token ids as open_clip
for every text (``tests/core/encoders/test_clip_tokenizer.py`` compares them on plain,
unicode, punctuated, empty and over-long texts), so vectors computed from its tokens
match the ones the torch path stores. It needs ``ftfy`` and ``regex`` (open_clip's own
dependencies), never torch or open_clip: ``hashlens search`` imports it instead of
open_clip (import-linter keeps it so).

Supported: the ``lower``, ``whitespace`` and ``canonicalize`` clean functions and extra
special tokens; not open_clip's ``reduction_mask`` variants (the exporter refuses
those models, which then keep the torch path).
"""

from __future__ import annotations

import functools
import gzip
import html
import itertools
import string
from collections.abc import Callable, Sequence
from pathlib import Path

import ftfy
import numpy as np
import numpy.typing as npt
import regex

START_TOKEN = "<start_of_text>"
END_TOKEN = "<end_of_text>"
CLEAN_FUNCTIONS = ("lower", "whitespace", "canonicalize")
_MERGES_END = 49152 - 256 - 2 + 1
"""open_clip reads merge lines 1 up to this one (the first line is a header)."""
_PUNCTUATION = str.maketrans("", "", string.punctuation)

TokenArray = npt.NDArray[np.int64]


@functools.cache
def bytes_to_unicode() -> dict[int, str]:
    """CLIP's reversible map from the 256 byte values to printable unicode characters."""
    printable = [
        *range(ord("!"), ord("~") + 1),
        *range(ord("¡"), ord("¬") + 1),
        *range(ord("®"), ord("ÿ") + 1),
    ]
    codes = printable[:]
    extra = 0
    for byte in range(256):
        if byte not in printable:
            printable.append(byte)
            codes.append(256 + extra)
            extra += 1
    return dict(zip(printable, (chr(c) for c in codes), strict=True))


def _basic_clean(text: str) -> str:
    return html.unescape(html.unescape(ftfy.fix_text(text))).strip()


def _whitespace_clean(text: str) -> str:
    return " ".join(text.split()).strip()


def _clean_lower(text: str) -> str:
    return _whitespace_clean(_basic_clean(text)).lower()


def _clean_whitespace(text: str) -> str:
    return _whitespace_clean(_basic_clean(text))


def _clean_canonicalize(text: str) -> str:
    text = _basic_clean(text).replace("_", " ").translate(_PUNCTUATION).lower()
    return " ".join(text.split()).strip()


_CLEANERS: dict[str, Callable[[str], str]] = {
    "lower": _clean_lower,
    "whitespace": _clean_whitespace,
    "canonicalize": _clean_canonicalize,
}


class ClipTokenizer:
    """open_clip's ``SimpleTokenizer`` in pure Python, with NumPy output.

    Args:
        bpe_path: open_clip's ``bpe_simple_vocab_16e6.txt.gz`` (or a copy of it).
        context_length: Tokens per row (77 for most models).
        clean: The text clean function open_clip uses for the model.
        extra_special_tokens: Special tokens after the two standard ones.

    Raises:
        ValueError: An unknown clean function or a context shorter than 2.
        OSError: The vocabulary file cannot be read.
    """

    def __init__(
        self,
        bpe_path: Path,
        *,
        context_length: int = 77,
        clean: str = "lower",
        extra_special_tokens: Sequence[str] = (),
    ) -> None:
        if clean not in _CLEANERS:
            raise ValueError(f"unknown clean function {clean!r}")
        if context_length < 2:
            raise ValueError("context_length must be at least 2")
        with gzip.open(bpe_path) as handle:
            lines = handle.read().decode("utf-8").split("\n")
        merges = [tuple(line.split()) for line in lines[1:_MERGES_END]]
        symbols = list(bytes_to_unicode().values())
        vocab = symbols + [s + "</w>" for s in symbols] + ["".join(m) for m in merges]
        specials = [START_TOKEN, END_TOKEN, *extra_special_tokens]
        vocab.extend(specials)
        self._encoder = {token: index for index, token in enumerate(vocab)}
        self._decoder = dict(enumerate(vocab))
        self._ranks = {(m[0], m[1]): rank for rank, m in enumerate(merges)}
        self._cache: dict[str, str] = {s: s for s in specials}
        self._pattern = regex.compile(
            "|".join(specials) + r"""|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+""",
            regex.IGNORECASE,
        )
        self._byte_encoder = bytes_to_unicode()
        self._byte_decoder = {symbol: byte for byte, symbol in self._byte_encoder.items()}
        self._clean = _CLEANERS[clean]
        self.context_length = context_length
        self.vocab_size = len(self._encoder)
        self.sot_token_id = self._encoder[START_TOKEN]
        self.eot_token_id = self._encoder[END_TOKEN]

    def __call__(self, texts: str | Sequence[str]) -> TokenArray:
        """Token ids, ``(len(texts), context_length)`` int64, zero-padded; long texts are cut.

        A text longer than the context keeps its first ``context_length - 1`` tokens and
        ends with the end-of-text token, as in open_clip.
        """
        if isinstance(texts, str):
            texts = [texts]
        result = np.zeros((len(texts), self.context_length), dtype=np.int64)
        for row, text in enumerate(texts):
            tokens = [self.sot_token_id, *self.encode(text), self.eot_token_id]
            if len(tokens) > self.context_length:
                tokens = tokens[: self.context_length]
                tokens[-1] = self.eot_token_id
            result[row, : len(tokens)] = tokens
        return result

    def encode(self, text: str) -> list[int]:
        """The BPE token ids of one text, without start and end tokens."""
        ids: list[int] = []
        for piece in self._pattern.findall(self._clean(text)):
            symbols = "".join(self._byte_encoder[b] for b in piece.encode("utf-8"))
            ids.extend(self._encoder[token] for token in self._bpe(symbols).split(" "))
        return ids

    def decode(self, ids: Sequence[int]) -> str:
        """The text of BPE token ids, as open_clip's ``SimpleTokenizer.decode`` gives it."""
        symbols = "".join(self._decoder[i] for i in ids)
        raw = bytearray(self._byte_decoder[c] for c in symbols)
        return raw.decode("utf-8", errors="replace").replace("</w>", " ")

    def ignored_text(self, text: str) -> str:
        """The end of ``text`` past the context (cut to ``context_length - 2`` tokens), or ''."""
        ids = self.encode(text)
        budget = self.context_length - 2
        return self.decode(ids[budget:]).strip() if len(ids) > budget else ""

    def _bpe(self, token: str) -> str:
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        word: tuple[str, ...] = (*token[:-1], token[-1] + "</w>")
        pairs = _pairs(word)
        if not pairs:
            return token + "</w>"
        while True:
            bigram = min(pairs, key=lambda pair: self._ranks.get(pair, _NO_RANK))
            if bigram not in self._ranks:
                break
            word = _merge(word, bigram)
            if len(word) == 1:
                break
            pairs = _pairs(word)
        result = " ".join(word)
        self._cache[token] = result
        return result


_NO_RANK = float("inf")


def _pairs(word: tuple[str, ...]) -> set[tuple[str, str]]:
    return set(itertools.pairwise(word))


def _merge(word: tuple[str, ...], bigram: tuple[str, str]) -> tuple[str, ...]:
    """Replace every non-overlapping occurrence of ``bigram`` (left to right) by one symbol."""
    first, second = bigram
    merged: list[str] = []
    i = 0
    while i < len(word):
        if word[i] == first and i < len(word) - 1 and word[i + 1] == second:
            merged.append(first + second)
            i += 2
        else:
            merged.append(word[i])
            i += 1
    return tuple(merged)
