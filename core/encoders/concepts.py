"""The concept vocabulary for zero-shot pseudo-labels, and its CLIP prompt embeddings.

``resources/concepts/everyday.json`` lists a few hundred everyday personal-photo
concepts (people, pets, food, documents, screenshots, landscapes, events...) in
groups, each a noun phrase that fits the prompt templates ("a photo of {}."). A
concept's embedding is CLIP's prompt ensemble (docs/design/research/fpo-cmh.md §2.2): encode
every template filled with the phrase, normalise each, average, normalise again.
Hashers never see this module: the trainer passes the embeddings as arrays.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import resources

import numpy as np

from core.errors import ConfigError
from core.types import FloatArray

VOCABULARY_FORMAT = "hashlens-concepts"
_ARTICLES = ("a ", "an ", "the ")
_ENCODE_BATCH = 256

TextEncoder = Callable[[Sequence[str]], FloatArray]


@dataclass(frozen=True)
class ConceptVocabulary:
    """Concept phrases with their names and groups, and the prompt templates.

    Attributes:
        phrases: One noun phrase per concept ("a dog"), in the file's order.
        groups: The group of each concept ("pets and animals").
        templates: Prompt templates with one ``{}`` each.
    """

    phrases: tuple[str, ...]
    groups: tuple[str, ...]
    templates: tuple[str, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Each phrase without its leading article ("dog")."""
        return tuple(_strip_article(p) for p in self.phrases)

    def __len__(self) -> int:
        return len(self.phrases)

    def prompts(self) -> list[str]:
        """Every (concept, template) prompt, concept-major."""
        return [t.format(p) for p in self.phrases for t in self.templates]


def load_vocabulary(name: str = "everyday") -> ConceptVocabulary:
    """Read ``resources/concepts/<name>.json``.

    Raises:
        ConfigError: The file is missing or malformed.
    """
    try:
        text = resources.files("resources").joinpath("concepts", f"{name}.json").read_text("utf-8")
        return parse_vocabulary(json.loads(text))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ConfigError(f"The concept vocabulary '{name}' cannot be read.", repr(exc)) from exc


def parse_vocabulary(document: dict[str, object]) -> ConceptVocabulary:
    """Validate a decoded vocabulary file (ValueError/KeyError/TypeError when malformed)."""
    if document.get("format") != VOCABULARY_FORMAT:
        raise ValueError("not a concept vocabulary")
    templates = tuple(str(t) for t in document["templates"])  # type: ignore[attr-defined]
    if not templates or any(t.count("{}") != 1 for t in templates):
        raise ValueError("every template needs exactly one {}")
    phrases: list[str] = []
    groups: list[str] = []
    for group in document["groups"]:  # type: ignore[attr-defined]
        for phrase in group["concepts"]:
            phrases.append(str(phrase))
            groups.append(str(group["name"]))
    if not phrases or len(set(phrases)) != len(phrases):
        raise ValueError("the concepts must be a non-empty list without repeats")
    return ConceptVocabulary(tuple(phrases), tuple(groups), templates)


def prompt_embeddings(
    vocabulary: ConceptVocabulary,
    encode_texts: TextEncoder,
    progress: Callable[[int, int], None] | None = None,
) -> FloatArray:
    """(C, d) float32 embeddings of the concepts: the normalised mean of their prompts.

    Args:
        vocabulary: The concepts and templates.
        encode_texts: The library's CLIP text encoder (``Encoder.encode_texts``).
        progress: Called with (prompts done, prompts in all) after each batch.
    """
    prompts = vocabulary.prompts()
    parts = []
    for start in range(0, len(prompts), _ENCODE_BATCH):
        batch = prompts[start : start + _ENCODE_BATCH]
        parts.append(np.asarray(encode_texts(batch), dtype=np.float32))
        if progress is not None:
            progress(start + len(batch), len(prompts))
    vectors = np.concatenate(parts).reshape(len(vocabulary), len(vocabulary.templates), -1)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=2, keepdims=True), 1e-12)
    means = vectors.mean(axis=1)
    out: FloatArray = (
        means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)
    ).astype(np.float32)
    return out


def _strip_article(phrase: str) -> str:
    lowered = phrase.lower()
    for article in _ARTICLES:
        if lowered.startswith(article):
            return phrase[len(article) :]
    return phrase
