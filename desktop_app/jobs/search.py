"""Search jobs: text -> photos, photo -> captions and photos, on a shared snapshot."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.config import IndexingConfig, SearchConfig
from core.errors import IncompatibleCodesError
from core.features.encoder import LazyEncoder
from core.search.engine import SearchEngine, Snapshot
from core.store.database import Store
from core.types import SearchHit


@dataclass(frozen=True, slots=True)
class SearchQuery:
    """One search: a text, or an image file (for captions and similar photos)."""

    text: str = ""
    image: Path | None = None

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
    snapshot: Snapshot


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


def run_search(
    context: SearchContext, query: SearchQuery, request_id: int, snapshot: Snapshot | None
) -> SearchOutcome:
    """Answer ``query``; reuses ``snapshot`` if given, else reads one.

    Raises:
        IncompatibleCodesError: Nothing is indexed with the current model yet.
    """
    with Store.open(context.library_path) as store:
        if snapshot is None and store.known_encoder(context.encoder.config_key) is None:
            raise IncompatibleCodesError(
                "Nothing is indexed with this model yet: add a folder and let indexing finish."
            )
        engine = SearchEngine(
            store, context.encoder, context.indexing, context.search, snapshot=snapshot
        )
        k = context.search.k
        if query.image is not None:
            vector = engine.encode_image_query(query.image)
            photos = engine.photos_like(vector, k, "image")
            captions = engine.captions_like(vector, k, "image")
        else:
            photos, captions = engine.search_text(query.text, k), []
        return SearchOutcome(request_id, query, tuple(photos), tuple(captions), engine.snapshot())
