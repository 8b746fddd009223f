"""Whole-window pages: first run (empty library), loading, and a library that cannot be used."""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.gui.views.labels import plain_label

CONTENT_WIDTH_PX = 560
ICON_SIZE = QSize(96, 96)
SUBTLE_FRAME_QSS = "QFrame#{name} {{ border: {style} palette(mid); border-radius: 10px; }}"


def centered_column(page: QWidget, *widgets: QWidget) -> None:
    """Stack ``widgets`` in a fixed-width column centred on ``page``.

    The column fills the page's height, so the vertical layout gives each wrapped
    label the height its text needs at the column's width.
    """
    column = QWidget()
    column.setFixedWidth(CONTENT_WIDTH_PX)
    stack = QVBoxLayout(column)
    stack.setContentsMargins(0, 0, 0, 0)
    stack.setSpacing(16)
    stack.addStretch(1)
    for widget in widgets:
        stack.addWidget(widget)
    stack.addStretch(2)
    outer = QHBoxLayout(page)
    outer.addStretch(1)
    outer.addWidget(column)
    outer.addStretch(1)


class EmptyPage(QWidget):
    """First run: a drop zone that invites a folder, and the model card when one is needed.

    Signals:
        add_folder_requested: the user pressed Add Folder.
    """

    add_folder_requested = Signal()

    def __init__(self, icon: QIcon, model_card: QWidget) -> None:
        super().__init__()
        self.setObjectName("emptyPage")
        zone = QFrame()
        zone.setObjectName("dropZone")
        zone.setStyleSheet(SUBTLE_FRAME_QSS.format(name="dropZone", style="2px dashed"))
        icon_label = QLabel()
        icon_label.setFixedSize(ICON_SIZE)
        icon_label.setPixmap(icon.pixmap(ICON_SIZE))
        title = plain_label("Your library is empty", scale=1.6, is_bold=True)
        body = plain_label(
            "Drag a folder of photos here, or choose one. HashLens reads the photos and "
            "their captions and keeps everything on this computer."
        )
        self.add_button = QPushButton("Add Folder…")
        self.add_button.setDefault(True)
        self.add_button.clicked.connect(self.add_folder_requested)
        inside = QVBoxLayout(zone)
        inside.setContentsMargins(40, 32, 40, 32)
        inside.setSpacing(14)
        inside.addWidget(icon_label, 0, Qt.AlignmentFlag.AlignHCenter)
        for label in (title, body):
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter)
            inside.addWidget(label)  # full width, so wrapped text gets the zone's width
        inside.addWidget(self.add_button, 0, Qt.AlignmentFlag.AlignHCenter)
        centered_column(self, zone, model_card)


class MessagePage(QWidget):
    """A title and a message: used while loading and when the library cannot be used."""

    def __init__(self, name: str, title: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self._title_label = plain_label(title, scale=1.4, is_bold=True)
        self._message_label = plain_label(is_selectable=True)
        self._hint_label = plain_label(is_subtle=True)
        centered_column(self, self._title_label, self._message_label, self._hint_label)
        self.set_message("")

    def set_title(self, title: str) -> None:
        self._title_label.setText(title)

    def set_message(self, message: str, hint: str = "") -> None:
        for label, text in ((self._message_label, message), (self._hint_label, hint)):
            label.setText(text)
            label.setVisible(bool(text))
