"""Train a hasher on the library's stored features and give every item a code.

Training never re-runs CLIP: it reads the float features already in the library.
The new hasher is stored inactive, every photo and caption gets its code in
committed batches, and only then does the hasher become active, so an interrupted
training leaves search on the previous hasher (the half-written one is removed by
the next training of the same method).

Methods that use CLIP prompt embeddings of the concept vocabulary (FPO-CMH's
zero-shot pseudo-labels; ``Hasher.uses_aux``) get them from the library's own text
encoder when the trainer is given one that made the stored features.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy.typing as npt

from core.errors import HashingInputError
from core.features.concepts import load_vocabulary, prompt_embeddings
from core.features.encoder import LazyEncoder
from core.hashing import CONCEPT_EMBEDDINGS, create_hasher, list_hashers
from core.hashing.registry import get_spec, resolve
from core.indexing.code_writer import CodesWritten, write_missing_codes
from core.indexing.training_data import TrainingSet, load_training_set
from core.progress import CancelToken, Progress, ProgressCallback
from core.store.database import Store
from core.store.records import EncoderRecord, HasherRecord

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainOptions:
    """What to train: method key, code length, seed, and whether album folders are labels."""

    method: str
    n_bits: int = 64
    seed: int = 0
    albums: bool = False


@dataclass(frozen=True)
class TrainReport:
    """What one training run did (shown by the CLI and the GUI)."""

    hasher: HasherRecord
    rows: int
    photos: int
    labelled_rows: int
    excluded_unlabelled: int
    classes: int
    origin_counts: dict[str, int]
    fit_seconds: float
    codes: CodesWritten


class Trainer:
    """Fits a registered method on one encoder's features in one library.

    Args:
        store: The library.
        encoder: The encoder whose stored features are the training data.
        text_encoder: The CLIP model, loaded only for methods that use prompt
            embeddings; ignored unless it is the model that made the stored features.
    """

    def __init__(
        self, store: Store, encoder: EncoderRecord, text_encoder: LazyEncoder | None = None
    ) -> None:
        self._store = store
        self._encoder = encoder
        self._text_encoder = text_encoder

    def train(
        self,
        options: TrainOptions,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> TrainReport:
        """Fit, store, encode everything, activate. Raises HashingInputError on unusable data."""
        spec = get_spec(options.method)
        data = load_training_set(self._store, self._encoder, albums=options.albums)
        if data is None:
            raise HashingInputError(
                "Training needs photos with captions: none of the indexed photos has one yet. "
                "Add captions (sidecar .txt files, embedded descriptions or captions.csv) "
                "and run `hashlens index`.",
                "no (photo, caption) pairs",
            )
        excluded = 0
        if spec.supervision == "supervised":
            data, excluded = _labelled_only(data, spec.key)
        if progress is not None:
            progress(Progress("training", 0, 1, f"{spec.key}, {data.features.n_items} pairs"))
        hasher = create_hasher(options.method, options.n_bits, seed=options.seed)
        aux = self._aux(resolve(options.method).uses_aux, progress, cancel)
        features = replace(data.features, aux={**data.features.aux, **aux})
        started = time.perf_counter()
        hasher.fit(features, progress=progress, cancel=cancel)
        fit_seconds = time.perf_counter() - started
        concepts = aux.get(CONCEPT_EMBEDDINGS)
        details = _details(data, excluded, fit_seconds, 0 if concepts is None else len(concepts))
        record = self._store_hasher(options, hasher.to_bytes(), details)
        written = write_missing_codes(
            self._store, record, hasher, self._encoder, progress=progress, cancel=cancel
        )
        with self._store.atomic():
            self._store.codes.activate(record.id)
        # An index run in another process or thread may have committed new photos after
        # the pass above and hashed them with the previously active hasher; once this one
        # is active every later index run uses it, so one more pass closes the gap.
        late = write_missing_codes(self._store, record, hasher, self._encoder, cancel=None)
        written = CodesWritten(written.images + late.images, written.texts + late.texts)
        logger.info(
            "Trained %s/%d bits in %.2f s: %s", spec.key, options.n_bits, fit_seconds, details
        )
        return TrainReport(
            hasher=self._store.codes.hasher(record.id),
            rows=data.features.n_items,
            photos=data.n_photos,
            labelled_rows=int(data.labelled_rows.sum()),
            excluded_unlabelled=excluded,
            classes=len(data.label_names),
            origin_counts=dict(data.origin_counts),
            fit_seconds=fit_seconds,
            codes=written,
        )

    def _aux(
        self,
        wanted: frozenset[str],
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> dict[str, npt.NDArray[Any]]:
        """The extra inputs the method uses that this trainer can compute."""
        if CONCEPT_EMBEDDINGS not in wanted or self._text_encoder is None:
            return {}
        encoder = self._text_encoder.get()
        if encoder.model_id != self._encoder.model_id or encoder.dim != self._encoder.dim:
            logger.warning(
                "Not computing concept prompts: the loaded model %s did not make the "
                "stored features (%s)",
                encoder.model_id,
                self._encoder.model_id,
            )
            return {}
        vocabulary = load_vocabulary()
        n_prompts = len(vocabulary.prompts())

        def report(done: int, total: int) -> None:
            if cancel is not None:
                cancel.raise_if_cancelled()
            if progress is not None:
                progress(Progress("concepts", done, total, f"{len(vocabulary)} concepts"))

        report(0, n_prompts)
        started = time.perf_counter()
        embeddings = prompt_embeddings(vocabulary, encoder.encode_texts, report)
        seconds = time.perf_counter() - started
        logger.info("Embedded %d concept prompts in %.1f s", n_prompts, seconds)
        return {CONCEPT_EMBEDDINGS: embeddings}

    def _store_hasher(self, options: TrainOptions, model: bytes, details: str) -> HasherRecord:
        codes = self._store.codes
        with self._store.atomic():
            for old in codes.hashers():
                leftover = old.encoder_id == self._encoder.id and old.name == options.method
                if leftover and not old.is_active:
                    codes.delete_hasher(old.id)
            return codes.add_hasher(
                options.method, self._encoder.id, options.n_bits, model, details
            )


def _labelled_only(data: TrainingSet, key: str) -> tuple[TrainingSet, int]:
    labelled = data.labelled_rows
    if not labelled.any():
        raise HashingInputError(
            f"The {key} method learns from labels, but no captioned photo has a keyword, "
            "hashtag or tag. Tag some photos, opt in to album folders as labels, "
            "or train an unsupervised method such as cca-itq.",
            "0 labelled rows",
        )
    excluded = int((~labelled).sum())
    if excluded:
        hint = " (the semi-supervised lpih method uses them)" if "lpih" in list_hashers() else ""
        logger.warning("%s: %d unlabelled pairs are left out of training%s", key, excluded, hint)
    return data.subset(labelled), excluded


def _details(data: TrainingSet, excluded: int, fit_seconds: float, concepts: int) -> str:
    values: dict[str, object] = {
        "rows": data.features.n_items,
        "photos": data.n_photos,
        "classes": len(data.label_names),
        "labels_by_origin": data.origin_counts,
        "excluded_unlabelled": excluded,
        "fit_seconds": round(fit_seconds, 3),
    }
    if concepts:
        values["concept_prompts"] = concepts
    return json.dumps(values)
