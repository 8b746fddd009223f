"""Train a hasher on the library's stored features and give every item a code.

Training never re-runs CLIP: it reads the float features already in the library.
The new hasher is stored inactive, every photo and caption gets its code in
committed batches, and only then does the hasher become active, so an interrupted
training leaves search on the previous hasher (the half-written one is removed by
the next training of the same method).

Methods that use CLIP prompt embeddings of the concept vocabulary (FPO-CMH's
zero-shot pseudo-labels; ``Hasher.uses_aux``) get them from the library's own text
encoder when the trainer is given one that made the stored features.

Which rows a method trains on (by its supervision, with zero-shot labels standing in
for missing ones and pseudo-pairs for missing captions) is decided by
:mod:`core.library.training.training_rows`; pseudo-pairs are reported as such.
"""

from __future__ import annotations

import logging
import time
from dataclasses import asdict, dataclass, field, replace

from core.encoders.encoder import LazyEncoder
from core.hashing import CONCEPT_EMBEDDINGS, create_hasher
from core.hashing.data import PairedFeatures
from core.hashing.registry import get_spec, resolve
from core.hashing.selection import AUTO, Selection, select_method
from core.hashing.tuning import TuningReport
from core.library.training.code_writer import CodesWritten, write_missing_codes
from core.library.training.training_data import TrainingSet
from core.library.training.training_rows import TrainingRows
from core.library.training.training_summary import (
    AutoChoice,
    TrainingSummary,
    TuningSummary,
    ZeroShotSummary,
)
from core.library.training.zero_shot_labels import ZeroShotReport, ZeroShotRule
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
        nested_tuning: What the searches of hashers the method wraps chose, by role
            (LPIH's relearned base); empty for other methods.
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
    nested_tuning: dict[str, TuningReport] = field(default_factory=dict)

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
        self._rows = TrainingRows(store, encoder, text_encoder)

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
        data, excluded, zero_shot = self._rows.for_supervision(
            spec.supervision, options.method, options.albums, progress, cancel
        )
        if progress is not None:
            progress(Progress("training", 0, 1, f"{spec.key}, {data.features.n_items} pairs"))
        hasher = create_hasher(options.method, options.n_bits, seed=options.seed)
        if selection is not None and selection.tuning is not None:
            hasher.use_tuning(selection.tuning)
        aux = self._rows.aux(resolve(options.method).uses_aux, progress, cancel)
        features = replace(data.features, aux={**data.features.aux, **aux})
        started = time.perf_counter()
        hasher.fit(features, progress=progress, cancel=cancel)
        fit_seconds = time.perf_counter() - started
        concepts = aux.get(CONCEPT_EMBEDDINGS)
        details = _details(
            data, excluded, fit_seconds, 0 if concepts is None else len(concepts), zero_shot
        )
        nested = hasher.nested_tuning()
        details = _with_choices(details, hasher.tuning, nested, selection)
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
            nested_tuning=nested,
        )

    def _select(
        self,
        options: TrainOptions,
        progress: ProgressCallback | None,
        cancel: CancelToken | None,
    ) -> Selection:
        """``--method auto``: every pair, with the labelled ones marked, to core.hashing."""
        data = self._rows.load(options.albums, progress, cancel)
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


def _with_choices(
    summary: TrainingSummary,
    tuning: TuningReport | None,
    nested: dict[str, TuningReport],
    selection: Selection | None,
) -> TrainingSummary:
    """The summary plus what self-tuning and ``auto`` chose (shown by the window)."""
    if tuning is not None:
        text = "\n".join(
            [tuning.summary(), *(f"{role}: {r.summary()}" for role, r in nested.items())]
        )
        chosen = TuningSummary(tuning.status, dict(tuning.chosen), text)
        summary = replace(summary, tuning=chosen)
    if selection is not None:
        summary = replace(summary, auto=AutoChoice.from_dict(selection.as_dict()))
    return summary


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
