"""Searches off the GUI thread; only the newest request's results ever reach the window.

Typing restarts a short timer, so a query runs once the user pauses. Every request
gets an increasing id; an answer for any other id than the latest is dropped, so a
slow old query can never overwrite a newer one. The library snapshot is shared
between requests and dropped when indexing lands new batches.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from core.config import AppConfig
from core.encoders.encoder import LazyEncoder
from core.errors import (
    CoreError,
    IncompatibleCodesError,
    ModelNotAvailableError,
    QueryError,
    SearchFilterError,
)
from core.search.engine import Snapshot
from core.search.filters import PhotoFilter, split_query
from core.search.float_index import IdArray
from desktop_app.application.error_report import report_for
from desktop_app.application.search import (
    SearchContext,
    SearchFailure,
    SearchOutcome,
    SearchQuery,
    run_search,
)
from desktop_app.gui.tasks import TaskRunner

logger = logging.getLogger(__name__)

DEBOUNCE_MS = 250
MORE_PAGE = 60
"""Photos added to a ranked result each time the grid is scrolled near its end."""
PASTED_IMAGE_NAME = "pasted-image.png"

SearchJob = Callable[[SearchContext, SearchQuery, int, Snapshot | None], SearchOutcome]


class SearchController(QObject):
    """Runs text and image searches.

    Signals:
        results_changed: the ``SearchOutcome`` of the latest request.
        search_failed: an ``ErrorReport`` for the latest request.
        model_unavailable: an ``ErrorReport``: the model could not be loaded.
        cleared: the query was cleared.
        busy_changed: ``True`` while the latest request runs.
        model_starting: the ``SearchQuery`` about to wait for the model to start (the first
            search after launch: the model process loads for a few seconds).
        model_started: the model answered (or failed) after ``model_starting``.
    """

    results_changed = Signal(object)
    search_failed = Signal(object)
    model_unavailable = Signal(object)
    cleared = Signal()
    busy_changed = Signal(bool)
    model_starting = Signal(object)
    model_started = Signal()

    def __init__(
        self,
        library_path: Path,
        config: AppConfig,
        encoder: Callable[[], LazyEncoder],
        tasks: TaskRunner,
        scratch_dir: Path,
        job: SearchJob = run_search,
    ) -> None:
        super().__init__()
        self._library_path = library_path
        self._config = config
        self._encoder = encoder
        self._tasks = tasks
        self._scratch_dir = scratch_dir
        self._job = job
        self._latest_id = 0
        self._query: SearchQuery | None = None
        self._snapshot: Snapshot | None = None
        self._generation = 0
        self._generation_of: dict[int, int] = {}
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._pending_text = ""
        self._is_model_starting = False
        self._filter = PhotoFilter()
        self._passing: dict[PhotoFilter, IdArray] = {}
        self._is_more_pending = False
        self._can_have_more = False
        self._min_score: float | None = None

    @property
    def query(self) -> SearchQuery | None:
        """The query whose results are (or will be) on show."""
        return self._query

    @property
    def photo_filter(self) -> PhotoFilter:
        """The filter every query is narrowed by (tags typed as ``#tag`` come on top)."""
        return self._filter

    @property
    def latest_request_id(self) -> int:
        """The id of the newest request."""
        return self._latest_id

    @Slot(str)
    def set_text(self, text: str) -> None:
        """The search field changed: search once typing pauses (empty text clears)."""
        self._pending_text = text.strip()
        if not self._pending_text:
            self.clear()
            return
        self._timer.start()

    @Slot(str)
    def search_text_now(self, text: str) -> None:
        """Search right away (Enter), without waiting for the pause."""
        self._timer.stop()
        if text.strip():
            self._submit(SearchQuery(text=text.strip(), photo_filter=self._filter))

    @Slot(object)
    def search_image(self, path: Path) -> None:
        """Captions that describe the photo at ``path``, and photos like it."""
        self._timer.stop()
        self._submit(SearchQuery(image=path, photo_filter=self._filter))

    @Slot(str)
    def add_words_to_image(self, words: str) -> None:
        """Search the photo on show together with ``words`` (the query language; '' for the
        photo alone): one combined query, as ``hashlens search TEXT --image FILE``."""
        query = self._query
        if query is None or query.image is None:
            return
        self._timer.stop()
        self._submit(replace(query, text=words.strip(), limit=0))

    @Slot()
    def browse(self) -> None:
        """Every photo the filter lets through, newest first (no words to rank by)."""
        self._timer.stop()
        self._submit(SearchQuery(photo_filter=self._filter))

    @Slot(object)
    def set_filter(self, photo_filter: PhotoFilter) -> None:
        """Narrow every query by ``photo_filter``; the query on show runs again."""
        if photo_filter == self._filter:
            return
        self._filter = photo_filter
        current = self._query or SearchQuery()
        self._submit(replace(current, photo_filter=photo_filter, limit=0))

    @Slot(object)
    def set_min_score(self, min_score: float | None) -> None:
        """Hide ranked hits scoring below ``min_score`` (``None``: show every score); the
        query on show runs again when it is ranked (a listing by date has no scores)."""
        if min_score == self._min_score:
            return
        self._min_score = min_score
        query = self._query
        if query is not None and (query.image is not None or split_query(query.text)[0]):
            self._submit(replace(query, limit=0))

    @Slot()
    def fetch_more(self) -> None:
        """More hits of the ranked query on show (the grid was scrolled near its end)."""
        query = self._query
        if query is None or self._is_more_pending or not self._can_have_more:
            return
        self._is_more_pending = True
        shown = query.limit or self._config.search.k
        self._submit(replace(query, limit=shown + MORE_PAGE))

    @Slot(object)
    def search_pasted_image(self, image: QImage) -> None:
        """Search with an image from the clipboard (saved to a scratch file first)."""
        target = self._scratch_dir / PASTED_IMAGE_NAME
        self._tasks.submit(
            lambda: _save_image(image, target),
            pool="shared",
            on_result=self.search_image,
            on_error=self._on_save_error,
        )

    @Slot()
    def clear(self) -> None:
        """Forget the words; every photo the filter lets through is listed again."""
        self._timer.stop()
        self.cleared.emit()
        self.browse()

    @Slot()
    def library_changed(self) -> None:
        """New batches landed (or the model changed): read a fresh snapshot, rerun the query."""
        self._snapshot = None
        self._passing = {}  # photos may have come, gone or changed labels
        self._generation += 1
        if self._query is not None:
            self._submit(self._query)

    def _submit(self, query: SearchQuery) -> None:
        query = replace(query, min_score=self._min_score)
        self._latest_id += 1
        request_id = self._latest_id
        self._query = query
        self._generation_of[request_id] = self._generation
        encoder = self._encoder()
        context = SearchContext(
            self._library_path, encoder, self._config.indexing, self._config.search, self._passing
        )
        snapshot, job = self._snapshot, self._job
        self.busy_changed.emit(True)
        needs_model = query.image is not None or bool(split_query(query.text)[0])
        if needs_model and not encoder.is_loaded and not self._is_model_starting:
            self._is_model_starting = True
            self.model_starting.emit(query)
        self._tasks.submit(
            lambda: _guarded(job, context, query, request_id, snapshot),
            pool="shared",
            on_result=self._on_task_result,
            on_error=self._on_save_error,
        )

    @Slot()
    def _on_timer_timeout(self) -> None:
        if self._pending_text:
            self._submit(SearchQuery(text=self._pending_text, photo_filter=self._filter))

    @Slot(object)
    def _on_task_result(self, outcome: SearchOutcome | SearchFailure) -> None:
        generation = self._generation_of.pop(outcome.request_id, -1)
        still_current = generation == self._generation
        if isinstance(outcome, SearchOutcome) and still_current and outcome.snapshot is not None:
            self._snapshot = outcome.snapshot  # still current: reuse it for the next query
        if self._is_model_starting and (
            self._encoder().is_loaded or isinstance(outcome, SearchFailure)
        ):
            self._is_model_starting = False
            self.model_started.emit()
        if outcome.request_id != self._latest_id:
            return  # a newer request was made: this answer is stale
        self.busy_changed.emit(False)
        self._is_more_pending = False
        if isinstance(outcome, SearchOutcome):
            self._can_have_more = outcome.limit > 0 and len(outcome.photos) >= outcome.limit
            self.results_changed.emit(outcome)
            return
        self._can_have_more = False
        error = outcome.error
        if isinstance(error, ModelNotAvailableError):
            self.model_unavailable.emit(report_for(error, "The model could not be loaded"))
        elif isinstance(error, SearchFilterError):
            self.search_failed.emit(report_for(error, "No photos match"))
        elif isinstance(error, QueryError):
            self.search_failed.emit(report_for(error, "The query cannot be searched"))
        elif isinstance(error, IncompatibleCodesError):
            self.search_failed.emit(report_for(error, "Nothing to search yet"))
        else:
            self.search_failed.emit(report_for(error, "The search failed"))

    @Slot(object)
    def _on_save_error(self, error: Exception) -> None:
        if self._is_model_starting:
            self._is_model_starting = False
            self.model_started.emit()
        self.search_failed.emit(report_for(error, "The search failed"))


def _guarded(
    job: SearchJob,
    context: SearchContext,
    query: SearchQuery,
    request_id: int,
    snapshot: Snapshot | None,
) -> SearchOutcome | SearchFailure:
    """Run a search; a failure comes back with its request id, so a stale one is dropped too."""
    try:
        return job(context, query, request_id, snapshot)
    except Exception as exc:  # reported with its id; the window decides if it still matters
        if not isinstance(exc, CoreError):
            logger.exception("Search failed")
        return SearchFailure(request_id, exc)


def _save_image(image: QImage, target: Path) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(target)):  # the .png suffix picks the format
        raise OSError(f"Could not write the pasted image to {target}")
    return target
