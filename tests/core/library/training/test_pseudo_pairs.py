"""Pseudo-captions: a photo's text side is the mix of the concept prompts it resembles."""

from __future__ import annotations

import numpy as np

from core.library.training.pseudo_pairs import pseudo_captions


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)


def test_a_photo_near_one_concept_gets_that_concepts_prompt() -> None:
    rng = np.random.default_rng(0)
    concepts = _unit(rng.normal(size=(6, 32)))
    photo = _unit(concepts[2] + 0.05 * rng.normal(size=32))[None, :]
    text = pseudo_captions(photo, concepts)
    assert text.shape == (1, 32)
    assert float(text[0] @ concepts[2]) > 0.99
    assert abs(float(np.linalg.norm(text[0])) - 1.0) < 1e-5


def test_a_photo_between_two_concepts_stays_between_them() -> None:
    rng = np.random.default_rng(1)
    concepts = _unit(rng.normal(size=(6, 32)))
    photo = _unit(concepts[0] + concepts[4])[None, :]
    text = pseudo_captions(photo, concepts)[0]
    assert float(text @ concepts[0]) > 0.6
    assert float(text @ concepts[4]) > 0.6


def test_no_photos_give_no_rows() -> None:
    concepts = _unit(np.ones((3, 4)))
    assert pseudo_captions(np.zeros((0, 4), dtype=np.float32), concepts).shape == (0, 4)
