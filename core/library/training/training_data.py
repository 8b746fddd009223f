"""Assemble a hasher's training set from the library.

Rows are (photo, caption) pairs: the photo's image features, the caption's text
features and the photo's labels. Labels come from ``media_labels`` (keywords,
hashtags, user tags... each with its origin) and, when the user opts in, from album
folders (every folder for one training with ``albums=True``, or folders marked as
album sources): a photo in ``<library folder>/<album>/...`` gets the label ``<album>``.
Zero-shot guesses (origin ``zero-shot``) are left out unless a :class:`ZeroShotRule`
asks for them; then only the confident few it accepts count.
Photos without any caption cannot form a pair and are not training rows (they still
get codes from the trained image function), except in a library with no caption at
all: there every photo is paired with a pseudo-caption made from the concept prompts
it resembles (:func:`load_pseudo_pairs`, :mod:`core.library.training.pseudo_pairs`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

import numpy as np
import numpy.typing as npt

from core.hashing import PairedFeatures
from core.library.training.pseudo_pairs import pseudo_captions
from core.library.training.zero_shot_labels import ZERO_SHOT_ORIGIN, ZeroShotRule, confident_guesses
from core.store.database import Store
from core.store.records import EncoderRecord
from core.types import FloatArray

IdArray = npt.NDArray[np.int64]
ALBUM_ORIGIN = "album"


@dataclass(frozen=True)
class TrainingSet:
    """Paired rows for ``Hasher.fit`` and where each row came from.

    Attributes:
        features: Image/text features and the 0/1 label matrix (None without labels).
        media_ids: (n,) photo of each row.
        caption_ids: (n,) caption of each row (-1: a pseudo-caption).
        label_names: Class names, one per label column.
        origin_counts: Label assignments used, by origin ("keyword", "album"...).
        pseudo_pairs: Rows whose text side is a pseudo-caption (the library has no
            captions), not a caption of the photo.
    """

    features: PairedFeatures
    media_ids: IdArray
    caption_ids: IdArray
    label_names: tuple[str, ...]
    origin_counts: dict[str, int]
    pseudo_pairs: int = 0

    @property
    def n_photos(self) -> int:
        """Distinct photos among the rows."""
        return int(np.unique(self.media_ids).shape[0])

    @property
    def labelled_rows(self) -> npt.NDArray[np.bool_]:
        """(n,) True where the row's photo has at least one label."""
        labels = self.features.labels
        if labels is None:
            return np.zeros(self.features.n_items, dtype=np.bool_)
        mask: npt.NDArray[np.bool_] = np.asarray(labels.any(axis=1), dtype=np.bool_)
        return mask

    def subset(self, rows: npt.NDArray[np.bool_]) -> TrainingSet:
        """Only the selected rows (labels keep all columns)."""
        f = self.features
        labels = None if f.labels is None else f.labels[rows]
        return TrainingSet(
            PairedFeatures(f.image[rows], f.text[rows], labels),
            self.media_ids[rows],
            self.caption_ids[rows],
            self.label_names,
            self.origin_counts,
            int(np.count_nonzero(self.caption_ids[rows] < 0)),
        )


def load_training_set(
    store: Store, encoder: EncoderRecord, *, albums: bool, zero_shot: ZeroShotRule | None = None
) -> TrainingSet | None:
    """Paired rows for ``encoder``'s features, or None when no photo has a captioned vector.

    Args:
        store: The library.
        encoder: The model whose stored features form the rows.
        albums: Count every folder's albums as labels (not only opted-in folders).
        zero_shot: Also count the zero-shot guesses this rule accepts (default: none).
    """
    media_ids, image_x = store.vectors.image_matrix(encoder)
    caption_ids, caption_media, text_x = store.vectors.caption_matrix(encoder)
    position = {int(m): i for i, m in enumerate(media_ids.tolist())}
    rows = [
        (position[int(m)], j) for j, m in enumerate(caption_media.tolist()) if int(m) in position
    ]
    if not rows:
        return None
    image_rows = np.array([r[0] for r in rows], dtype=np.int64)
    text_rows = np.array([r[1] for r in rows], dtype=np.int64)
    return _assemble(
        store,
        media_ids[image_rows],
        image_x[image_rows],
        text_x[text_rows],
        caption_ids[text_rows],
        albums=albums,
        zero_shot=zero_shot,
    )


