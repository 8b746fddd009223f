"""The right side of the window: a hint before the first search, results, or one photo."""

from __future__ import annotations

import os

from PySide6.QtCore import QLocale, Slot
from PySide6.QtWidgets import QStackedWidget, QVBoxLayout, QWidget

from desktop_app.application.detail import PhotoDetail
from desktop_app.application.error_report import ErrorReport
from desktop_app.application.search import SearchOutcome, SearchQuery
from desktop_app.gui.thumbnails import GRID_SIDE_PX, PREVIEW_SIDE_PX, ThumbnailLoader
from desktop_app.gui.views.detail_page import DetailPage
from desktop_app.gui.views.filter_bar import FilterBar
from desktop_app.gui.views.image_query_panel import ImageQueryPanel
from desktop_app.gui.views.labels import plain_label
from desktop_app.gui.views.pages import MessagePage
from desktop_app.gui.views.results_list_model import ResultsListModel, SortOrder
from desktop_app.gui.views.results_view import ResultsView

_HINT = (
    "Type what you are looking for, like “dog on a beach” or “red car at night”; "
    "combine terms with + and - (“sunset + beach - rain”). "
    "Or drop a photo here (or paste one) to find the captions that describe it and "
    "photos like it."
)


ORDER_WORDS = {
    "relevance": "most similar first",
    "newest": "newest first",
    "oldest": "oldest first",
}


def _status(outcome: SearchOutcome, count: int, order: SortOrder) -> str:
    """The line under the header: what is listed, in which order."""
    amount = QLocale.system().toString(count)
    if outcome.by_date:
        hint = (
            "" if outcome.query.text else " Type to search, or drop a photo to find similar ones."
        )
        return f"{amount} photos, {ORDER_WORDS[order]}.{hint}"
    if not count:
        return "No photos match yet."
    more = " Scroll for more." if outcome.limit and count >= outcome.limit else ""
    return f"Best {amount} matches, {ORDER_WORDS[order]}.{more}"


MODEL_STARTING = "Starting the model… The first search after launch takes a few seconds."


