"""Words for the hashing panel and the training dialog (no Qt here, so they are easy to test)."""

from __future__ import annotations

from datetime import datetime

from core.hashing.registry import HasherSpec
from core.library.indexing.caption_sync import (
    ORIGIN_EMBEDDED_KEYWORDS,
    ORIGIN_FILE_KEYWORDS,
    ORIGIN_HASHTAGS,
)
from core.library.training.own_map import MIN_CLASSES, MIN_LABELLED_PHOTOS, OwnPhotosMap
from core.library.training.trainer import TrainReport
from core.library.training.training_data import ALBUM_ORIGIN
from core.library.training.zero_shot_labels import ZERO_SHOT_ORIGIN
from core.store.code_footprint import CodeFootprint
from core.store.media_repo import USER_SOURCE
from desktop_app.application.hashing import TrainedHasher, TrainingDetails, short_title
from desktop_app.application.progress_text import format_bytes

ORIGIN_WORDS = {
    USER_SOURCE: "your tags",
    ORIGIN_EMBEDDED_KEYWORDS: "keywords",
    ORIGIN_FILE_KEYWORDS: "keywords from captions files",
    ORIGIN_HASHTAGS: "#hashtags",
    ALBUM_ORIGIN: "album folders",
    ZERO_SHOT_ORIGIN: "confident zero-shot guesses",
}
SUPERVISION_WORDS = {
    "unsupervised": (
        "Learns from your photos and captions alone; labels are not needed and not used."
    ),
    "supervised": (
        "Learns from your labels: keywords, #hashtags in captions, the tags you add, and "
        "album folders if you tick the box below. Photos without a label are left out "
        "of training (they still get codes)."
    ),
    "semi-supervised": (
        "Learns from your labelled photos and carries what it learns to the unlabelled rest. "
        "Without any label it starts from the everyday concepts CLIP recognises with confidence."
    ),
}
AUTO_CHOICE = "Automatic: the best for this library — recommended"
AUTO_EXPLANATION = (
    "Tries every method your labels allow on a held-out part of your photos and keeps the "
    "one that finds the right captions best. Each method's settings are chosen the same way."
)
ONLINE_WORDS = "It keeps learning as new photos arrive, without re-coding the library."
EMPTY_INVITATION = (
    "No hashing model yet: search compares full vectors. Train one to give every photo "
    "a compact code and a fast first pass."
)
NOT_INDEXED_INVITATION = "Index some photos first; then train a hashing model on them."


PLAIN_NAMES = {
    "lsh": "Random codes — a quick baseline",
    "itq": "Photos and captions together, no labels (ITQ)",
    "cca-itq": "Photos and captions together, no labels (CCA-ITQ)",
    "cmfh": "Shared meaning of photos and captions, no labels (CMFH)",
    "batch": "Your labels — baseline (BATCH)",
    "hpseh": "Your labels (HPsEH)",
    "lpih": "A few labels, carried to the rest (LPIH)",
    "fpo-cmh": "Keeps learning as photos arrive (FPO-CMH)",
}
"""What each method learns from, in words; the paper's acronym comes last, for reference."""
RECOMMENDED = ""
"""A method to mark as recommended in the list; none: "Automatic" above them is."""
RECOMMENDATION = (
    "Not sure? “Automatic” is recommended: it tries every method your tags, keywords and "
    "#hashtags allow, and works without any."
)
LABELLED_METHODS = frozenset({"batch", "hpseh"})
"""Methods that refuse a code as long as (or longer than) their labelled training pairs."""
FEATURE_BOUND_METHODS = frozenset({"itq", "cca-itq"})
"""Methods that make at most as many bits as the features have dimensions."""


def method_choice(spec: HasherSpec) -> str:
    """A line of the method list: ``Your labels (HPsEH)``, marked when recommended."""
    name = PLAIN_NAMES.get(spec.key, f"{short_title(spec.title)} ({spec.supervision})")
    return f"{name} — recommended" if spec.key == RECOMMENDED else name


def longest_code(key: str, feature_dim: int, labelled_photos: int) -> tuple[int, str] | None:
    """The longest code ``key`` can train on this library, and why; None when unbounded.

    ``feature_dim`` and ``labelled_photos`` of 0 mean "not known" (nothing is bounded).
    """
    if key in FEATURE_BOUND_METHODS and feature_dim:
        return feature_dim, f"this method makes at most {feature_dim} bits from the features"
    if key in LABELLED_METHODS and labelled_photos:
        return labelled_photos - 1, (
            f"it needs more labelled photos than bits ({labelled_photos:,} are labelled)"
        )
    return None