def load_pseudo_pairs(
    store: Store,
    encoder: EncoderRecord,
    concepts: Callable[[], FloatArray],
    *,
    albums: bool,
    zero_shot: ZeroShotRule | None = None,
) -> TrainingSet | None:
    """Every photo with a stored feature, paired with its pseudo-caption; None: no photo.

    For a library without captions (:mod:`core.library.training.pseudo_pairs`); labels as in
    :func:`load_training_set`.

    Args:
        store: The library.
        encoder: The model whose stored image features form the rows.
        concepts: Gives the (C, d) concept prompt embeddings made by that model; called
            only when there is a photo (embedding them loads the model).
        albums: Count every folder's albums as labels.
        zero_shot: Also count the zero-shot guesses this rule accepts (default: none).
    """
    media_ids, image_x = store.vectors.image_matrix(encoder)
    if len(media_ids) == 0:
        return None
    image = np.asarray(image_x, dtype=np.float32)
    no_caption = np.full(len(media_ids), -1, dtype=np.int64)
    text = pseudo_captions(image, concepts())
    return _assemble(store, media_ids, image, text, no_caption, albums=albums, zero_shot=zero_shot)


def _assemble(
    store: Store,
    row_media: IdArray,
    image: FloatArray,
    text: FloatArray,
    caption_ids: IdArray,
    *,
    albums: bool,
    zero_shot: ZeroShotRule | None,
) -> TrainingSet:
    in_rows = set(row_media.tolist())
    assignments = _label_assignments(store, albums, zero_shot, in_rows)
    names = sorted({name for media_id, name, _ in assignments if media_id in in_rows})
    labels, counts = _label_matrix(row_media, assignments, names)
    features = PairedFeatures(image, text, labels)
    pseudo = int(np.count_nonzero(caption_ids < 0))
    return TrainingSet(features, row_media, caption_ids, tuple(names), counts, pseudo)


def _label_assignments(
    store: Store, albums: bool, zero_shot: ZeroShotRule | None, in_rows: set[int]
) -> list[tuple[int, str, str]]:
    """(media id, label name, origin) for every label of every photo."""
    rows = store.labels.assignments(exclude_origins=[ZERO_SHOT_ORIGIN])
    out = [(m, name.casefold(), origin) for m, name, origin, _ in rows]
    out.extend(_album_labels(store, every_folder=albums))
    if zero_shot is not None:
        guesses = [
            (m, name, p)
            for m, name, _, p in store.labels.assignments(origins=[ZERO_SHOT_ORIGIN])
            if m in in_rows
        ]
        accepted = confident_guesses(guesses, len(in_rows), zero_shot)
        out.extend((m, name.casefold(), ZERO_SHOT_ORIGIN) for m, name in accepted)
    return out


def album_label(folder_path: str, photo_path: str) -> str | None:
    """The album of a photo: its first-level sub-folder under the library folder, if any."""
    parts = PurePath(photo_path).relative_to(PurePath(folder_path)).parts
    return parts[0] if len(parts) > 1 else None


def _album_labels(store: Store, every_folder: bool) -> list[tuple[int, str, str]]:
    out: list[tuple[int, str, str]] = []
    for folder in store.media.folders():
        if not (every_folder or folder.is_album_source):
            continue
        for media in store.media.media_in_folder(folder.id).values():
            album = album_label(folder.path, media.path)
            if album is not None:
                out.append((media.id, album.casefold(), ALBUM_ORIGIN))
    return out


def _label_matrix(
    row_media: IdArray, assignments: list[tuple[int, str, str]], names: list[str]
) -> tuple[npt.NDArray[np.uint8] | None, dict[str, int]]:
    if not names:
        return None, {}
    column = {name: i for i, name in enumerate(names)}
    per_media: dict[int, set[int]] = {}
    counts: Counter[str] = Counter()
    in_rows = set(row_media.tolist())
    for media_id, name, origin in assignments:
        if media_id in in_rows and name in column:
            per_media.setdefault(media_id, set()).add(column[name])
            counts[origin] += 1
    labels = np.zeros((row_media.shape[0], len(names)), dtype=np.uint8)
    for row, media_id in enumerate(row_media.tolist()):
        labels[row, list(per_media.get(media_id, ()))] = 1
    return labels, dict(counts)
