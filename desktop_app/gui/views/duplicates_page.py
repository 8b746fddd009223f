"""The duplicates view: one row per group of copies, the largest copy first. Read-only.

Each group is a strip of the results grid (the same cells, selection and context menu),
so the user can select copies and show them in their folder, export or tag them; the
app itself never deletes a file.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QLocale, Qt, QTimer, Signal, Slot
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from core.media.media_kinds import media_kind
from core.search.duplicate_report import DuplicateReport, ReportGroup
from core.store.records import FileFacts
from core.types import SearchHit
from desktop_app.application.error_report import ErrorReport
from desktop_app.gui.thumbnails import ThumbnailLoader
from desktop_app.gui.views.labels import plain_label
from desktop_app.gui.views.results_list_model import ResultsListModel
from desktop_app.gui.views.results_view import ResultsView

STRIP_SIDE_PX = 128
"""Thumbnail side in the strips: several groups fit on screen at once."""
MAX_GROUPS_SHOWN = 200
"""Groups shown (each is a strip of the grid); the CLI lists all of them."""
STRIPS_PER_TURN = 1
"""Strips built per event-loop turn. Built at once, 200 groups of 3 froze the window for
1.5 s; one per turn, the first groups show at once and the longest GUI-thread step was
69 ms (median 20 ms) on the shared 2-core machine at load ~7 (offscreen,
``benchmarks/duplicates_view.py``). One sectioned grid would be cheaper still."""
KIND_TITLES = {"exact": "Exact copies", "near": "Near-duplicates", "burst": "Burst"}
READ_ONLY_NOTE = (
    "Nothing is deleted by HashLens. The largest copy comes first; select the others and "
    "use Show in Folder to remove them yourself."
)


def group_title(group: ReportGroup) -> str:
    """``Near-duplicates · 3 photos · cosine ≥ 0.972``."""
    title = f"{KIND_TITLES[group.kind]} · {len(group.members)} photos"
    if group.kind != "exact":
        title += f" · cosine ≥ {math.floor(group.min_cosine * 1000) / 1000:.3f}"  # never rounds up
    return title


def member_hit(member: FileFacts, score: float, *, with_time: bool = False) -> SearchHit:
    """A group member as a grid cell: what tells copies apart where a caption would be
    (pixel size and file size; for a burst, the time of the shot first)."""
    parts = [f"{member.width}×{member.height}"] if member.width and member.height else []
    parts.append(_size_text(member.size))
    if with_time and member.taken_at:
        parts.insert(0, member.taken_at[11:19])
    media = media_kind(member.path) or "photo"
    return SearchHit("photo", member.id, member.path, " · ".join(parts), score, media=media)


def _size_text(size: int) -> str:
    """``2.1 MB`` or ``456 KB``: short enough for a cell."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:.1f} MB"
    return f"{max(1, round(size / 1000))} KB"


