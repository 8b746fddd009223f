"""Train a hasher on the library's stored features and give every item a code.

Training never re-runs CLIP: it reads the float features already in the library.
The new hasher is stored inactive, every photo and caption gets its code in
committed batches, and only then does the hasher become active, so an interrupted
training leaves search on the previous hasher (the half-written one is removed by
the next training of the same method).

Methods that use CLIP prompt embeddings of the concept vocabulary (FPO-CMH's
zero-shot pseudo-labels; ``Hasher.uses_aux``) get them from the library's own text
encoder when the trainer is given one that made the stored features.

Labels by supervision: supervised methods get only the labelled rows; unsupervised
ones get every row; semi-supervised ones (LPIH) get every row with ``label_mask``
marking the rows whose photo has a label. When no photo has any label (no keyword,
hashtag, tag or album), the semi-supervised path first stores zero-shot guesses for
every photo and treats as labelled only the confident few that ``ZeroShotRule``
accepts; every other row is unlabelled.

A library without a single caption trains on pseudo-pairs: each photo with the CLIP
text embedding of the concept prompts it resembles (:mod:`core.library.training.pseudo_pairs`),
which needs the CLIP model that indexed the library. They are reported as such.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy.typing as npt

from core.encoders.concepts import load_vocabulary
from core.encoders.encoder import LazyEncoder
from core.errors import HashingInputError, IncompatibleCodesError, ModelNotAvailableError
from core.hashing import CONCEPT_EMBEDDINGS, create_hasher, list_hashers
from core.hashing.base import Supervision
from core.hashing.data import PairedFeatures
from core.hashing.registry import get_spec, resolve
from core.hashing.selection import AUTO, Selection, select_method
from core.hashing.tuning import TuningReport
from core.library.training.code_writer import CodesWritten, write_missing_codes
from core.library.training.concept_prompts import embed_concepts, library_text_encoder
from core.library.training.training_data import TrainingSet, load_pseudo_pairs, load_training_set
from core.library.training.training_summary import (
    AutoChoice,
    TrainingSummary,
    TuningSummary,
    ZeroShotSummary,
)
from core.library.training.zero_shot_labels import (
    ZeroShotReport,
    ZeroShotRule,
    refresh_zero_shot_labels,
)
from core.progress import CancelToken, Progress, ProgressCallback
from core.store.database import Store
from core.store.records import EncoderRecord, HasherRecord
from core.types import FloatArray

logger = logging.getLogger(__name__)

_LABEL_ADVICE = (
    "Tag some photos (`hashlens tag PHOTO --add NAME`), opt in to album folders as labels "
    "(`hashlens add FOLDER --album-labels`), or train an unsupervised method such as cca-itq."
)


@dataclass(frozen=True)
class TrainOptions:
    """What to train: method key, code length, seed, and whether album folders are labels."""

    method: str
    n_bits: int = 64
    seed: int = 0
    albums: bool = False


@dataclass(frozen=True)
class TrainReport:
    """What one training run did (shown by the CLI and the GUI).

    Attributes:
        hasher: The stored (now active) hasher.
        rows: Photo–caption pairs trained on.
        photos: Distinct photos among them.
        labelled_rows: Rows whose photo had a label.
        excluded_unlabelled: Unlabelled rows a supervised method left out.
        classes: Label classes.
        origin_counts: Label assignments used, by origin.
        fit_seconds: Time in ``Hasher.fit``.
        codes: Codes written.
        zero_shot: The zero-shot labelling run that stood in for missing labels (a
            semi-supervised method on a library without labels), else None.
        tuning: How the self-tuning fit chose the method's settings (None: not tuned).
        selection: What ``--method auto`` compared and picked, else None.
        pseudo_pairs: Rows whose text side is a pseudo-caption (a library without
            captions), not a caption.
    """

    hasher: HasherRecord
    rows: int
    photos: int
    labelled_rows: int
    excluded_unlabelled: int
    classes: int
    origin_counts: dict[str, int]
    fit_seconds: float
    codes: CodesWritten
    zero_shot: ZeroShotReport | None = None
    tuning: TuningReport | None = None
    selection: Selection | None = None
    pseudo_pairs: int = 0

    @property
    def unlabelled_rows(self) -> int:
        """Rows whose photo has no label (semi-supervised methods learn them from the rest)."""
        return self.rows - self.labelled_rows


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
        self._concepts: FloatArray | None = None

    def train(
        self,
        options: TrainOptions,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> TrainReport:
        """Fit, store, encode everything, activate. Raises HashingInputError on unusable data."""
        selection = None
        if options.method == AUTO:
            selection = self._select(options, progress, cancel)
            options = replace(options, method=selection.key)
        spec = get_spec(options.method)
        data, excluded, zero_shot = self._rows(spec.supervision, options, progress, cancel)
        if progress is not None:
            progress(Progress("training", 0, 1, f"{spec.key}, {data.features.n_items} pairs"))
        hasher = create_hasher(options.method, options.n_bits, seed=options.seed)
        if selection is not None and selection.tuning is not None:
            hasher.use_tuning(selection.tuning)
        aux = self._aux(resolve(options.method).uses_aux, progress, cancel)
        features = replace(data.features, aux={**data.features.aux, **aux})
        started = time.perf_counter()
        hasher.fit(features, progress=progress, cancel=cancel)
        fit_seconds = time.perf_counter() - started
        concepts = aux.get(CONCEPT_EMBEDDINGS)
        details = _details(
            data, excluded, fit_seconds, 0 if concepts is None else len(concepts), zero_shot
        )
        details = _with_choices(details, hasher.tuning, selection)
        record = self._store_hasher(options, hasher.to_bytes(), details.to_json())
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
            "Trained %s/%d bits in %.2f s: %s",
            spec.key,
            options.n_bits,
            fit_seconds,
            details.to_json(),
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
            zero_shot=zero_shot,
            tuning=hasher.tuning,
            selection=selection,
            pseudo_pairs=data.pseudo_pairs,
        )

    def _select(
        self,
        options: TrainOptions,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> Selection:
        """``--method auto``: every pair, with the labelled ones marked, to core.hashing."""
        data = self._load(options, progress, cancel)
        features = data.features
        labelled = data.labelled_rows
        if features.labels is not None and labelled.any():
            features = PairedFeatures(features.image, features.text, features.labels, labelled)
        else:
            features = PairedFeatures(features.image, features.text)
        selection = select_method(
            features, options.n_bits, seed=options.seed, progress=progress, cancel=cancel
        )
        logger.info("auto: %s", selection.reason)
        return selection

    def _rows(
        self,
        supervision: Supervision,
        options: TrainOptions,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> tuple[TrainingSet, int, ZeroShotReport | None]:
        """The rows as the method's supervision needs them.

        Returns:
            The rows, how many unlabelled rows were left out, and the zero-shot run
            that stood in for missing labels (or None).
        """
        data = self._load(options, progress, cancel)
        if supervision == "supervised":
            data, excluded = _labelled_only(data, options.method)
            return data, excluded, None
        if supervision == "unsupervised":
            return data, 0, None
        zero_shot = None
        if not data.labelled_rows.any():
            zero_shot, data = self._zero_shot_labels(options, progress, cancel)
        mask = data.labelled_rows
        return replace(data, features=replace(data.features, label_mask=mask)), 0, zero_shot

    def _zero_shot_labels(
        self,
        options: TrainOptions,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> tuple[ZeroShotReport, TrainingSet]:
        """Store fresh zero-shot guesses and reload the rows with the confident ones."""
        try:
            concepts = self._concept_embeddings(progress, cancel)
        except (IncompatibleCodesError, ModelNotAvailableError) as exc:
            raise HashingInputError(
                f"The {options.method} method needs some labelled photos, but no captioned "
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
        labelled = self._load(options, progress, cancel, zero_shot=rule)
        if not labelled.labelled_rows.any():
            raise HashingInputError(
                f"The {options.method} method needs some labelled photos, but no captioned "
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

    def _aux(
        self,
        wanted: frozenset[str],
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> dict[str, npt.NDArray[Any]]:
        """The extra inputs the method uses that this trainer can compute."""
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
        """The concept prompts embedded by the library's CLIP model (once per trainer).

        Raises:
            IncompatibleCodesError: No model, or not the one that made the features.
            ModelNotAvailableError: The model cannot be loaded.
        """
        if self._concepts is None:
            encoder = library_text_encoder(self._text_encoder, self._encoder)
            vocabulary = load_vocabulary()
            self._concepts = embed_concepts(encoder, vocabulary, progress=progress, cancel=cancel)
        return self._concepts

    def _load(
        self,
        options: TrainOptions,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
        zero_shot: ZeroShotRule | None = None,
    ) -> TrainingSet:
        """The photo–caption pairs; pseudo-pairs when no photo has a caption.

        Raises:
            HashingInputError: Nothing is indexed, or the library has no captions and
                the CLIP model needed for pseudo-captions cannot be had.
        """
        data = load_training_set(
            self._store, self._encoder, albums=options.albums, zero_shot=zero_shot
        )
        if data is not None:
            return data
        data = load_pseudo_pairs(
            self._store,
            self._encoder,
            self._pseudo_concepts(progress, cancel),
            albums=options.albums,
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

    def _store_hasher(self, options: TrainOptions, model: bytes, details: str) -> HasherRecord:
        codes = self._store.codes
        with self._store.atomic():
            for old in codes.hashers():
                # Only the same method at the same length is replaced; models at other
                # lengths stay so that they can be switched back to without retraining.
                leftover = (
                    old.encoder_id == self._encoder.id
                    and old.name == options.method
                    and old.n_bits == options.n_bits
                )
                if leftover and not old.is_active:
                    codes.delete_hasher(old.id)
            return codes.add_hasher(
                options.method, self._encoder.id, options.n_bits, model, details
            )


def _no_photos() -> HashingInputError:
    return HashingInputError(
        "Training needs indexed photos, and this library has none yet: add a folder "
        "(`hashlens add FOLDER`) and run `hashlens index`.",
        "no photo features",
    )


def _with_choices(
    summary: TrainingSummary, tuning: TuningReport | None, selection: Selection | None
) -> TrainingSummary:
    """The summary plus what self-tuning and ``auto`` chose (shown by the window)."""
    if tuning is not None:
        chosen = TuningSummary(tuning.status, dict(tuning.chosen), tuning.summary())
        summary = replace(summary, tuning=chosen)
    if selection is not None:
        summary = replace(summary, auto=AutoChoice.from_dict(selection.as_dict()))
    return summary


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


def _details(
    data: TrainingSet,
    excluded: int,
    fit_seconds: float,
    concepts: int,
    zero_shot: ZeroShotReport | None,
) -> TrainingSummary:
    labelled = int(data.labelled_rows.sum())
    return TrainingSummary(
        rows=data.features.n_items,
        photos=data.n_photos,
        classes=len(data.label_names),
        labels_by_origin=dict(data.origin_counts),
        labelled_rows=labelled,
        unlabelled_rows=data.features.n_items - labelled,
        excluded_unlabelled=excluded,
        zero_shot_fallback=zero_shot is not None,
        pseudo_pairs=data.pseudo_pairs,
        fit_seconds=round(fit_seconds, 3),
        zero_shot=None
        if zero_shot is None
        else ZeroShotSummary(**asdict(zero_shot), **asdict(ZeroShotRule())),
        concept_prompts=concepts,
    )