class SearchArea(QStackedWidget):
    """Pages: ``hintPage``, ``resultsPage`` and ``detailPage``."""

    def __init__(self, thumbnails: ThumbnailLoader) -> None:
        super().__init__()
        self._thumbnails = thumbnails
        self.hint_page = MessagePage("hintPage", "Search your photos")
        self.hint_page.set_message(_HINT)
        self.header_label = plain_label(is_bold=True)
        self.status_label = plain_label(is_subtle=True)
        self.image_query_panel = ImageQueryPanel()
        self.results_model = ResultsListModel(thumbnails, self)
        self.results_view = ResultsView()
        self.results_view.setModel(self.results_model)
        self.filter_bar = FilterBar()
        self.filter_bar.order_changed.connect(self._on_filter_bar_order_changed)
        self.filter_bar.thumbnail_side_changed.connect(self.results_view.set_thumbnail_side)
        self.filter_bar.filter_refused.connect(self.show_filter_problem)
        self.results_page = QWidget()
        self.results_page.setObjectName("resultsPage")
        layout = QVBoxLayout(self.results_page)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(8)
        layout.addWidget(self.header_label)
        layout.addWidget(self.filter_bar)
        layout.addWidget(self.status_label)
        layout.addWidget(self.image_query_panel)
        layout.addWidget(self.results_view, 1)
        self.detail_page = DetailPage()
        for page in (self.hint_page, self.results_page, self.detail_page):
            self.addWidget(page)
        self._query_path = ""
        self._outcome: SearchOutcome | None = None
        thumbnails.thumbnail_ready.connect(self._on_thumbnails_thumbnail_ready)

    @property
    def current_view(self) -> str:
        """Object name of the page on show."""
        page = self.currentWidget()
        return page.objectName() if page is not None else ""

    def show_hint(self, photo_count: int) -> None:
        count = QLocale.system().toString(photo_count)
        self.hint_page.set_title(f"Search {count} photos" if photo_count else "Search your photos")
        self.results_model.set_hits(())
        self.setCurrentWidget(self.hint_page)

    @Slot(object)
    def show_results(self, outcome: SearchOutcome) -> None:
        query = outcome.query
        count = len(outcome.photos)
        is_listing = outcome.by_date and not query.text and query.photo_filter.is_empty
        if is_listing and count == 0:  # nothing indexed yet: say how to start
            self.show_hint(0)
            return
        view = self.results_view
        is_refresh = self._outcome is not None and self._outcome.query == query
        current = view.current_hit() if is_refresh else None
        place = view.verticalScrollBar().value()
        self.results_model.set_hits(
            outcome.photos, is_ranked=not outcome.by_date, dates=outcome.dates
        )
        if is_refresh:  # the same query read again (photos landed): stay where the user was
            view.keep_place(current.media_id if current else None, place)
        self.filter_bar.show_order(self.results_model.order, not outcome.by_date)
        self.filter_bar.set_score_enabled(not outcome.by_date)
        if query.image is not None:
            self._query_path = str(query.image)
            words = f" and “{query.text}”" if query.text else ""
            self.header_label.setText(f"Photos like {query.image.name}{words}")
            self.image_query_panel.set_words(query.text)
            self.image_query_panel.set_query(
                self._query_path, self._thumbnails.pixmap(self._query_path)
            )
            self.image_query_panel.set_captions(outcome.captions)
        else:
            self._query_path = ""
            self.header_label.setText(
                "All photos" if not query.text else f"Photos for “{query.text}”"
            )
        self.image_query_panel.setVisible(query.image is not None)
        self._outcome = outcome
        self.status_label.setText(_status(outcome, count, self.results_model.order))
        if self.currentWidget() in (self.hint_page, self.results_page):  # not over a view
            self.setCurrentWidget(self.results_page)  # the user opened (detail, duplicates)
        if count and not self.results_view.currentIndex().isValid():
            self.results_view.setCurrentIndex(self.results_model.index(0))
        self.results_view.check_for_more()

    @Slot(str)
    def show_filter_problem(self, message: str) -> None:
        """The filter cannot be used (a reversed date range): say why; results stay."""
        self.status_label.setText(message)

    @Slot(str)
    def _on_filter_bar_order_changed(self, order: SortOrder) -> None:
        self.results_model.set_order(order)
        self.filter_bar.show_order(self.results_model.order, self.results_model.is_ranked)
        if self._outcome is not None and self.currentWidget() is self.results_page:
            count = self.results_model.rowCount()
            self.status_label.setText(_status(self._outcome, count, self.results_model.order))

    @Slot(object)
    def show_failure(self, report: ErrorReport) -> None:
        self.results_model.set_hits(())
        self.image_query_panel.setVisible(False)
        self.header_label.setText(report.summary)
        self.status_label.setText(report.message)
        self.setCurrentWidget(self.results_page)

    @Slot(object)
    def show_model_starting(self, query: SearchQuery) -> None:
        """The first search waits for the model to start: say so instead of looking idle."""
        if self.currentWidget() is self.detail_page:
            return
        self.results_model.set_hits(())
        self.image_query_panel.setVisible(False)
        what = query.image.name if query.image is not None else f"“{query.text}”"
        self.header_label.setText(f"Searching for {what}")
        self.status_label.setText(MODEL_STARTING)
        self.setCurrentWidget(self.results_page)

    @Slot(bool)
    def show_busy(self, is_busy: bool) -> None:
        starting = self.status_label.text() == MODEL_STARTING
        if is_busy and self.currentWidget() is self.results_page and not starting:
            self.status_label.setText("Searching…")

    @Slot(object)
    def show_detail(self, detail: PhotoDetail) -> None:
        page = self.detail_page
        is_other = page.detail is None or page.detail.media_id != detail.media_id
        page.show_detail(detail)
        if is_other:
            pixmap = self._thumbnails.pixmap(detail.path, PREVIEW_SIDE_PX)
            if pixmap is not None:
                page.show_preview(pixmap)
        self.setCurrentWidget(page)

    @Slot()
    def back_to_results(self) -> bool:
        """Leave the detail view; False if it was not on show."""
        if self.currentWidget() is not self.detail_page:
            return False
        has_results = self.results_model.rowCount() > 0 or bool(self.header_label.text())
        self.setCurrentWidget(self.results_page if has_results else self.hint_page)
        self.results_view.setFocus()
        return True

    @Slot(str)
    def forget_folder(self, folder: str) -> None:
        """A folder left the library: drop its photos from the results on show (the search
        runs again too) and leave the detail view if it shows one of them."""
        if not folder:
            return
        prefix = folder.rstrip("/\\") + os.sep
        kept = [h for h in self.results_model.hits if not h.path.startswith(prefix)]
        if len(kept) != len(self.results_model.hits):
            self.results_model.set_hits(kept)
        detail = self.detail_page.detail
        if detail is not None and detail.path.startswith(prefix):
            self.detail_page.clear()
            self.back_to_results()

    @Slot(str, int)
    def _on_thumbnails_thumbnail_ready(self, path: str, side_px: int) -> None:
        detail = self.detail_page.detail
        if side_px == PREVIEW_SIDE_PX and detail is not None and detail.path == path:
            pixmap = self._thumbnails.pixmap(path, PREVIEW_SIDE_PX)
            self.detail_page.show_preview(pixmap, self._thumbnails.problem(path, PREVIEW_SIDE_PX))
        if side_px == GRID_SIDE_PX and path == self._query_path:
            self.image_query_panel.set_query(path, self._thumbnails.pixmap(path))
