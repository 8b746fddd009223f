"""The detail view of one photo: large preview, captions, tags, date, path and actions."""

from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt, Signal, SignalInstance, Slot
from PySide6.QtGui import QGuiApplication, QPixmap, QResizeEvent
from PySide6.QtWidgets import (
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from core.library.indexing.caption_sync import (
    ORIGIN_EMBEDDED_KEYWORDS,
    ORIGIN_FILE_KEYWORDS,
    ORIGIN_HASHTAGS,
)
from core.library.training.zero_shot_labels import ZERO_SHOT_ORIGIN
from core.store.media_repo import USER_SOURCE
from desktop_app.application.detail import PhotoDetail
from desktop_app.gui.views.labels import plain_label, plain_tooltip

PREVIEW_MIN = QSize(160, 120)
SIDE_COLUMN_WIDTH_PX = 340
SIDE_COLUMN_MIN_WIDTH_PX = 230
"""The side column narrows down to this at the window's minimum size (it never runs off)."""
BUTTON_COLUMNS = 2
LIST_MAX_HEIGHT_PX = 150
_ID_ROLE = Qt.ItemDataRole.UserRole + 1
_ORIGIN_WORDS = {
    USER_SOURCE: "your tag",
    ORIGIN_EMBEDDED_KEYWORDS: "keyword in the file",
    ORIGIN_FILE_KEYWORDS: "keyword from a captions file",
    ORIGIN_HASHTAGS: "hashtag in a caption",
    ZERO_SHOT_ORIGIN: "zero-shot guess",
}


_KIND_LINES = {
    "raw": "Camera RAW photo (shown from its preview or a half-size development)",
    "video": "Video (indexed and shown by its frame at 10 % of its length; Open plays it)",
}


class DetailPage(QWidget):
    """Shows a ``PhotoDetail`` and reports the user's edits and actions.

    Signals:
        back_requested: return to the results.
        caption_added: ``str`` the user's new caption.
        caption_edited: ``(caption id, text)``; empty text removes the caption.
        tags_changed: ``tuple[str, ...]`` the user's tags after an add or remove.
        open_requested / show_in_folder_requested / search_requested / view_requested:
            ``str`` photo path (``view_requested``: show it in the full-size viewer).
    """

    back_requested = Signal()
    caption_added = Signal(str)
    caption_edited = Signal(int, str)
    tags_changed = Signal(object)
    open_requested = Signal(str)
    show_in_folder_requested = Signal(str)
    search_requested = Signal(str)
    view_requested = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("detailPage")
        self._detail: PhotoDetail | None = None
        self._preview: QPixmap | None = None
        self.preview_label = QLabel()
        self.preview_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview_label.setMinimumSize(PREVIEW_MIN)
        self.preview_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)
        self.name_label = plain_label(scale=1.3, is_bold=True, is_selectable=True)
        self.facts_label = plain_label(is_selectable=True)
        self.path_label = plain_label(is_subtle=True, is_selectable=True)
        self.caption_list = QListWidget()
        self.caption_list.setWordWrap(True)
        self.caption_list.setMaximumHeight(LIST_MAX_HEIGHT_PX)
        self.caption_list.itemChanged.connect(self._on_caption_list_item_changed)
        self.caption_edit = QLineEdit()
        self.caption_edit.setPlaceholderText("Add a caption…")
        self.caption_edit.returnPressed.connect(self._on_caption_edit_return_pressed)
        self.tag_list = QListWidget()
        self.tag_list.setMaximumHeight(LIST_MAX_HEIGHT_PX * 3 // 4)
        self.tag_list.itemSelectionChanged.connect(self._on_tag_list_selection_changed)
        self.tag_edit = QLineEdit()
        self.tag_edit.setPlaceholderText("Add a tag…")
        self.tag_edit.returnPressed.connect(self._on_tag_edit_return_pressed)
        self.remove_tag_button = QPushButton("Remove tag")
        self.remove_tag_button.setEnabled(False)
        self.remove_tag_button.clicked.connect(self._on_remove_tag_button_clicked)
        self._lay_out()

    def _action_buttons(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setSpacing(6)
        actions = (
            ("← Back", self.back_requested.emit),
            ("View full size", lambda: self._emit_path(self.view_requested)),
            ("Search with this photo", lambda: self._emit_path(self.search_requested)),
            ("Open", lambda: self._emit_path(self.open_requested)),
            ("Show in folder", lambda: self._emit_path(self.show_in_folder_requested)),
            ("Copy path", self._copy_path),
        )
        self.buttons: dict[str, QPushButton] = {}
        for position, (text, handler) in enumerate(actions):
            button = QPushButton(text)
            button.clicked.connect(handler)
            self.buttons[text] = button
            grid.addWidget(button, position // BUTTON_COLUMNS, position % BUTTON_COLUMNS)
        return grid

    def _lay_out(self) -> None:
        side = QWidget()
        side.setMinimumWidth(SIDE_COLUMN_MIN_WIDTH_PX)
        side.setMaximumWidth(SIDE_COLUMN_WIDTH_PX)
        column = QVBoxLayout(side)
        column.setContentsMargins(0, 0, 8, 0)
        column.setSpacing(8)
        column.addWidget(self.name_label)
        column.addWidget(self.facts_label)
        column.addWidget(self.path_label)
        column.addLayout(self._action_buttons())
        column.addSpacing(6)
        column.addWidget(plain_label("Captions", is_bold=True))
        column.addWidget(plain_label("Double-click one of yours to edit it.", is_subtle=True))
        column.addWidget(self.caption_list)
        column.addWidget(self.caption_edit)
        column.addSpacing(6)
        column.addWidget(plain_label("Tags", is_bold=True))
        column.addWidget(self.tag_list)
        tag_row = QHBoxLayout()
        tag_row.addWidget(self.tag_edit, 1)
        tag_row.addWidget(self.remove_tag_button)
        column.addLayout(tag_row)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(side)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setMinimumWidth(SIDE_COLUMN_MIN_WIDTH_PX + 16)
        scroll.setMaximumWidth(SIDE_COLUMN_WIDTH_PX + 16)
        scroll.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.setSpacing(16)
        layout.addWidget(self.preview_label, 1)
        layout.addWidget(scroll)

    @property
    def detail(self) -> PhotoDetail | None:
        """The photo on show."""
        return self._detail

    def clear(self) -> None:
        """Forget the photo on show (it left the library)."""
        self._detail = None
        self._preview = None
        self.preview_label.setPixmap(QPixmap())

    @Slot(object)
    def show_detail(self, detail: PhotoDetail) -> None:
        is_other_photo = self._detail is None or self._detail.media_id != detail.media_id
        self._detail = detail
        if is_other_photo:
            self._preview = None
            self.preview_label.setPixmap(QPixmap())
            self.preview_label.setText("Loading the preview…")
        self.name_label.setText(os.path.basename(detail.path))
        self.path_label.setText(detail.path)
        self.path_label.setToolTip(plain_tooltip(detail.path))
        self.facts_label.setText(self._facts(detail))
        self._fill_captions(detail)
        self._fill_tags(detail)

    def show_preview(self, pixmap: QPixmap | None, problem: str = "") -> None:
        """The large preview, or why there is none."""
        self._preview = pixmap
        if pixmap is None:
            self.preview_label.setText(problem or "No preview for this file.")
            return
        self._scale_preview()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt override
        super().resizeEvent(event)
        self._scale_preview()

    def _scale_preview(self) -> None:
        if self._preview is None:
            return
        scaled = self._preview.scaled(
            self.preview_label.size(),
            Qt.AspectRatioMode.KeepAspectRatio,
            Qt.TransformationMode.SmoothTransformation,
        )
        self.preview_label.setPixmap(scaled)

    @staticmethod
    def _facts(detail: PhotoDetail) -> str:
        lines = [
            f"Taken {detail.media.taken_at.replace('T', ' ')}"
            if detail.media.taken_at
            else "Date taken unknown"
        ]
        if detail.media.width and detail.media.height:
            lines.append(f"{detail.media.width} × {detail.media.height} pixels")
        kind = _KIND_LINES.get(detail.media.kind)
        if kind:
            lines.append(kind)
        if detail.media.status == "error":
            lines.append(f"Skipped: {detail.media.error or 'unreadable'}")
        elif detail.media.status == "pending":
            lines.append("Waiting to be indexed")
        return "\n".join(lines)

    def _fill_captions(self, detail: PhotoDetail) -> None:
        self.caption_list.blockSignals(True)
        self.caption_list.clear()
        for caption in detail.captions:
            item = QListWidgetItem(caption.text)  # plain text
            item.setData(_ID_ROLE, caption.id)
            source = "your caption" if caption.is_user else f"from {caption.source}"
            item.setToolTip(plain_tooltip(source))
            if caption.is_user:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.caption_list.addItem(item)
        if not detail.captions:
            empty = QListWidgetItem("No captions yet.")
            empty.setFlags(Qt.ItemFlag.NoItemFlags)
            self.caption_list.addItem(empty)
        self.caption_list.blockSignals(False)

    def _fill_tags(self, detail: PhotoDetail) -> None:
        self.tag_list.clear()
        for label in detail.labels:
            origin = _ORIGIN_WORDS.get(label.origin, label.origin)
            if label.confidence < 1.0:
                origin = f"{origin} {label.confidence:.2f}"
            item = QListWidgetItem(f"{label.name}  ({origin})")
            item.setData(_ID_ROLE, label.name if label.is_user else None)
            self.tag_list.addItem(item)

    def _emit_path(self, signal: SignalInstance) -> None:
        if self._detail is not None:
            signal.emit(self._detail.path)

    def _copy_path(self) -> None:
        if self._detail is not None:
            QGuiApplication.clipboard().setText(self._detail.path)

    @Slot(QListWidgetItem)
    def _on_caption_list_item_changed(self, item: QListWidgetItem) -> None:
        caption_id = item.data(_ID_ROLE)
        if isinstance(caption_id, int):
            self.caption_edited.emit(caption_id, item.text())

    @Slot()
    def _on_caption_edit_return_pressed(self) -> None:
        text = self.caption_edit.text().strip()
        if text:
            self.caption_added.emit(text)
            self.caption_edit.clear()

    @Slot()
    def _on_tag_edit_return_pressed(self) -> None:
        tag = self.tag_edit.text().strip()
        if tag and self._detail is not None:
            tags = self._detail.user_tags
            if tag.casefold() not in {t.casefold() for t in tags}:
                self.tags_changed.emit((*tags, tag))
            self.tag_edit.clear()

    @Slot()
    def _on_tag_list_selection_changed(self) -> None:
        item = self.tag_list.currentItem()
        self.remove_tag_button.setEnabled(item is not None and item.data(_ID_ROLE) is not None)

    @Slot()
    def _on_remove_tag_button_clicked(self) -> None:
        item = self.tag_list.currentItem()
        if item is None or self._detail is None:
            return
        name = item.data(_ID_ROLE)
        if isinstance(name, str):
            self.tags_changed.emit(tuple(t for t in self._detail.user_tags if t != name))
