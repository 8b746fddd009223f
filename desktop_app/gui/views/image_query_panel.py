"""Above the grid during an image search: the query photo, the captions that describe it, and
a field of words to add to the photo (the query language of the search box: ``at night -people``).
"""

from __future__ import annotations

import os

from PySide6.QtCore import QSize, Qt, Signal, Slot
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.search.query_syntax import SYNTAX_HINT
from core.types import SearchHit
from desktop_app.gui.views.labels import plain_label, plain_tooltip

QUERY_SIDE_PX = 120
CAPTION_LIST_HEIGHT_PX = 132
_HIT_ROLE = Qt.ItemDataRole.UserRole + 1


class ImageQueryPanel(QWidget):
    """The image→text half of an image search.

    Signals:
        hit_opened: the caption ``SearchHit`` whose photo the user wants to see.
        words_changed: ``str`` words to search with the photo (Enter; '' for the photo alone).
    """

    hit_opened = Signal(object)
    words_changed = Signal(str)

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("imageQueryPanel")
        self.query_label = QLabel()
        self.query_label.setFixedSize(QSize(QUERY_SIDE_PX, QUERY_SIDE_PX))
        self.query_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.title_label = plain_label("Captions that describe this photo", is_bold=True)
        self.caption_list = QListWidget()
        self.caption_list.setObjectName("captionHits")
        self.caption_list.setFixedHeight(CAPTION_LIST_HEIGHT_PX)
        self.caption_list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.caption_list.itemActivated.connect(self._on_caption_list_item_activated)
        self.words_edit = QLineEdit()
        self.words_edit.setObjectName("imageQueryWords")
        self.words_edit.setPlaceholderText("Add words to this photo, e.g. at night -people")
        self.words_edit.setClearButtonEnabled(True)
        self.words_edit.setToolTip(plain_tooltip(SYNTAX_HINT))
        self.words_edit.returnPressed.connect(self._on_words_edit_return_pressed)
        column = QVBoxLayout()
        column.setSpacing(4)
        column.addWidget(self.title_label)
        column.addWidget(self.caption_list)
        column.addWidget(self.words_edit)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        layout.addWidget(self.query_label, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(column, 1)

    def set_words(self, words: str) -> None:
        """The words searched with the photo (kept as typed while they are the same)."""
        if words.strip() != self.words_edit.text().strip():
            self.words_edit.setText(words)

    def set_query(self, path: str, pixmap: QPixmap | None) -> None:
        """The query photo (its thumbnail once loaded)."""
        self.query_label.setToolTip(plain_tooltip(path))
        if pixmap is None:
            self.query_label.setText(os.path.basename(path))
            return
        self.query_label.setPixmap(
            pixmap.scaled(
                self.query_label.size(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def set_captions(self, hits: tuple[SearchHit, ...]) -> None:
        self.caption_list.clear()
        for hit in hits:
            text = hit.caption.replace("\n", " ")
            item = QListWidgetItem(f"{hit.score:.2f}   {text}")  # plain text
            item.setToolTip(plain_tooltip(f"{hit.caption}\n{hit.path}"))
            item.setData(_HIT_ROLE, hit)
            self.caption_list.addItem(item)
        if not hits:
            self.caption_list.addItem("No captions in the library yet.")

    def captions(self) -> list[str]:
        """The caption rows on show, as displayed."""
        return [self.caption_list.item(i).text() for i in range(self.caption_list.count())]

    @Slot()
    def _on_words_edit_return_pressed(self) -> None:
        self.words_changed.emit(self.words_edit.text().strip())

    @Slot(QListWidgetItem)
    def _on_caption_list_item_activated(self, item: QListWidgetItem) -> None:
        hit = item.data(_HIT_ROLE)
        if isinstance(hit, SearchHit):
            self.hit_opened.emit(hit)
