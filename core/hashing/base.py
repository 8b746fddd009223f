"""The Hasher interface: every hashing method is an estimator over NumPy arrays.

Subclasses implement three template methods, ``_fit``, ``_project_image`` and
``_project_text`` (real-valued projections, one column per bit), plus ``_state`` and
``_set_state`` for persistence. The base class owns everything that must be the same
for every method: input validation, the single binarisation rule, bit packing, the
fitted check, randomness derived from the seed, and the file format.

Binarisation: bit k of an item is 1 exactly when its k-th projection is > 0, i.e.
``sgn(0) := -1`` as in the MATLAB reference codes the specs follow. Codes are packed
with ``np.packbits`` (big-endian within each byte), so a code is ``n_bits // 8`` bytes.

File format (``save``/``to_bytes``): one ``.npz`` archive written and read with
``allow_pickle=False``. Key ``__meta__`` holds UTF-8 JSON (method name, parameters,
feature dimensions, format version); every other key is a state array of the method.
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
from abc import ABC, abstractmethod
from contextvars import ContextVar
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Self, get_args, get_origin, get_type_hints

import numpy as np
import numpy.typing as npt

from core.errors import HasherFileError, HashingInputError, NotFittedError
from core.hashing.data import PairedFeatures, StreamBatch, as_features
from core.hashing.tunable import TunedSetting
from core.progress import CancelToken, Progress, ProgressCallback
from core.types import FloatArray, PackedCodes

if TYPE_CHECKING:
    from core.hashing.tuning import TuningReport

JSONScalar = str | int | float | bool | None
Supervision = Literal["unsupervised", "supervised", "semi-supervised"]
StateDict = dict[str, npt.NDArray[Any]]

FILE_FORMAT = "hashlens-hasher"
FILE_FORMAT_VERSION = 1
MAX_BITS = 1024
_META_KEY = "__meta__"
_INSIDE_FIT: ContextVar[bool] = ContextVar("hashlens_inside_fit", default=False)
"""True while a fit runs: hashers fitted inside another's fit (bases) never tune."""


def check_n_bits(n_bits: object) -> int:
    """Return ``n_bits`` if it is a multiple of 8 in [8, 1024], else raise."""
    if isinstance(n_bits, bool) or not isinstance(n_bits, int | np.integer):
        raise HashingInputError("The code length must be a whole number of bits.", repr(n_bits))
    if n_bits < 8 or n_bits > MAX_BITS or n_bits % 8:
        raise HashingInputError(
            f"The code length must be a multiple of 8 between 8 and {MAX_BITS} bits.",
            f"got {n_bits}",
        )
    return int(n_bits)


def binarize(projection: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float32]:
    """Map projections to ±1 with the interface's rule (> 0 → +1, else −1)."""
    return np.where(projection > 0, np.float32(1.0), np.float32(-1.0))


@dataclass(frozen=True)
class NoParams:
    """Hyperparameters of a method that has none."""


@dataclass(frozen=True)
class FitContext:
    """Progress and cancellation for one ``fit`` call, plus the seeded generator."""

    rng: np.random.Generator
    progress: ProgressCallback | None = None
    cancel: CancelToken | None = None
    may_tune: bool = False
    """Whether this is a top-level fit that tunes: only then may hashers fitted inside it
    tune too (:func:`fit_nested`)."""

    def step(self, done: int, total: int, stage: str = "training") -> None:
        """Report progress and stop here if the user cancelled."""
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        if self.progress is not None:
            self.progress(Progress(stage, done, total))


def fit_nested(
    hasher: Hasher, data: PairedFeatures, context: FitContext, *, tune: bool = False
) -> None:
    """Fit ``hasher`` inside another hasher's fit (a wrapped base, say).

    Such hashers keep their defaults, unless ``tune`` asks for the self-tuning search
    *and* the outer fit is itself a tuned top-level fit (``context.may_tune``): the
    candidates of the outer method's own search never run searches of their own.
    """
    token = _INSIDE_FIT.set(not (tune and context.may_tune))
    try:
        hasher.fit(data, cancel=context.cancel)
    finally:
        _INSIDE_FIT.reset(token)


