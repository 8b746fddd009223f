"""The shipped concept vocabulary and the prompt-ensemble embeddings."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from core.encoders.concepts import (
    ConceptVocabulary,
    load_vocabulary,
    parse_vocabulary,
    prompt_embeddings,
)
from core.errors import ConfigError


def test_shipped_vocabulary_covers_everyday_photos() -> None:
    vocabulary = load_vocabulary()
    assert 300 <= len(vocabulary) <= 1000
    groups = set(vocabulary.groups)
    for group in ("people", "pets and animals", "food and drink", "documents and text"):
        assert group in groups
    assert {"dog", "receipt", "birthday party", "sunset"} <= set(vocabulary.names)
    assert all("{}" in t for t in vocabulary.templates)
    assert len(vocabulary.prompts()) == len(vocabulary) * len(vocabulary.templates)
    assert vocabulary.prompts()[0] == vocabulary.templates[0].format(vocabulary.phrases[0])


def test_embedding_is_the_normalised_mean_of_normalised_prompts() -> None:
    vocabulary = ConceptVocabulary(("a cat", "snow"), ("pets", "weather"), ("x {}", "y {}"))
    table = {
        "x a cat": [3.0, 0.0],
        "y a cat": [0.0, 1.0],
        "x snow": [0.0, -2.0],
        "y snow": [0.0, -5.0],
    }

    def encode(texts: Sequence[str]) -> np.ndarray:
        return np.array([table[t] for t in texts], dtype=np.float32)

    calls: list[tuple[int, int]] = []
    out = prompt_embeddings(vocabulary, encode, lambda done, total: calls.append((done, total)))
    np.testing.assert_allclose(out, [[np.sqrt(0.5), np.sqrt(0.5)], [0.0, -1.0]], atol=1e-6)
    assert calls == [(4, 4)]


@pytest.mark.parametrize(
    "document",
    [
        {"format": "other"},
        {"format": "hashlens-concepts", "templates": ["no slot"], "groups": []},
        {
            "format": "hashlens-concepts",
            "templates": ["{}"],
            "groups": [{"name": "g", "concepts": ["a", "a"]}],
        },
    ],
)
def test_malformed_vocabularies_are_refused(document: dict[str, object]) -> None:
    with pytest.raises((ValueError, KeyError)):
        parse_vocabulary(document)


def test_missing_vocabulary_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="no-such"):
        load_vocabulary("no-such")
