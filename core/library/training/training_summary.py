"""The training summary stored with every hasher (``hashers.details``), typed.

Training writes it (:mod:`core.library.training.trainer`), online learning adds to it
(:mod:`core.library.training.online_update`), and the rest only read it: the album-label check
of :mod:`core.library.training.own_map`, ``online_progress``, ``hashlens status`` and the
window's hashing card. It is stored as a JSON object; the keys are the ones every
version has written, so the format is a contract with the libraries already on disk:

- Reading is tolerant. A key an older version did not write gets its default (``0``,
  ``False``, an empty mapping, or ``None`` for a part that was never written); a key
  this version does not know is ignored. A value of the wrong type, text that is not
  JSON, or JSON that is not an object raises ``ValueError``.
- Writing keeps the stored shape: the optional parts (``zero_shot``,
  ``concept_prompts``, ``tuning``, ``auto``, ``online``) are written only when present,
  as before.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any, Protocol, Self, TypeVar

JSONValue = Any
"""A value as :func:`json.loads` returns it."""


def _obj(raw: JSONValue, what: str) -> Mapping[str, JSONValue]:
    if not isinstance(raw, Mapping):
        raise ValueError(f"{what} is {type(raw).__name__}, not a JSON object")
    return raw


def _scalars(cls: type[Any], raw: JSONValue, what: str) -> dict[str, Any]:
    """The known scalar keys of ``raw``, converted to ``cls``'s field types; the rest dropped."""
    values = _obj(raw, what)
    out: dict[str, Any] = {}
    for f in fields(cls):
        if f.name not in values:
            continue
        value = values[f.name]
        kind = str(f.type)
        if value is None and "None" in kind:
            out[f.name] = None
        elif kind.startswith("int"):
            out[f.name] = int(value)
        elif kind.startswith("float"):
            out[f.name] = float(value)
        elif kind.startswith("bool"):
            out[f.name] = bool(value)
        elif kind.startswith("str"):
            out[f.name] = str(value)
    return out


class _Part(Protocol):
    @classmethod
    def from_dict(cls, raw: JSONValue) -> Self: ...


_P = TypeVar("_P", bound=_Part)


def _part(cls: type[_P], values: Mapping[str, JSONValue], key: str) -> _P | None:
    """The nested object under ``key``, or None where it was never written."""
    raw = values.get(key)
    return None if raw is None else cls.from_dict(raw)


@dataclass(frozen=True)
class ZeroShotSummary:
    """The zero-shot labelling run that stood in for missing labels, and its rule."""

    photos: int = 0
    labels: int = 0
    concepts: int = 0
    min_confidence: float = 0.0
    max_fraction: float = 0.0
    min_photos: int = 0

    @classmethod
    def from_dict(cls, raw: JSONValue) -> Self:
        """Read the stored ``zero_shot`` object."""
        return cls(**_scalars(cls, raw, "zero_shot"))


@dataclass(frozen=True)
class TuningSummary:
    """How self-tuning chose the method's settings (``TuningReport``)."""

    status: str = ""
    chosen: Mapping[str, JSONValue] = field(default_factory=dict)
    summary: str = ""
    """One line for the method's own search, then one per search of a hasher it wraps,
    as ``"ROLE: SUMMARY"`` (LPIH's ``relearned hpseh``)."""

    @classmethod
    def from_dict(cls, raw: JSONValue) -> Self:
        """Read the stored ``tuning`` object."""
        chosen = _obj(raw, "tuning").get("chosen") or {}
        return cls(chosen=dict(_obj(chosen, "tuning.chosen")), **_scalars(cls, raw, "tuning"))


@dataclass(frozen=True)
class AutoChoice:
    """What ``--method auto`` compared and picked (``Selection.as_dict``)."""

    method: str = ""
    situation: str = ""
    scores: Mapping[str, float | None] = field(default_factory=dict)
    reason: str = ""

    @classmethod
    def from_dict(cls, raw: JSONValue) -> Self:
        """Read the stored ``auto`` object."""
        scores = _obj(_obj(raw, "auto").get("scores") or {}, "auto.scores")
        return cls(
            scores={str(k): None if v is None else float(v) for k, v in scores.items()},
            **_scalars(cls, raw, "auto"),
        )


