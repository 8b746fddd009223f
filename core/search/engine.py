"""Text -> photos, photo -> captions and photo -> photos, by exact cosine over stored features.

With a trained hasher the search is two-stage by default: a Hamming shortlist from
the code index, re-ranked by cosine (see ``hash_stage``). The engine holds immutable
snapshots; a refresh builds new ones and swaps them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np

from core.config import IndexingConfig, SearchConfig
from core.encoders.encoder import LazyEncoder, ReadsLimitedText
from core.encoders.encoder_key import EncoderKey
from core.errors import IncompatibleCodesError, NothingIndexedError, QueryError
from core.media.content_hash import content_hash
from core.media.image_io import open_image
from core.search.filter_index import restrict_codes, restrict_floats
from core.search.float_index import FloatIndex, IdArray, unit_rows
from core.search.hash_stage import (
    HashSnapshot,
    Modality,
    Ranked,
    SearchMode,
    rank,
    resolve_mode,
    try_load_hash_snapshot,
)
from core.search.query_syntax import parse_query
from core.search.query_vector import combine
from core.store.database import Store
from core.store.records import EncoderRecord
from core.types import FloatArray, SearchHit

Target = Literal["photos", "captions"]


@dataclass(frozen=True)
class Snapshot:
    """Everything a query needs, read once from the library."""

    encoder: EncoderRecord
    photos: FloatIndex
    captions: FloatIndex
    caption_media: dict[int, int]
    hashing: HashSnapshot | None = None
    hashing_problem: IncompatibleCodesError | None = None


class SearchEngine:
    """Answers queries against one library with one encoder configuration.

    ``snapshot`` may be one taken earlier by another engine on the same library: it is
    reused as is (snapshots are immutable, so engines on different threads share one).
    """

    def __init__(
        self,
        store: Store,
        encoder: LazyEncoder,
        indexing: IndexingConfig,
        search: SearchConfig | None = None,
        *,
        snapshot: Snapshot | None = None,
    ) -> None:
        self._store = store
        self._encoder = encoder
        self._indexing = indexing
        self._search = search or SearchConfig()
        self._snapshot = snapshot

    def snapshot(self) -> Snapshot:
        """The current snapshot, loading it on first use."""
        if self._snapshot is None:
            self._snapshot = self._load()
        return self._snapshot

    def refresh(self) -> None:
        """Drop the snapshot; the next query reloads it from the library."""
        self._snapshot = None

    def check_searchable(self, target: Target) -> None:
        """Refuse, before any model loads, a search the library holds nothing for.

        Raises:
            NothingIndexedError: No photo (``photos``) or caption (``captions``) has
                features yet, from any model.
        """
        if target == "photos" and not self._store.vectors.has_vectors("image"):
            raise NothingIndexedError(
                "The library has no indexed photos yet, so there is nothing to search. "
                "Add a folder and index it: hashlens add ~/Pictures, then hashlens index."
            )
        if target == "captions" and not self._store.vectors.has_vectors("text"):
            raise NothingIndexedError(
                "The library has no indexed captions yet, so there is nothing to search. "
                "Captions come from .txt files beside the photos, from the photos' own "
                "descriptions (XMP, IPTC, EXIF) and from captions.csv files; index a folder "
                "that has some."
            )

    def _load(self) -> Snapshot:
        if not (
            self._store.vectors.has_vectors("image") or self._store.vectors.has_vectors("text")
        ):
            self.check_searchable("photos")
        key = self._encoder.config_key
        record = self._store.known_encoder(key)
        if record is None:
            encoder = self._encoder.get()
            if self._store.read_only:  # cannot remember it; the id alone finds its vectors
                record = self._store.vectors.find_encoder(encoder.model_id)
            else:
                record = self._store.remember_encoder(key, encoder.model_id, encoder.dim)
        if record is None:
            raise NothingIndexedError(_other_model_message(key), "encoder not in the library")
        media_ids, image_x = self._store.vectors.image_matrix(record)
        caption_ids, caption_media, text_x = self._store.vectors.caption_matrix(record)
        if len(media_ids) == 0 and len(caption_ids) == 0:
            raise NothingIndexedError(_other_model_message(key), record.model_id)
        mapping = dict(zip(caption_ids.tolist(), caption_media.tolist(), strict=True))
        hashing, problem = try_load_hash_snapshot(self._store, record)
        return Snapshot(
            record,
            FloatIndex(media_ids, image_x),
            FloatIndex(caption_ids, text_x),
            mapping,
            hashing,
            problem,
        )

    def mode(self, requested: str | None = None) -> SearchMode:
        """The mode a query will use (``requested`` or the configured one, resolved)."""
        snap = self.snapshot()
        return resolve_mode(
            requested or self._search.mode, snap.hashing, snap.encoder, snap.hashing_problem
        )

    def encode_text_query(self, text: str) -> FloatArray:
        """The query vector of a text."""
        vectors = self._encoder.get().encode_texts([text])
        query: FloatArray = unit_rows(vectors)[0]
        return query

    def encode_image_query(self, path: Path) -> FloatArray:
        """The query vector of an image file (decoded like an indexed photo)."""
        decoded = open_image(path, max_pixels=self._indexing.max_image_pixels)
        vectors = self._encoder.get().encode_images([decoded.image])
        query: FloatArray = unit_rows(vectors)[0]
        return query

    def query_vector(
        self, text: str, images: Sequence[Path] = (), vectors: Sequence[FloatArray] = ()
    ) -> tuple[FloatArray, Modality]:
        """The one vector of a typed query (``sunset + beach - rain``), with photos added.

        The query language is ``core.search.query_syntax`` (``#tags`` are left out: they
        filter, see ``filters.split_query``). Every distinct term is encoded once, in one
        batch; terms, photos and ``vectors`` (photos already encoded, weight 1) are combined
        by ``query_vector.combine``. The modality the hasher projects it as is ``text`` when
        the query has words, else ``image``.

        Raises:
            QueryError: The query cannot be searched (bad syntax, only terms to leave out).
        """
        parsed = parse_query(text)
        rows: list[FloatArray] = []
        weights: list[float] = []
        if parsed.has_terms:
            texts = parsed.texts()
            encoded = unit_rows(self._encoder.get().encode_texts(texts))
            row_of = {t: i for i, t in enumerate(texts)}
            rows += [encoded[row_of[term.text]] for term in parsed.terms]
            weights += [term.weight for term in parsed.terms]
        for path in images:
            rows.append(self.encode_image_query(path))
            weights.append(1.0)
        for vector in vectors:
            rows.append(np.asarray(vector, dtype=np.float32).reshape(-1))
            weights.append(1.0)
        if not rows:
            raise QueryError('Say what to look for, e.g. "dog on a beach".', text)
        vector = combine(np.stack(rows), weights, text)
        return vector, "text" if parsed.has_terms else "image"

    def photo_ids_of(self, path: Path) -> list[int]:
        """The library's photo at ``path`` and its exact copies: "more like this" leaves them out.

        Empty when the file is not in the library or cannot be read.
        """
        try:
            resolved = path.expanduser().resolve()
            size = resolved.stat().st_size
            fingerprint = content_hash(str(resolved), size)
        except OSError:
            return []
        return self._store.media.copies_of(str(resolved), fingerprint, size)

    def ignored_query_text(self, text: str) -> str:
        """The end of a query term the model does not read (past its context), or ''."""
        encoder = self._encoder.get()
        if not isinstance(encoder, ReadsLimitedText):
            return ""
        try:
            terms = [term.text for term in parse_query(text).terms]
        except QueryError:
            terms = [text]
        return next((cut for cut in map(encoder.ignored_text, terms) if cut), "")

    def search_text(
        self,
        text: str,
        k: int,
        target: Target = "photos",
        *,
        mode: str | None = None,
        images: Sequence[Path] = (),
    ) -> list[SearchHit]:
        """Photos (text -> image) or captions (text -> text) that best match a typed query.

        The query language is ``query_syntax``'s (``sunset + beach - rain``); ``images`` are
        added to the query as terms (photo results leave them out, as "more like this" does).
        """
        self.check_searchable(target)
        self.snapshot()
        query, modality = self.query_vector(text, images)
        if target == "captions":
            return self.captions_like(query, k, modality, mode=mode)
        exclude = [m for path in images for m in self.photo_ids_of(path)]
        return self.photos_like(query, k, modality, mode=mode, exclude=exclude)

    def search_image(
        self, path: Path, k: int, target: Target = "captions", *, mode: str | None = None
    ) -> list[SearchHit]:
        """Captions (image -> text) or photos (image -> image) that best match an image file.

        Photos leave out the query photo itself and its exact copies ("more like this").
        """
        self.check_searchable(target)
        self.snapshot()
        query = self.encode_image_query(path)
        if target == "captions":
            return self.captions_like(query, k, "image", mode=mode)
        return self.photos_like(query, k, "image", mode=mode, exclude=self.photo_ids_of(path))

    def photos_like(
        self,
        query: FloatArray,
        k: int,
        modality: Modality = "text",
        *,
        mode: str | None = None,
        allowed: IdArray | None = None,
        exclude: Sequence[int] = (),
    ) -> list[SearchHit]:
        """Photo hits for a query vector of ``modality``.

        Only ``allowed`` ids when given; never the ``exclude`` ids (the query photo itself).
        """
        snap = self.snapshot()
        ranked = self._rank(
            snap, snap.photos, query, k + len(exclude), modality, mode, photos=True,
            allowed=allowed,
        )  # fmt: skip
        if exclude:
            ranked = _without(ranked, exclude, k)
        ids = ranked.ids.tolist()
        media = self._store.media
        paths = media.paths_of(ids)
        firsts = media.first_captions(ids)
        kinds = media.kinds_of(ids)
        return [
            SearchHit(
                "photo",
                mid,
                paths.get(mid, ""),
                firsts.get(mid, ""),
                score,
                distance,
                media=kinds.get(mid, "photo"),
            )
            for mid, score, distance in zip(
                ids, ranked.scores.tolist(), _distances(ranked), strict=True
            )
        ]

    def captions_like(
        self, query: FloatArray, k: int, modality: Modality = "image", *, mode: str | None = None
    ) -> list[SearchHit]:
        """Caption hits for a query vector, each with the photo it describes."""
        snap = self.snapshot()
        ranked = self._rank(snap, snap.captions, query, k, modality, mode, photos=False)
        ids = ranked.ids.tolist()
        texts = self._store.media.caption_texts(ids)
        media_ids = [snap.caption_media[c] for c in ids]
        paths = self._store.media.paths_of(media_ids)
        kinds = self._store.media.kinds_of(media_ids)
        return [
            SearchHit(
                "caption",
                m,
                paths.get(m, ""),
                texts.get(c, ""),
                s,
                d,
                caption_id=c,
                media=kinds.get(m, "photo"),
            )
            for c, m, s, d in zip(
                ids, media_ids, ranked.scores.tolist(), _distances(ranked), strict=True
            )
        ]

    def _rank(
        self,
        snap: Snapshot,
        floats: FloatIndex,
        query: FloatArray,
        k: int,
        modality: Modality,
        mode: str | None,
        *,
        photos: bool,
        allowed: IdArray | None = None,
    ) -> Ranked:
        resolved = self.mode(mode)
        hashing = snap.hashing if resolved != "exact" else None
        codes = None if hashing is None else (hashing.photos if photos else hashing.captions)
        code = None if hashing is None else hashing.encode(query, modality)
        if allowed is not None:  # a filter: rank among the photos it lets through
            floats = restrict_floats(floats, allowed)
            codes = None if codes is None else restrict_codes(codes, allowed)
        return rank(floats, codes, code, query, k, resolved, self._search.shortlist)


def _other_model_message(config_key: str) -> str:
    """That the chosen model indexed nothing here, naming it as the user set it."""
    try:
        name = EncoderKey.parse(config_key).describe()
    except ValueError:
        name = "the chosen model"
    return (
        f"The library holds no features from {name}: it was indexed with another model. "
        "Search without --model/--pretrained to use the library's model, or run "
        "`hashlens index` with this one first."
    )


def _without(ranked: Ranked, exclude: Sequence[int], k: int) -> Ranked:
    """The first ``k`` of ``ranked`` that are not in ``exclude``."""
    keep = np.flatnonzero(~np.isin(ranked.ids, np.asarray(exclude, dtype=np.int64)))[:k]
    distances = None if ranked.distances is None else ranked.distances[keep]
    return Ranked(ranked.ids[keep], ranked.scores[keep], distances)


def _distances(ranked: Ranked) -> list[int | None]:
    if ranked.distances is None:
        return [None] * int(ranked.ids.shape[0])
    return [int(d) for d in ranked.distances.tolist()]
