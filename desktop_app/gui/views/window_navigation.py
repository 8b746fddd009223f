"""The way between the window's right-side views, the focus into the results, the viewer.

Results, one photo's detail and the duplicate groups share the search area; this
remembers which view a detail was opened from, so that Back and Esc return there,
and opens the full-size viewer (once, then reused) on the photos a view lists.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from core.types import SearchHit
from desktop_app.gui.full_images import FullImageLoader
from desktop_app.gui.views.duplicates_page import DuplicatesPage
from desktop_app.gui.views.search_area import SearchArea
from desktop_app.gui.views.viewer import PhotoViewer


class ViewNavigator:
    """Moves the search area between its views and shows photos full size.

    Args:
        window: parent of the viewer.
        area: the right side of the window (hint, results, detail).
        duplicates: the duplicates view, one of ``area``'s pages.
        full_images: full-size loader; without one the viewer never opens.
    """

    def __init__(
        self,
        window: QWidget,
        area: SearchArea,
        duplicates: DuplicatesPage,
        full_images: FullImageLoader | None,
    ) -> None:
        self._window = window
        self._area = area
        self._duplicates = duplicates
        self._full_images = full_images
        self.viewer: PhotoViewer | None = None
        self._is_detail_from_duplicates = False

    def show_duplicates(self) -> None:
        """Put the duplicates view on show, searching."""
        self._duplicates.show_searching()
        self._area.setCurrentWidget(self._duplicates)

    def leave_duplicates(self) -> bool:
        """Back from the duplicates view to the photos; False if it was not on show."""
        area = self._area
        if area.currentWidget() is not self._duplicates:
            return False
        has_results = area.results_model.rowCount() > 0
        area.setCurrentWidget(area.results_page if has_results else area.hint_page)
        return True

    def back_from_detail(self) -> bool:
        """Leave the detail view for the view it was opened from; False if not on show."""
        area = self._area
        if self._is_detail_from_duplicates and area.currentWidget() is area.detail_page:
            self._is_detail_from_duplicates = False
            area.setCurrentWidget(self._duplicates)
            return True
        return area.back_to_results()

    def focus_results(self) -> bool:
        """Move the focus to the results (the first one when none is current); False if none."""
        model = self._area.results_model
        if model.rowCount() <= 0:
            return False
        view = self._area.results_view
        view.setFocus(Qt.FocusReason.OtherFocusReason)
        if not view.currentIndex().isValid():
            view.setCurrentIndex(model.index(0))
        return True

    def note_detail_opened(self, *, is_from_duplicates: bool) -> None:
        """A detail was asked for from the duplicates view (True) or the results (False)."""
        self._is_detail_from_duplicates = is_from_duplicates

    def open_viewer(self, hits: Sequence[SearchHit], row: int) -> None:
        """Show ``hits[row]`` full size; next and previous walk ``hits``."""
        if self._full_images is None or not hits:
            return
        if self.viewer is None:
            self.viewer = PhotoViewer(self._full_images, self._window)
        self.viewer.show_hits(hits, row)
        self.viewer.show()
        self.viewer.raise_()
        self.viewer.activateWindow()

    def view_result(self, row: int) -> None:
        """Show result ``row`` full size, walking the results."""
        self.open_viewer(self._area.results_model.hits, row)

    def view_detail_photo(self, path: str) -> None:
        """Show the detail's photo full size, walking the results when it is among them."""
        hits = self._area.results_model.hits
        row = next((i for i, hit in enumerate(hits) if hit.path == path), None)
        detail = self._area.detail_page.detail
        if row is not None:
            self.open_viewer(hits, row)
        elif detail is not None:
            self.open_viewer([SearchHit("photo", detail.media_id, path, "", 0.0)], 0)