class GroupStrip(ResultsView):
    """One group's photos in a single row that scrolls sideways if it must."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("duplicateGroupView")
        self.setFlow(QListView.Flow.LeftToRight)
        self.setWrapping(False)
        self.setLayoutMode(QListView.LayoutMode.SinglePass)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.delegate.side_px = STRIP_SIDE_PX

    def fit_height(self) -> None:
        """As tall as one cell plus a sideways scroll bar."""
        cell = self.sizeHintForRow(0) if self.model() and self.model().rowCount() else 0
        bar = self.horizontalScrollBar().sizeHint().height()
        self.setFixedHeight(cell + 2 * self.spacing() + bar + 2 * self.frameWidth())


class DuplicatesPage(QWidget):
    """Groups of exact copies, near-duplicates and bursts.

    Signals:
        back_requested: the user wants the photos grid again.
        refresh_requested: look for duplicates again (``include_bursts`` says how).
        hit_opened / search_requested / open_requested / reveal_requested /
        export_requested / tag_requested: as ``ResultsView``'s, from any group.
        view_requested: ``(hits, row)`` to show full size (next/previous walk the group).
    """

    back_requested = Signal()
    refresh_requested = Signal()
    hit_opened = Signal(object)
    search_requested = Signal(str)
    open_requested = Signal(object)
    reveal_requested = Signal(object)
    export_requested = Signal(object)
    tag_requested = Signal(object)
    view_requested = Signal(object, int)

    def __init__(self, thumbnails: ThumbnailLoader) -> None:
        super().__init__()
        self.setObjectName("duplicatesPage")
        self._thumbnails = thumbnails
        self.header_label = plain_label("Duplicates", is_bold=True)
        self.status_label = plain_label(is_subtle=True)
        self.note_label = plain_label(READ_ONLY_NOTE, is_subtle=True)
        self.back_button = QPushButton("Back to Photos")
        self.back_button.clicked.connect(self.back_requested)
        self.refresh_button = QPushButton("Look Again")
        self.refresh_button.clicked.connect(self.refresh_requested)
        self.bursts_check = QCheckBox("Include Bursts")
        self.bursts_check.setToolTip(
            "Also group photos shot within seconds of each other that look alike "
            "(re-takes, burst shots), at a looser similarity."
        )
        self.bursts_check.toggled.connect(self.refresh_requested)
        top = QHBoxLayout()
        top.addWidget(self.header_label, 1)
        top.addWidget(self.bursts_check)
        top.addWidget(self.refresh_button)
        top.addWidget(self.back_button)
        self._groups_widget = QWidget()
        self._groups_layout = QVBoxLayout(self._groups_widget)
        self._groups_layout.setContentsMargins(0, 0, 0, 0)
        self._groups_layout.setSpacing(4)
        self._groups_layout.addStretch(1)
        self.groups_area = QScrollArea()
        self.groups_area.setObjectName("duplicateGroups")
        self.groups_area.setWidgetResizable(True)
        self.groups_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.groups_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.groups_area.setWidget(self._groups_widget)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(8)
        layout.addLayout(top)
        layout.addWidget(self.status_label)
        layout.addWidget(self.note_label)
        layout.addWidget(self.groups_area, 1)
        self.strips: list[GroupStrip] = []
        self._titles: list[QLabel] = []
        self._pending: list[ReportGroup] = []
        self._build_timer = QTimer(self)  # owned: never fires after the page is gone
        self._build_timer.setInterval(0)
        self._build_timer.timeout.connect(self._build_some)

    @Slot()
    def show_searching(self) -> None:
        self._clear()
        self.status_label.setText("Looking for duplicates…")
        self.refresh_button.setEnabled(False)

    @Slot(object)
    def show_report(self, report: DuplicateReport) -> None:
        """One titled strip per group (at most ``MAX_GROUPS_SHOWN``)."""
        self._clear()
        self.refresh_button.setEnabled(True)
        self.status_label.setText(_summary(report))
        self.note_label.setVisible(bool(report.groups))
        self._pending = list(report.groups[:MAX_GROUPS_SHOWN])
        self._build_some()

    @property
    def include_bursts(self) -> bool:
        """Whether the user asked for bursts too."""
        return bool(self.bursts_check.isChecked())

    @property
    def is_building(self) -> bool:
        """Whether strips of the last report are still being laid out."""
        return bool(self._pending)

    @Slot()
    def _build_some(self) -> None:
        """Add the next few strips; come back on the next event-loop turn for the rest."""
        batch, self._pending = self._pending[:STRIPS_PER_TURN], self._pending[STRIPS_PER_TURN:]
        for group in batch:
            self._add_group(group)
        if self._pending:
            self._build_timer.start()
        else:
            self._build_timer.stop()

    @Slot(object)
    def show_failure(self, report: ErrorReport) -> None:
        self._clear()
        self.refresh_button.setEnabled(True)
        self.note_label.setVisible(False)
        self.status_label.setText(f"{report.summary}: {report.message}")

    def _add_group(self, group: ReportGroup) -> None:
        title = plain_label(group_title(group), is_bold=True)
        title.setObjectName("duplicateGroupTitle")
        strip = GroupStrip()
        model = ResultsListModel(self._thumbnails, strip)
        score = group.min_cosine
        with_time = group.kind == "burst"
        hits = [member_hit(m, score, with_time=with_time) for m in group.members]
        model.set_hits(hits, is_ranked=False)
        strip.setModel(model)
        strip.fit_height()
        strip.hit_opened.connect(self.hit_opened)
        strip.search_requested.connect(self.search_requested)
        strip.open_requested.connect(self.open_requested)
        strip.reveal_requested.connect(self.reveal_requested)
        strip.export_requested.connect(self.export_requested)
        strip.tag_requested.connect(self.tag_requested)
        strip.view_requested.connect(lambda row, m=model: self.view_requested.emit(m.hits, row))
        at = self._groups_layout.count() - 1  # before the stretch
        self._groups_layout.insertWidget(at, title)
        self._groups_layout.insertWidget(at + 1, strip)
        self._titles.append(title)
        self.strips.append(strip)

    def _clear(self) -> None:
        self._pending = []
        self._build_timer.stop()
        for widget in [*self._titles, *self.strips]:
            self._groups_layout.removeWidget(widget)
            widget.deleteLater()
        self._titles, self.strips = [], []


def _summary(report: DuplicateReport) -> str:
    locale = QLocale.system()
    photos = locale.toString(report.photos)
    if report.hasher is not None:
        bits = "bit" if report.radius == 1 else "bits"
        how = (
            f"codes of {report.hasher} within {report.radius} {bits}, then cosine "
            f"≥ {report.options.min_cosine:g}"
        )
    else:
        how = f"cosine ≥ {report.options.min_cosine:g} over every pair"
    if report.options.bursts:
        how += (
            f"; bursts: shots within {report.options.burst_seconds:g} s at cosine "
            f"≥ {report.options.burst_min_cosine:g}"
        )
    if not report.groups:
        return f"No duplicates among {photos} photos ({how})."
    groups = locale.toString(len(report.groups))
    in_groups = locale.toString(sum(len(g.members) for g in report.groups))
    shown = (
        f" The first {MAX_GROUPS_SHOWN} are shown; `hashlens duplicates` lists all."
        if len(report.groups) > MAX_GROUPS_SHOWN
        else ""
    )
    return f"{groups} groups, {in_groups} of {photos} photos ({how}).{shown}"
