"""Pseudo-captions for a library whose photos have no captions at all.

Cross-modal hashers learn from (photo, caption) pairs. Most personal libraries have
no captions, so without a stand-in no method could train. The stand-in is CLIP's own
zero-shot reading of each photo: the photo is paired with the text embedding of the
concept prompts it most resembles (``resources/concepts/everyday.json``, embedded by
the library's CLIP model, see :mod:`core.library.training.concept_prompts`).

The pseudo-caption of photo x is the probability-weighted mean of its best concepts'
prompt embeddings, renormalised: t(x) = normalise(sum_c p_c(x) e_c) over the
``GUESSES_PER_PHOTO`` most probable concepts, with p = softmax(100 * cos(x, E)), the
same classifier as the stored zero-shot labels
(:func:`~core.library.training.zero_shot_labels.best_concepts`). A weighted mean rather than
the single best prompt keeps a photo that sits between two concepts between them on
the text side too.

Why prompts and not the photo's own image feature on both sides: text queries come
from CLIP's text tower, whose embeddings sit apart from image embeddings in the
shared space (the modality gap), so a text hash function trained on image features
would be trained on inputs it never sees at search time. Prompt embeddings are real
text-tower outputs.

These pairs are reported as pseudo-pairs everywhere training is described (the
training details' ``pseudo_pairs``, ``hashlens train``, the window's hashing card).
A library with at least one real (photo, caption) pair trains on its real pairs
only; photos without captions still get codes from the trained image function.
"""

from __future__ import annotations

import numpy as np

from core.hashing.fpo_cmh.labels import ZeroShotLabeller
from core.library.training.zero_shot_labels import CLIP_LOGIT_SCALE, GUESSES_PER_PHOTO
from core.types import FloatArray

_BATCH = 4096


def pseudo_captions(image: FloatArray, concepts: FloatArray) -> FloatArray:
    """(n, d) unit text-side vectors for ``image`` (n, d) from ``concepts`` (C, d).

    Args:
        image: Stored image features of the photos.
        concepts: Unit prompt embeddings of the concept vocabulary, made by the same
            CLIP model as ``image``.
    """
    if image.shape[0] == 0:
        return np.zeros((0, concepts.shape[1]), dtype=np.float32)
    labeller = ZeroShotLabeller(concepts, CLIP_LOGIT_SCALE)
    top = min(GUESSES_PER_PHOTO, concepts.shape[0])
    out = np.empty((image.shape[0], concepts.shape[1]), dtype=np.float32)
    for start in range(0, image.shape[0], _BATCH):
        p = labeller.scores(image[start : start + _BATCH], 0)
        keep = np.argsort(-p, axis=1, kind="stable")[:, :top]
        weights = np.zeros_like(p)
        np.put_along_axis(weights, keep, np.take_along_axis(p, keep, axis=1), axis=1)
        mixed = weights @ concepts
        norms = np.linalg.norm(mixed, axis=1, keepdims=True)
        out[start : start + _BATCH] = mixed / np.maximum(norms, 1e-12)
    return out