class Hasher(ABC):
    """A cross-modal hashing method: image and text features → packed binary codes.

    Class attributes:
        name: Registry key (kebab-case).
        supervision: What ``fit`` needs: "unsupervised" ignores labels, "supervised"
            requires labels for every row, "semi-supervised" takes ``label_mask``.
        supports_partial_fit: Whether ``partial_fit`` learns online.
        labels_when_given: An unsupervised method that still learns from labels when it
            gets them (FPO-CMH fits its pseudo-labeller to them); callers that hold labels
            pass them (see :meth:`learns_from_labels`).
        uses_aux: ``PairedFeatures.aux`` keys the method uses when given; callers that
            can compute them (the trainer: CLIP prompt embeddings) pass them to ``fit``.
        tunable: Settings the self-tuning fit chooses from the data (core.hashing.tuning).

    Constructor: ``tune=False`` keeps the defaults for every setting not given; settings
    given explicitly are never tuned. ``tune_seconds`` caps the search's wall-clock time.
    After a tuned ``fit``, ``params`` holds the chosen values and ``tuning`` says how
    they were chosen (both are saved with the model).
    """

    name: ClassVar[str]
    supervision: ClassVar[Supervision] = "unsupervised"
    supports_partial_fit: ClassVar[bool] = False
    labels_when_given: ClassVar[bool] = False
    uses_aux: ClassVar[frozenset[str]] = frozenset()
    tunable: ClassVar[tuple[TunedSetting, ...]] = ()

    Params: ClassVar[type[Any]] = NoParams
    """Frozen dataclass of the method's hyperparameters (JSON scalars, with defaults)."""
    params: Any

    @classmethod
    def learns_from_labels(cls) -> bool:
        """Whether ``fit`` uses labels it is given (required or optional)."""
        return cls.supervision != "unsupervised" or cls.labels_when_given

    def __init__(
        self,
        n_bits: int = 64,
        *,
        seed: int = 0,
        tune: bool = True,
        tune_seconds: float | None = None,
        **hyperparams: JSONScalar,
    ) -> None:
        self.n_bits = check_n_bits(n_bits)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise HashingInputError("The seed must be a whole number.", repr(seed))
        self.seed = seed
        if not isinstance(tune, bool):
            raise HashingInputError("tune must be True or False.", repr(tune))
        self.tune = tune
        self.tune_seconds = _check_budget(tune_seconds)
        self.explicit = frozenset(hyperparams)
        self.tuning: TuningReport | None = None
        self._tuning_preset: TuningReport | None = None
        known = {f.name for f in fields(self.Params)}
        unknown = sorted(set(hyperparams) - known)
        if unknown:
            raise HashingInputError(
                f"The {self.name} method has no setting {', '.join(unknown)}. "
                f"Its settings: {', '.join(sorted(known)) or 'none'}.",
                repr(hyperparams),
            )
        _check_choices(self.name, self.Params, hyperparams)
        self.params = self.Params(**hyperparams)
        self._dims: tuple[int, int] | None = None

    # ----------------------------------------------------------------- public API
    def get_params(self) -> dict[str, JSONScalar]:
        """Constructor arguments that recreate this (unfitted) hasher."""
        return {"n_bits": self.n_bits, "seed": self.seed, **asdict(self.params)}

    @property
    def is_fitted(self) -> bool:
        """Whether ``fit`` (or ``load``) has run."""
        return self._dims is not None

    @property
    def dims(self) -> tuple[int, int]:
        """(image dimension, text dimension) seen in training."""
        if self._dims is None:
            raise NotFittedError(f"The {self.name} model has not been trained yet.")
        return self._dims

    def fit(
        self,
        data: PairedFeatures,
        *,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Self:
        """Learn hash functions from row-aligned image/text features (and labels)."""
        if not isinstance(data, PairedFeatures):
            raise HashingInputError("fit() takes a PairedFeatures record.", type(data).__name__)
        self._check_supervision(data)
        preset, self._tuning_preset = self._tuning_preset, None
        may_tune = (preset is not None or self.tune) and not _INSIDE_FIT.get()
        context = FitContext(np.random.default_rng(self.seed), progress, cancel, may_tune)
        if preset is not None or (may_tune and self.tunable):
            from core.hashing.tuning import apply_report, tune_settings  # deferred: fits hashers

            if preset is not None:
                apply_report(self, preset)
            else:
                tune_settings(self, data, context)
        token = _INSIDE_FIT.set(True)
        try:
            self._fit(data, context)
        finally:
            _INSIDE_FIT.reset(token)
        self._dims = (int(data.image.shape[1]), int(data.text.shape[1]))
        return self

    def use_tuning(self, report: TuningReport) -> None:
        """Fit next with settings another search already chose (``--method auto``)."""
        self._tuning_preset = report

    def nested_tuning(self) -> dict[str, TuningReport]:
        """What the searches of hashers fitted inside the last ``fit`` chose, by role.

        LPIH reports its relearned base; methods that wrap none return an empty dict.
        """
        return {}

    def partial_fit(self, batch: StreamBatch) -> Self:
        """Update the hash functions with newly arrived items (online methods only)."""
        raise HashingInputError(
            f"The {self.name} method does not learn online; retrain it instead.",
            "partial_fit is not supported",
        )

    def encode_image(self, features: FloatArray) -> PackedCodes:
        """Codes of image features: (m, d_x) → (m, n_bits // 8) uint8."""
        matrix = as_features(features, "image features", dim=self.dims[0])
        return self._pack(self._project_image(matrix))

    def encode_text(self, features: FloatArray) -> PackedCodes:
        """Codes of text features: (m, d_y) → (m, n_bits // 8) uint8."""
        matrix = as_features(features, "text features", dim=self.dims[1])
        return self._pack(self._project_text(matrix))

    def project_image(self, features: FloatArray) -> npt.NDArray[np.float32]:
        """Real-valued projections (m, n_bits) before binarisation (code bit k = column k > 0).

        Search uses them on the query side for asymmetric scoring against stored codes.
        """
        matrix = as_features(features, "image features", dim=self.dims[0])
        return np.asarray(self._project_image(matrix), dtype=np.float32)

    def project_text(self, features: FloatArray) -> npt.NDArray[np.float32]:
        """Real-valued projections (m, n_bits) of text features before binarisation."""
        matrix = as_features(features, "text features", dim=self.dims[1])
        return np.asarray(self._project_text(matrix), dtype=np.float32)

    def state_dict(self) -> StateDict:
        """The fitted state as named NumPy arrays (flat ``a/b`` keys)."""
        self.dims  # noqa: B018 - raises NotFittedError when unfitted
        return dict(self._state())

    def load_state_dict(self, state: StateDict, dims: tuple[int, int]) -> None:
        """Restore a state produced by :meth:`state_dict` for features of ``dims``."""
        try:
            self._set_state(state)
        except (KeyError, ValueError, TypeError) as exc:
            raise HasherFileError(
                f"The saved {self.name} model is incomplete or damaged.", repr(exc)
            ) from exc
        self._dims = (int(dims[0]), int(dims[1]))

    def to_bytes(self) -> bytes:
        """Serialise the fitted hasher to ``.npz`` bytes (no pickle)."""
        meta: dict[str, Any] = {
            "format": FILE_FORMAT,
            "format_version": FILE_FORMAT_VERSION,
            "name": self.name,
            "params": self.get_params(),
            "dims": list(self.dims),
        }
        if self.tuning is not None:
            meta["tuning"] = self.tuning.as_dict()
        arrays = self.state_dict()
        arrays[_META_KEY] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
        buffer = io.BytesIO()
        np.savez(buffer, allow_pickle=False, **arrays)
        return buffer.getvalue()

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted hasher to ``path`` atomically (``.npz`` + JSON metadata)."""
        target = Path(path)
        blob = self.to_bytes()
        handle, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(blob)
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Hasher:
        """Read a hasher written by :meth:`save`; the method comes from the file."""
        try:
            blob = Path(path).read_bytes()
        except OSError as exc:
            raise HasherFileError("The saved model file cannot be read.", str(exc)) from exc
        return cls.from_bytes(blob)

    @classmethod
    def from_bytes(cls, blob: bytes) -> Hasher:
        """Rebuild a hasher from :meth:`to_bytes` output."""
        from core.hashing.registry import resolve  # deferred: registry imports models lazily

        meta, state = _read_archive(blob)
        hasher_cls = resolve(str(meta["name"]), error=HasherFileError)
        if not issubclass(hasher_cls, cls):
            raise HasherFileError(
                f"The file holds a {meta['name']} model, not a {cls.__name__}.", str(meta["name"])
            )
        try:
            hasher = hasher_cls(**meta["params"])
        except (TypeError, HashingInputError) as exc:
            raise HasherFileError("The saved model has invalid settings.", repr(exc)) from exc
        dims = meta["dims"]
        hasher.load_state_dict(state, (int(dims[0]), int(dims[1])))
        if isinstance(meta.get("tuning"), dict):
            from core.hashing.tuning import TuningReport

            try:
                hasher.tuning = TuningReport.from_dict(meta["tuning"])
            except (KeyError, TypeError) as exc:
                raise HasherFileError(
                    "The saved model's tuning record is damaged.", repr(exc)
                ) from exc
        return hasher

    # ----------------------------------------------------------- template methods
    @abstractmethod
    def _fit(self, data: PairedFeatures, context: FitContext) -> None:
        """Learn the method's parameters (features and labels are validated)."""

    @abstractmethod
    def _project_image(self, features: FloatArray) -> npt.NDArray[np.floating[Any]]:
        """(m, d_x) → (m, n_bits) real-valued projections."""

    @abstractmethod
    def _project_text(self, features: FloatArray) -> npt.NDArray[np.floating[Any]]:
        """(m, d_y) → (m, n_bits) real-valued projections."""

    @abstractmethod
    def _state(self) -> StateDict:
        """Fitted arrays to persist."""

    @abstractmethod
    def _set_state(self, state: StateDict) -> None:
        """Restore arrays returned by :meth:`_state` (KeyError/ValueError if broken)."""

    # ------------------------------------------------------------------ internals
    def _pack(self, projection: npt.NDArray[np.floating[Any]]) -> PackedCodes:
        if projection.shape[1] != self.n_bits:
            raise AssertionError(f"{self.name} projected to {projection.shape[1]} bits")
        return np.packbits(projection > 0, axis=1)

    def _check_supervision(self, data: PairedFeatures) -> None:
        if self.supervision == "unsupervised":
            return
        if data.labels is None:
            raise HashingInputError(
                f"The {self.name} method learns from labels, but none were given.",
                "labels=None",
            )
        mask = data.label_mask
        if self.supervision == "supervised" and mask is not None and not mask.all():
            raise HashingInputError(
                f"The {self.name} method needs labels for every item; "
                "use a semi-supervised method (LPIH) when only some are labelled.",
                f"{int((~mask).sum())} unlabelled rows",
            )


def _check_choices(method: str, params: type[Any], given: dict[str, JSONScalar]) -> None:
    """Refuse a value outside its Literal choices (``relearn="bogus"``) before it is used."""
    hints = get_type_hints(params)
    for name, value in given.items():
        hint = hints.get(name)
        if get_origin(hint) is Literal and value not in get_args(hint):
            choices = ", ".join(repr(c) for c in get_args(hint))
            raise HashingInputError(
                f"The {method} method's setting {name} must be one of {choices}.",
                f"{name}={value!r}",
            )


def _check_budget(seconds: object) -> float | None:
    """``tune_seconds`` as a positive number of seconds, or None for no limit."""
    if seconds is None:
        return None
    ok = isinstance(seconds, int | float) and not isinstance(seconds, bool)
    if not ok or not math.isfinite(float(seconds)) or float(seconds) <= 0:  # type: ignore[arg-type]
        raise HashingInputError(
            "The tuning time budget must be a positive number of seconds.", repr(seconds)
        )
    return float(seconds)  # type: ignore[arg-type]


def _read_archive(blob: bytes) -> tuple[dict[str, Any], StateDict]:
    try:
        with np.load(io.BytesIO(blob), allow_pickle=False) as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as exc:
        raise HasherFileError(
            "The saved model file is damaged or not a HashLens model.", repr(exc)
        ) from exc
    raw = arrays.pop(_META_KEY, None)
    try:
        meta = json.loads(bytes(raw).decode()) if raw is not None else None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HasherFileError("The saved model's description is damaged.", repr(exc)) from exc
    if not isinstance(meta, dict) or meta.get("format") != FILE_FORMAT:
        raise HasherFileError("The file is not a HashLens model.", "missing metadata")
    if meta.get("format_version", 0) > FILE_FORMAT_VERSION:
        raise HasherFileError(
            "The model was saved by a newer HashLens; update HashLens to use it.",
            f"format_version {meta.get('format_version')}",
        )
    if not isinstance(meta.get("params"), dict) or not isinstance(meta.get("dims"), list):
        raise HasherFileError("The saved model's description is incomplete.", str(meta))
    return meta, arrays