@dataclass(frozen=True)
class OnlineSummary:
    """What online learning added since training (counts, and the hasher's own account).

    Attributes:
        pairs: Photo–caption pairs learned. images: Photos learned alone.
        texts: Captions learned alone. updates: Online updates stored.
        updated_at: When the last update was stored (ISO 8601).
        bank_rows, novel_rows, novel_waiting, images_seen, texts_seen: The hasher's
            ``online_summary`` (None: the hasher gave none, e.g. an older version).
        drift: Estimated bit-flip rate of stored codes (None: unknown).
    """

    pairs: int = 0
    images: int = 0
    texts: int = 0
    updates: int = 0
    updated_at: str = ""
    bank_rows: int | None = None
    novel_rows: int | None = None
    novel_waiting: int | None = None
    images_seen: int | None = None
    texts_seen: int | None = None
    drift: float | None = None

    @classmethod
    def from_dict(cls, raw: JSONValue) -> Self:
        """Read the stored ``online`` object."""
        return cls(**_scalars(cls, raw, "online"))

    def to_dict(self) -> dict[str, JSONValue]:
        """The stored ``online`` object (parts that are None stay out: read back as None)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


@dataclass(frozen=True)
class TrainingSummary:
    """What a hasher was trained on and how it has learned since (stored as JSON).

    Attributes:
        rows: Photo–caption pairs trained on.
        photos: Distinct photos among them.
        classes: Label classes.
        labels_by_origin: Label assignments used, by origin (``hashtag``, ``album``, …).
        labelled_rows: Rows whose photo had a label.
        unlabelled_rows: Rows whose photo had none.
        excluded_unlabelled: Unlabelled rows a supervised method left out.
        zero_shot_fallback: Zero-shot guesses stood in for missing labels.
        pseudo_pairs: Rows whose text side was a pseudo-caption (no captions).
        fit_seconds: Time in ``Hasher.fit``.
        zero_shot: The zero-shot run behind ``zero_shot_fallback``, else None.
        concept_prompts: Concept prompts embedded for the method (0: none).
        tuning: How self-tuning chose the settings, else None.
        auto: What ``--method auto`` picked, else None.
        online: What online learning added, else None (never learned online).
    """

    rows: int = 0
    photos: int = 0
    classes: int = 0
    labels_by_origin: Mapping[str, int] = field(default_factory=dict)
    labelled_rows: int = 0
    unlabelled_rows: int = 0
    excluded_unlabelled: int = 0
    zero_shot_fallback: bool = False
    pseudo_pairs: int = 0
    fit_seconds: float = 0.0
    zero_shot: ZeroShotSummary | None = None
    concept_prompts: int = 0
    tuning: TuningSummary | None = None
    auto: AutoChoice | None = None
    online: OnlineSummary | None = None

    @classmethod
    def from_json(cls, text: str) -> Self:
        """Parse a stored summary; empty text is the empty summary.

        Raises:
            ValueError: Not JSON, not an object, or a known key holds a value of the
                wrong type.
        """
        if not text:
            return cls()
        try:
            return cls.from_dict(json.loads(text))
        except (ValueError, TypeError, AttributeError) as exc:
            raise ValueError(f"unreadable training summary: {exc}") from exc

    @classmethod
    def from_dict(cls, raw: JSONValue) -> Self:
        """Read the parsed JSON object (see :meth:`from_json`)."""
        values = _obj(raw, "training summary")
        origins = _obj(values.get("labels_by_origin") or {}, "labels_by_origin")
        return cls(
            labels_by_origin={str(k): int(v) for k, v in origins.items()},
            zero_shot=_part(ZeroShotSummary, values, "zero_shot"),
            tuning=_part(TuningSummary, values, "tuning"),
            auto=_part(AutoChoice, values, "auto"),
            online=_part(OnlineSummary, values, "online"),
            **_scalars(cls, values, "training summary"),
        )

    def to_dict(self) -> dict[str, JSONValue]:
        """The stored JSON object (optional parts only when present)."""
        out: dict[str, JSONValue] = {
            "rows": self.rows,
            "photos": self.photos,
            "classes": self.classes,
            "labels_by_origin": dict(self.labels_by_origin),
            "labelled_rows": self.labelled_rows,
            "unlabelled_rows": self.unlabelled_rows,
            "excluded_unlabelled": self.excluded_unlabelled,
            "zero_shot_fallback": self.zero_shot_fallback,
            "pseudo_pairs": self.pseudo_pairs,
            "fit_seconds": self.fit_seconds,
        }
        if self.zero_shot is not None:
            out["zero_shot"] = asdict(self.zero_shot)
        if self.concept_prompts:
            out["concept_prompts"] = self.concept_prompts
        if self.tuning is not None:
            out["tuning"] = {**asdict(self.tuning), "chosen": dict(self.tuning.chosen)}
        if self.auto is not None:
            out["auto"] = {**asdict(self.auto), "scores": dict(self.auto.scores)}
        if self.online is not None:
            out["online"] = self.online.to_dict()
        return out

    def to_json(self) -> str:
        """The text stored in ``hashers.details``."""
        return json.dumps(self.to_dict())

    def with_online(self, online: OnlineSummary) -> Self:
        """This summary with ``online`` replaced."""
        return replace(self, online=online)
