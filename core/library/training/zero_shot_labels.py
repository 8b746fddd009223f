"""Zero-shot labels: the everyday concepts CLIP sees in each photo, stored as guesses.

For a library where nobody has labelled anything, each photo's stored image feature
is scored against the CLIP prompt embeddings of the concept vocabulary
(``resources/concepts/everyday.json``): p = softmax(100 · cos(x, E)), CLIP's own
zero-shot classifier. 100 is the logit scale CLIP models learn (and cap at): with it
the softmax is the model's posterior over the prompt set, so a probability reads the
same way for every photo and every library (FPO-CMH's pseudo-labeller uses the same
classifier, :class:`~core.hashing.fpo_cmh.labels.ZeroShotLabeller`).

Each photo keeps its best concept and up to two more with p >= 0.1, stored with
origin ``zero-shot`` and the probability as confidence; every run replaces the
previous guesses. Guesses are never mistaken for the user's labels: training reads
them only when asked, through a :class:`ZeroShotRule` that picks the confident few.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.encoders.concepts import load_vocabulary
from core.encoders.encoder import LazyEncoder
from core.hashing.fpo_cmh.labels import ZeroShotLabeller
from core.library.training.concept_prompts import embed_concepts, library_text_encoder
from core.progress import CancelToken, Progress, ProgressCallback
from core.store.database import Store
from core.store.records import EncoderRecord
from core.types import FloatArray

logger = logging.getLogger(__name__)

ZERO_SHOT_ORIGIN = "zero-shot"
ZERO_SHOT_STAGE = "zero-shot labels"
CLIP_LOGIT_SCALE = 100.0
GUESSES_PER_PHOTO = 3
MIN_STORED_PROBABILITY = 0.1
_SCORE_BATCH = 4096


@dataclass(frozen=True, slots=True)
class ZeroShotRule:
    """Which stored guesses may stand in for labels in semi-supervised training.

    A photo counts as labelled when its best concept has probability at least
    ``min_confidence`` (at 0.5 the concept outweighs the other 442 together, so at
    most one concept per photo qualifies). Of those, the most confident count, up to
    ``max_fraction`` of the photos: the guesses seed label propagation, they do not
    replace it (docs/design/research/hpseh-lpih.md §2.4 sweeps 1-25 % labelled). A small library
    may still use ``min_photos`` of them, since the supervised method LPIH wraps
    needs a few labelled pairs to learn from at all (9 at least).
    """

    min_confidence: float = 0.5
    max_fraction: float = 0.25
    min_photos: int = 12


@dataclass(frozen=True, slots=True)
class ZeroShotReport:
    """What a zero-shot labelling run stored.

    Attributes:
        photos: Photos scored (every photo with a stored image feature).
        labels: Guesses stored (1 to ``GUESSES_PER_PHOTO`` per photo).
        concepts: Size of the concept vocabulary.
    """

    photos: int
    labels: int
    concepts: int


def best_concepts(
    image: FloatArray, concepts: FloatArray, names: Sequence[str]
) -> list[list[tuple[str, float]]]:
    """Each photo's best concepts with their probabilities, most probable first.

    The top concept always, and up to ``GUESSES_PER_PHOTO`` in all with probability
    at least ``MIN_STORED_PROBABILITY``.

    Args:
        image: (n, d) image features.
        concepts: (C, d) concept prompt embeddings in the same CLIP space.
        names: The C concept names.
    """
    labeller = ZeroShotLabeller(concepts, CLIP_LOGIT_SCALE)
    out: list[list[tuple[str, float]]] = []
    for start in range(0, image.shape[0], _SCORE_BATCH):
        probabilities = labeller.scores(image[start : start + _SCORE_BATCH], 0)
        order = np.argsort(-probabilities, axis=1, kind="stable")[:, :GUESSES_PER_PHOTO]
        for row, columns in zip(probabilities, order, strict=True):
            picked = [
                c for i, c in enumerate(columns) if i == 0 or row[c] >= MIN_STORED_PROBABILITY
            ]
            out.append([(names[c], float(row[c])) for c in picked])
    return out


def label_zero_shot(
    store: Store,
    features: EncoderRecord,
    text_encoder: LazyEncoder | None,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ZeroShotReport:
    """Embed the concept vocabulary with the library's CLIP model and store fresh guesses.

    Raises:
        IncompatibleCodesError: ``text_encoder`` is missing or did not make ``features``.
        ModelNotAvailableError: The CLIP model cannot be loaded.
        TaskCancelled: ``cancel`` was set.
    """
    encoder = library_text_encoder(text_encoder, features)
    vocabulary = load_vocabulary()
    concepts = embed_concepts(encoder, vocabulary, progress=progress, cancel=cancel)
    return refresh_zero_shot_labels(
        store, features, vocabulary.names, concepts, progress=progress, cancel=cancel
    )


def refresh_zero_shot_labels(
    store: Store,
    encoder: EncoderRecord,
    names: Sequence[str],
    concepts: FloatArray,
    *,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> ZeroShotReport:
    """Guess concepts for every photo with a feature of ``encoder`` and store them.

    The previous guesses are replaced; labels of other origins are not touched.

    Args:
        store: The library.
        encoder: The model whose stored image features are scored; ``concepts`` must
            come from the same model (see ``concept_prompts.library_text_encoder``).
        names: Concept names, one per row of ``concepts``.
        concepts: (C, d) unit prompt embeddings.
        progress: Receives stage ``zero-shot labels``.
        cancel: Checked before anything is written.
    """
    media_ids, image = store.vectors.image_matrix(encoder)
    if progress is not None:
        progress(Progress(ZERO_SHOT_STAGE, 0, len(media_ids), f"{len(names)} concepts"))
    guesses = best_concepts(image, concepts, names)
    if cancel is not None:
        cancel.raise_if_cancelled()
    rows = [
        (int(m), name, p)
        for m, photo in zip(media_ids.tolist(), guesses, strict=True)
        for name, p in photo
    ]
    with store.atomic():
        stored = store.labels.replace_origin(ZERO_SHOT_ORIGIN, rows)
    if progress is not None:
        progress(Progress(ZERO_SHOT_STAGE, len(media_ids), len(media_ids)))
    logger.info("Stored %d zero-shot labels on %d photos", stored, len(media_ids))
    return ZeroShotReport(len(media_ids), stored, len(names))


def confident_guesses(
    guesses: Sequence[tuple[int, str, float]], n_photos: int, rule: ZeroShotRule
) -> list[tuple[int, str]]:
    """(media id, concept) of the photos whose guess ``rule`` accepts as a label.

    Args:
        guesses: Stored (media id, concept, probability) of the candidate photos.
        n_photos: How many photos the fraction in ``rule`` is of.
        rule: The confidence threshold and the largest labelled fraction.
    """
    best: dict[int, tuple[float, str]] = {}
    for media_id, name, p in guesses:
        if p >= rule.min_confidence and p > best.get(media_id, (-1.0, ""))[0]:
            best[media_id] = (p, name)
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[0]))
    keep = max(1, rule.min_photos, int(rule.max_fraction * n_photos))
    return [(media_id, name) for media_id, (_, name) in ranked[:keep]]
