"""Plain-text labels and tooltips: paths and captions are never read as markup."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QFontDatabase, QPalette
from PySide6.QtWidgets import QLabel


def plain_label(
    text: str = "",
    *,
    scale: float = 1.0,
    is_bold: bool = False,
    is_subtle: bool = False,
    is_selectable: bool = False,
    is_monospace: bool = False,
) -> QLabel:
    """A plain-text, word-wrapping label that follows the system palette."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont) if is_monospace else None
    font = QFont(font or label.font())
    if scale != 1.0:
        font.setPointSizeF(font.pointSizeF() * scale)
    font.setBold(is_bold)
    label.setFont(font)
    if is_subtle:
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    if is_selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


def plain_tooltip(text: str) -> str:
    """A tooltip that shows ``text`` literally (Qt would guess rich text for ``<b>`` etc.)."""
    escaped = html.escape(text).replace("\n", "<br>")
    return f"<p style='white-space:pre-wrap'>{escaped}</p>"
