"""The bar above the results: filters (folder, camera, date range, minimum score), order and
thumbnail size.

Tags are filtered by typing ``#tag`` in the search field (shared with ``hashlens search``);
the bar holds what is awkward to type. It only reports what the user chose: the search
controller applies the filter to every query, off the GUI thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from pathlib import Path

from PySide6.QtCore import QDate, Qt, Signal, Slot
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDoubleSpinBox,
    QHBoxLayout,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from core.errors import SearchFilterError
from core.search.filters import PhotoFilter
from desktop_app.gui.thumbnails import GRID_SIDE_PX
from desktop_app.gui.views.labels import plain_label, plain_tooltip
from desktop_app.gui.views.results_list_model import SORT_ORDERS, SortOrder

ANY_DAY = QDate(1900, 1, 1)
"""The date edits' minimum: shown as "any day" (no bound)."""
MIN_THUMBNAIL_PX = 96
ALL_CAMERAS = "All cameras"
SLIDER_STEP_PX = 16
ANY_SCORE = "Any score"
"""The minimum score box at its minimum: no threshold."""
SCORE_TIP = "Hide results whose similarity to the words or photo is below this (cosine)"
NO_SCORE_TIP = "Results listed by date have no score: type words or search with a photo"


class FilterBar(QWidget):
    """Folder, camera and date filters, sort order and thumbnail size.

    Signals:
        filter_changed: the ``PhotoFilter`` chosen (without tags: those come from the query).
        filter_refused: ``str`` why the chosen filter cannot be used (a reversed range).
        order_changed: the ``SortOrder`` chosen.
        thumbnail_side_changed: ``int`` pixels.
        min_score_changed: the minimum score (``float``), or ``None`` for any score.
    """

    min_score_changed = Signal(object)
    filter_changed = Signal(object)
    filter_refused = Signal(str)
    order_changed = Signal(str)
    thumbnail_side_changed = Signal(int)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("filterBar")
        self.folder_combo = QComboBox()
        self.folder_combo.setObjectName("folderFilter")
        self.folder_combo.addItem("All folders", "")
        self.folder_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.folder_combo.setMinimumContentsLength(12)
        self.camera_combo = QComboBox()
        self.camera_combo.setObjectName("cameraFilter")
        self.camera_combo.addItem(ALL_CAMERAS, "")
        self.camera_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.camera_combo.setMinimumContentsLength(10)
        self.camera_combo.setToolTip(plain_tooltip("Photos taken with this camera (from EXIF)"))
        self.after_edit = self._date_edit("From any day", "Photos taken on or after this day")
        self.before_edit = self._date_edit("To any day", "Photos taken on or before this day")
        self.clear_button = QPushButton("Clear")
        self.clear_button.setToolTip(plain_tooltip("Show photos of every folder, camera and date."))
        self.clear_button.clicked.connect(self.clear)
        self.order_combo = QComboBox()
        self.order_combo.setObjectName("sortOrder")
        for key, text in SORT_ORDERS:
            self.order_combo.addItem(text, key)
        self.size_slider = QSlider(Qt.Orientation.Horizontal)
        self.size_slider.setObjectName("thumbnailSize")
        self.size_slider.setRange(MIN_THUMBNAIL_PX, GRID_SIDE_PX)
        self.size_slider.setSingleStep(SLIDER_STEP_PX)
        self.size_slider.setPageStep(SLIDER_STEP_PX * 2)
        self.size_slider.setValue(GRID_SIDE_PX)
        self.size_slider.setMaximumWidth(120)
        self.size_slider.setToolTip(plain_tooltip("Thumbnail size"))
        self.size_slider.setAccessibleName("Thumbnail size")
        self.min_score_spin = QDoubleSpinBox()
        self.min_score_spin.setObjectName("minScore")
        self.min_score_spin.setRange(0.0, 1.0)
        self.min_score_spin.setDecimals(2)
        self.min_score_spin.setSingleStep(0.01)
        self.min_score_spin.setSpecialValueText(ANY_SCORE)
        self.min_score_spin.setKeyboardTracking(False)  # one search per value, not per digit
        self.min_score_spin.setAccessibleName("Minimum score")
        self.set_score_enabled(False)
        self._lay_out()
        self.min_score_spin.valueChanged.connect(self._on_min_score_spin_value_changed)
        self.folder_combo.activated.connect(self._on_filter_edited)
        self.camera_combo.activated.connect(self._on_filter_edited)
        self.after_edit.dateChanged.connect(self._on_filter_edited)
        self.before_edit.dateChanged.connect(self._on_filter_edited)
        self.order_combo.activated.connect(self._on_order_combo_activated)
        self.size_slider.valueChanged.connect(self.thumbnail_side_changed)

    @staticmethod
    def _date_edit(any_text: str, tip: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd")
        edit.setMinimumDate(ANY_DAY)
        edit.setSpecialValueText(any_text)
        edit.setDate(ANY_DAY)
        edit.setToolTip(plain_tooltip(tip))
        return edit

    def _lay_out(self) -> None:
        filters = QHBoxLayout()
        filters.setSpacing(6)
        filters.addWidget(self.folder_combo, 1)
        filters.addWidget(self.after_edit)
        filters.addWidget(self.before_edit)
        filters.addWidget(self.clear_button)
        view = QHBoxLayout()
        view.setSpacing(6)
        view.addWidget(plain_label("Sort:", is_subtle=True))
        view.addWidget(self.order_combo)
        view.addWidget(self.camera_combo)  # a filter, on this row so the dates keep their room
        view.addWidget(plain_label("Min. score:", is_subtle=True))
        view.addWidget(self.min_score_spin)
        view.addStretch(1)
        view.addWidget(plain_label("Size:", is_subtle=True))
        view.addWidget(self.size_slider)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(filters)
        layout.addLayout(view)

    def set_folders(self, paths: Sequence[str]) -> None:
        """The library's folders to choose from (the choice is kept while it exists)."""
        chosen = str(self.folder_combo.currentData() or "")
        self.folder_combo.blockSignals(True)
        self.folder_combo.clear()
        self.folder_combo.addItem("All folders", "")
        for path in paths:
            self.folder_combo.addItem(Path(path).name or path, path)
            self.folder_combo.setItemData(
                self.folder_combo.count() - 1, plain_tooltip(path), Qt.ItemDataRole.ToolTipRole
            )
        found = self.folder_combo.findData(chosen) if chosen else 0
        self.folder_combo.setCurrentIndex(max(found, 0))
        self.folder_combo.blockSignals(False)
        if chosen and found < 0:  # the folder left the library: stop filtering by it
            self._on_filter_edited()

    def set_cameras(self, cameras: Sequence[str]) -> None:
        """The cameras the library's photos name (the choice is kept while one names it)."""
        chosen = str(self.camera_combo.currentData() or "")
        self.camera_combo.blockSignals(True)
        self.camera_combo.clear()
        self.camera_combo.addItem(ALL_CAMERAS, "")
        for camera in cameras:
            self.camera_combo.addItem(camera, camera)
        found = self.camera_combo.findData(chosen) if chosen else 0
        self.camera_combo.setCurrentIndex(max(found, 0))
        self.camera_combo.setEnabled(bool(cameras))
        self.camera_combo.blockSignals(False)
        if chosen and found < 0:  # no photo names that camera any more: stop filtering by it
            self._on_filter_edited()

    def set_folder(self, path: str) -> None:
        """Filter by one folder (a click on it in the library list)."""
        index = self.folder_combo.findData(path)
        if index >= 0 and index != self.folder_combo.currentIndex():
            self.folder_combo.setCurrentIndex(index)
            self._on_filter_edited()

    def show_order(self, order: SortOrder, is_ranked: bool) -> None:
        """The order the results are in; "Best match" is offered for ranked results only."""
        model = self.order_combo.model()
        if isinstance(model, QStandardItemModel):
            model.item(0).setEnabled(is_ranked)
        self.order_combo.setCurrentIndex(self.order_combo.findData(order))

    def set_score_enabled(self, is_ranked: bool) -> None:
        """The minimum score applies to ranked results only (words or a photo to score by)."""
        self.min_score_spin.setEnabled(is_ranked)
        self.min_score_spin.setToolTip(plain_tooltip(SCORE_TIP if is_ranked else NO_SCORE_TIP))

    def min_score(self) -> float | None:
        """The minimum score chosen, ``None`` for any score."""
        value = self.min_score_spin.value()
        return None if value <= self.min_score_spin.minimum() else round(value, 2)

    def photo_filter(self) -> PhotoFilter:
        """The filter on show.

        Raises:
            SearchFilterError: The date range is reversed.
        """
        return PhotoFilter(
            after=_day(self.after_edit.date()),
            before=_day(self.before_edit.date()),
            folder=str(self.folder_combo.currentData() or "") or None,
            camera=str(self.camera_combo.currentData() or "") or None,
        )

    @Slot()
    def clear(self) -> None:
        """Every folder, every camera, every date."""
        widgets = (self.folder_combo, self.camera_combo, self.after_edit, self.before_edit)
        for widget in widgets:
            widget.blockSignals(True)
        self.folder_combo.setCurrentIndex(0)
        self.camera_combo.setCurrentIndex(0)
        self.after_edit.setDate(ANY_DAY)
        self.before_edit.setDate(ANY_DAY)
        for widget in widgets:
            widget.blockSignals(False)
        self._on_filter_edited()

    @Slot()
    def _on_filter_edited(self) -> None:
        try:
            chosen = self.photo_filter()
        except SearchFilterError as exc:
            self.filter_refused.emit(exc.user_message)
            return
        self.filter_changed.emit(chosen)

    @Slot(float)
    def _on_min_score_spin_value_changed(self, _value: float) -> None:
        self.min_score_changed.emit(self.min_score())

    @Slot(int)
    def _on_order_combo_activated(self, index: int) -> None:
        order: SortOrder = self.order_combo.itemData(index)
        self.order_changed.emit(order)


def _day(value: QDate) -> date | None:
    if value == ANY_DAY or not value.isValid():
        return None
    return date(value.year(), value.month(), value.day())