def method_explanation(spec: HasherSpec) -> str:
    """What the method learns from, in plain words."""
    words = SUPERVISION_WORDS.get(spec.supervision, "")
    return f"{words} {ONLINE_WORDS}" if spec.online else words


def trained_when(created_at: str) -> str:
    """``23 Nov 2025, 16:40`` in local time (the stored text where it is not ISO)."""
    try:
        moment = datetime.fromisoformat(created_at).astimezone()
    except ValueError:
        return created_at
    return f"{moment.day} {moment:%b %Y, %H:%M}"


def describe_codes(hasher: TrainedHasher) -> str:
    """``64-bit codes · version 2 · trained 23 Nov 2025, 16:40``."""
    return (
        f"{hasher.n_bits}-bit codes · version {hasher.version} · "
        f"trained {trained_when(hasher.created_at)}"
    )


def describe_footprint(footprint: CodeFootprint) -> str:
    """``Index: 22 codes · 176 B (11 photos, 11 captions)``."""
    return (
        f"Index: {footprint.codes:,} codes · {format_bytes(footprint.n_bytes)} "
        f"({footprint.images:,} photos, {footprint.texts:,} captions)"
    )


def describe_labels(hasher: TrainedHasher, details: TrainingDetails) -> str:
    """Which labels training used, then why this method and how its settings were chosen."""
    lines = [_describe_labels(hasher, details)]
    if details.picked:
        lines.append(f"Picked automatically: {details.picked}")
    own, *nested = details.settings.split("\n")
    if own and not own.startswith("given explicitly"):
        lines.append(f"Settings {own}.")
    lines.extend(f"Settings of the {line}." for line in nested)  # "relearned hpseh: …"
    return "\n".join(lines)


def pair_words(pseudo_pairs: int) -> str:
    """What the training rows were: real pairs, or pseudo-pairs in a library without captions."""
    if pseudo_pairs:
        return (
            "pseudo-pairs (no photo has a caption: each photo is paired with the "
            "concept prompts it resembles)"
        )
    return "photo–caption pairs"


def _describe_labels(hasher: TrainedHasher, details: TrainingDetails) -> str:
    """Which labels training used, by origin, or why none (without the choices)."""
    pairs = pair_words(details.pseudo_pairs)
    if hasher.supervision == "unsupervised":
        return f"Trained on {details.rows:,} {pairs}; this method uses no labels."
    if not details.labels_by_origin:
        return f"Trained on {details.rows:,} {pairs}, without labels."
    origins = ", ".join(
        f"{count:,} from {ORIGIN_WORDS.get(origin, origin)}"
        for origin, count in details.labels_by_origin
    )
    unlabelled = ""
    if hasher.supervision == "semi-supervised":
        unlabelled = f"; {details.unlabelled_rows:,} unlabelled pairs learn from them"
    elif details.excluded_unlabelled:
        unlabelled = f"; {details.excluded_unlabelled:,} unlabelled pairs left out"
    return (
        f"Labels used: {origins} ({details.classes:,} classes on {details.rows:,} pairs"
        f"{unlabelled})."
    )


def describe_own_map(own: OwnPhotosMap) -> str:
    """The measured mAP on the user's labelled photos, or what is missing for it."""
    if own.image_to_text is None or own.text_to_image is None:
        return (
            f"Own-photo mAP: shown once {MIN_LABELLED_PHOTOS} captioned photos carry labels "
            f"in at least {MIN_CLASSES} classes (now {own.labelled_photos:,} photos, "
            f"{own.classes:,} {'class' if own.classes == 1 else 'classes'})."
        )
    sampled = f", {own.queries:,} sampled queries" if own.queries < own.pairs else ""
    return (
        f"Own photos: I→T {own.image_to_text:.2f}, T→I {own.text_to_image:.2f} mAP on "
        f"{own.labelled_photos:,} labelled photos (chance ≈ {own.chance:.2f}{sampled}). "
        "Measured on the photos it was trained on, so optimistic."
    )


def training_summary(report: TrainReport) -> str:
    """One status-bar line: what was trained on what."""
    h = report.hasher
    labels = f", {report.classes:,} label classes" if report.classes else ""
    return (
        f"Trained {h.name} ({h.n_bits} bits, version {h.version}) on {report.rows:,} "
        f"photo–caption pairs{labels} in {report.fit_seconds:.1f} s; search now uses its "
        f"{report.codes.images + report.codes.texts:,} codes."
    )
