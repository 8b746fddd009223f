"""Search jobs: text -> photos, photo -> captions and photos, on a shared snapshot."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from core.config import IndexingConfig, SearchConfig
from core.encoders.encoder import LazyEncoder
from core.errors import IncompatibleCodesError, SearchFilterError
from core.search.engine import SearchEngine, Snapshot
from core.search.filters import (
    PhotoFilter,
    dates_of,
    matching_photos,
    photos_by_date,
    split_query,
)
from core.search.float_index import IdArray
from core.store.database import Store
from core.types import SearchHit


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """One search: a text, or an image file (for captions and similar photos).

    The text is in the query language of ``core.search.query_syntax`` (``sunset + beach -
    rain``), as on the command line. ``#tags`` in the text are filters (see
    ``core.search.filters``); a text of tags alone lists the tagged photos, newest first.
    ``limit`` is how many photos to return. ``min_score``: ranked hits scoring less are
    left out (``hashlens search --min-score``); a listing by date has no scores and ignores it.
    """

    text: str = ""
    image: Path | None = None
    photo_filter: PhotoFilter = field(default_factory=PhotoFilter)
    limit: int = 0
    min_score: float | None = None

    @property
    def is_image(self) -> bool:
        """Whether this searches by an image."""
        return self.image is not None


@dataclass(frozen=True, slots=True)
class SearchOutcome:
    """Hits of one request, and the snapshot they were computed on (for the next request)."""

    request_id: int
    query: SearchQuery
    photos: tuple[SearchHit, ...]
    captions: tuple[SearchHit, ...]
    snapshot: Snapshot | None
    by_date: bool = False
    """The photos are listed by date (no words: every photo, or those a filter lets
    through), not ranked by similarity."""
    dates: dict[int, str] = field(default_factory=dict)
    """Date taken (else file time) of each photo hit, ISO text, for sorting by date."""
    limit: int = 0
    """How many photos were asked for (0: all of them, as a listing returns)."""


@dataclass(frozen=True, slots=True)
class SearchFailure:
    """A request that failed; ``error`` is what the job raised."""

    request_id: int
    error: Exception


@dataclass(frozen=True, slots=True)
class SearchContext:
    """What a search needs besides the query; built on the GUI thread, shared by tasks."""

    library_path: Path
    encoder: LazyEncoder
    indexing: IndexingConfig
    search: SearchConfig
    passing: dict[PhotoFilter, IdArray] = field(default_factory=dict)
    """Photos each filter let through, kept while the library is unchanged (the controller
    starts a new dict when batches land), so typing with a filter on selects them once."""


def at_least(hits: Sequence[SearchHit], min_score: float | None) -> list[SearchHit]:
    """The hits that score ``min_score`` or more, in their order (all of them for ``None``).

    ``hashlens search --min-score`` and the window's "Min. score" both filter with this.
    """
    if min_score is None:
        return list(hits)
    return [h for h in hits if h.score >= min_score]


def run_search(
    context: SearchContext, query: SearchQuery, request_id: int, snapshot: Snapshot | None
) -> SearchOutcome:
    """Answer ``query``; reuses ``snapshot`` if given, else reads one.

    Raises:
        IncompatibleCodesError: Nothing is indexed with the current model yet.
    """
    text, tags = split_query(query.text)
    photo_filter = query.photo_filter.with_tags(tags)
    k = query.limit or context.search.k
    with Store.open(context.library_path) as store:
        allowed = None if photo_filter.is_empty else _passing(context, store, photo_filter)
        if allowed is not None and len(allowed) == 0:
            raise SearchFilterError(f"No photo is {photo_filter.describe()}.")
        if query.image is None and not text:  # no words: every photo the filter lets through
            dated = photos_by_date(store, photo_filter, -1)
            hits = listed_hits(store, dated)
            return SearchOutcome(
                request_id, query, hits, (), snapshot, by_date=True, dates=dict(dated)
            )
        if snapshot is None and store.known_encoder(context.encoder.config_key) is None:
            raise IncompatibleCodesError(
                "Nothing is indexed with this model yet: add a folder and let indexing finish."
            )
        engine = SearchEngine(
            store, context.encoder, context.indexing, context.search, snapshot=snapshot
        )
        if query.image is not None:  # more like this: never the photo itself first
            vector = engine.encode_image_query(query.image)
            itself = engine.photo_ids_of(query.image)
            if text:  # words added to the photo: one combined query, as the CLI makes it
                combined, modality = engine.query_vector(text, vectors=(vector,))
                photos = engine.photos_like(combined, k, modality, allowed=allowed, exclude=itself)
            else:
                photos = engine.photos_like(vector, k, "image", allowed=allowed, exclude=itself)
            captions = engine.captions_like(vector, context.search.k, "image")
        else:  # the query language of hashlens search: sunset + beach - rain, 2*sunset
            vector, modality = engine.query_vector(text)
            photos, captions = engine.photos_like(vector, k, modality, allowed=allowed), []
        photos, captions = at_least(photos, query.min_score), at_least(captions, query.min_score)
        dates = dates_of(store, [hit.media_id for hit in photos])
        return SearchOutcome(
            request_id, query, tuple(photos), tuple(captions), engine.snapshot(),
            dates=dates, limit=k,
        )  # fmt: skip


def _passing(context: SearchContext, store: Store, photo_filter: PhotoFilter) -> IdArray:
    found = context.passing.get(photo_filter)
    if found is None:
        found = matching_photos(store, photo_filter)
        context.passing[photo_filter] = found  # one dict store: safe across pool threads
    return found


def listed_hits(store: Store, dated: list[tuple[int, str]]) -> tuple[SearchHit, ...]:
    """Photo hits, in the given order, for photos listed by date (score 0: not ranked)."""
    ids = [media_id for media_id, _ in dated]
    paths = store.media.paths_of(ids)
    firsts = store.media.first_captions(ids)
    kinds = store.media.kinds_of(ids)
    return tuple(
        SearchHit("photo", m, paths.get(m, ""), firsts.get(m, ""), 0.0, media=kinds.get(m, "photo"))
        for m in ids
    )
