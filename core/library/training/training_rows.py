"""The rows one training run fits on, as the method's supervision needs them.

Labels by supervision: supervised methods get only the labelled rows; unsupervised
ones get every row; semi-supervised ones (LPIH) get every row with ``label_mask``
marking the rows whose photo has a label. When no photo has any label (no keyword,
hashtag, tag or album), the semi-supervised path first stores zero-shot guesses for
every photo and treats as labelled only the confident few that ``ZeroShotRule``
accepts; every other row is unlabelled.

A library without a single caption trains on pseudo-pairs: each photo with the CLIP
text embedding of the concept prompts it resembles (:mod:`core.library.training.pseudo_pairs`),
which needs the CLIP model that indexed the library. The same concept prompt
embeddings are the extra input (``Hasher.uses_aux``) of methods that want them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy.typing as npt

from core.encoders.concepts import load_vocabulary
from core.encoders.encoder import LazyEncoder
from core.errors import HashingInputError, IncompatibleCodesError, ModelNotAvailableError
from core.hashing import CONCEPT_EMBEDDINGS, list_hashers
from core.hashing.base import Supervision
from core.library.training.concept_prompts import embed_concepts, library_text_encoder
from core.library.training.training_data import TrainingSet, load_pseudo_pairs, load_training_set
from core.library.training.zero_shot_labels import (
    ZeroShotReport,
    ZeroShotRule,
    refresh_zero_shot_labels,
)
from core.progress import CancelToken, ProgressCallback
from core.store.database import Store
from core.store.records import EncoderRecord
from core.types import FloatArray

logger = logging.getLogger(__name__)

_LABEL_ADVICE = (
    "Tag some photos (`hashlens tag PHOTO --add NAME`), opt in to album folders as labels "
    "(`hashlens add FOLDER --album-labels`), or train an unsupervised method such as cca-itq."
)


class TrainingRows:
    """Loads one encoder's training rows from one library (concept prompts embedded once).

    Args:
        store: The library.
        encoder: The encoder whose stored features are the training data.
        text_encoder: The CLIP model, loaded only for concept prompts; ignored unless
            it is the model that made the stored features.
    """

    def __init__(
        self, store: Store, encoder: EncoderRecord, text_encoder: LazyEncoder | None = None
    ) -> None:
        self._store = store
        self._encoder = encoder
        self._text_encoder = text_encoder
        self._concepts: FloatArray | None = None

    def for_supervision(
        self,
        supervision: Supervision,
        method: str,
        albums: bool,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> tuple[TrainingSet, int, ZeroShotReport | None]:
        """The rows as the method's supervision needs them.

        Returns:
            The rows, how many unlabelled rows were left out, and the zero-shot run
            that stood in for missing labels (or None).
        """
        data = self.load(albums, progress, cancel)
        if supervision == "supervised":
            data, excluded = _labelled_only(data, method)
            return data, excluded, None
        if supervision == "unsupervised":
            return data, 0, None
        zero_shot = None
        if not data.labelled_rows.any():
            zero_shot, data = self._zero_shot_labels(method, albums, progress, cancel)
        mask = data.labelled_rows
        return replace(data, features=replace(data.features, label_mask=mask)), 0, zero_shot

    def _zero_shot_labels(
        self,
        method: str,
        albums: bool,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> tuple[ZeroShotReport, TrainingSet]:
        """Store fresh zero-shot guesses and reload the rows with the confident ones."""
        try:
            concepts = self._concept_embeddings(progress, cancel)
        except (IncompatibleCodesError, ModelNotAvailableError) as exc:
            raise HashingInputError(
                f"The {method} method needs some labelled photos, but no captioned "
                "photo has a keyword, hashtag, tag or album label, and zero-shot labels "
                f"cannot stand in for them: {exc.user_message} {_LABEL_ADVICE}",
                exc.details or "0 labelled rows",
            ) from exc
        report = refresh_zero_shot_labels(
            self._store,
            self._encoder,
            load_vocabulary().names,
            concepts,
            progress=progress,
            cancel=cancel,
        )
        rule = ZeroShotRule()
        labelled = self.load(albums, progress, cancel, zero_shot=rule)
        if not labelled.labelled_rows.any():
            raise HashingInputError(
                f"The {method} method needs some labelled photos, but no captioned "
                "photo has a keyword, hashtag, tag or album label, and no zero-shot guess "
                f"is confident enough to stand in (probability {rule.min_confidence} or "
                f"more). {_LABEL_ADVICE}",
                f"{report.photos} photos guessed, 0 confident",
            )
        logger.info(
            "No labels: %d of %d rows labelled by confident zero-shot guesses",
            int(labelled.labelled_rows.sum()),
            labelled.features.n_items,
        )
        return report, labelled

    def aux(
        self,
        wanted: frozenset[str],
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> dict[str, npt.NDArray[Any]]:
        """The extra inputs the method uses that this library's model can compute."""
        if CONCEPT_EMBEDDINGS not in wanted or self._text_encoder is None:
            return {}
        try:
            embeddings = self._concept_embeddings(progress, cancel)
        except IncompatibleCodesError as exc:
            logger.warning("Not computing concept prompts: %s", exc.details)
            return {}
        return {CONCEPT_EMBEDDINGS: embeddings}

    def _concept_embeddings(
        self, progress: ProgressCallback | None, cancel: CancelToken | None
    ) -> FloatArray:
        """The concept prompts embedded by the library's CLIP model (once per instance).

        Raises:
            IncompatibleCodesError: No model, or not the one that made the features.
            ModelNotAvailableError: The model cannot be loaded.
        """
        if self._concepts is None:
            encoder = library_text_encoder(self._text_encoder, self._encoder)
            vocabulary = load_vocabulary()
            self._concepts = embed_concepts(encoder, vocabulary, progress=progress, cancel=cancel)
        return self._concepts

    def load(
        self,
        albums: bool,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        zero_shot: ZeroShotRule | None = None,
    ) -> TrainingSet:
        """The photo–caption pairs; pseudo-pairs when no photo has a caption.

        Raises:
            HashingInputError: Nothing is indexed, or the library has no captions and
                the CLIP model needed for pseudo-captions cannot be had.
        """
        data = load_training_set(self._store, self._encoder, albums=albums, zero_shot=zero_shot)
        if data is not None:
            return data
        data = load_pseudo_pairs(
            self._store,
            self._encoder,
            self._pseudo_concepts(progress, cancel),
            albums=albums,
            zero_shot=zero_shot,
        )
        if data is None:
            raise _no_photos()
        logger.info("No captions: training on %d pseudo-pairs", data.pseudo_pairs)
        return data

    def _pseudo_concepts(
        self, progress: ProgressCallback | None, cancel: CancelToken | None
    ) -> Callable[[], FloatArray]:
        """Concept embeddings for pseudo-captions, fetched only if a photo needs one."""

        def concepts() -> FloatArray:
            try:
                return self._concept_embeddings(progress, cancel)
            except (IncompatibleCodesError, ModelNotAvailableError) as exc:
                raise HashingInputError(
                    "No photo in this library has a caption, so training pairs each photo "
                    "with the concept prompts it resembles, which needs the CLIP model that "
                    f"indexed the library: {exc.user_message} Or add captions (sidecar .txt "
                    "files, embedded descriptions or captions.csv) and run `hashlens index`.",
                    exc.details or "no captions, no model for pseudo-captions",
                ) from exc

        return concepts


def _no_photos() -> HashingInputError:
    return HashingInputError(
        "Training needs indexed photos, and this library has none yet: add a folder "
        "(`hashlens add FOLDER`) and run `hashlens index`.",
        "no photo features",
    )


def _labelled_only(data: TrainingSet, key: str) -> tuple[TrainingSet, int]:
    labelled = data.labelled_rows
    if not labelled.any():
        raise HashingInputError(
            f"The {key} method learns from labels, but no photo it can train on has a "
            f"keyword, hashtag, tag or album label. {_LABEL_ADVICE}",
            "0 labelled rows",
        )
    excluded = int((~labelled).sum())
    if excluded:
        hint = " (the semi-supervised lpih method uses them)" if "lpih" in list_hashers() else ""
        logger.warning("%s: %d unlabelled pairs are left out of training%s", key, excluded, hint)
    return data.subset(labelled), excluded
