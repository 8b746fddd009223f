"""Light and dark: the window follows the system palette; ``--color-scheme`` forces one."""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ColorScheme = Literal["system", "light", "dark"]

_DARK = {
    QPalette.ColorRole.Window: "#2b2b2e",
    QPalette.ColorRole.WindowText: "#e8e8ea",
    QPalette.ColorRole.Base: "#1f1f22",
    QPalette.ColorRole.AlternateBase: "#343438",
    QPalette.ColorRole.ToolTipBase: "#3a3a3e",
    QPalette.ColorRole.ToolTipText: "#e8e8ea",
    QPalette.ColorRole.PlaceholderText: "#9a9aa0",
    QPalette.ColorRole.Text: "#e8e8ea",
    QPalette.ColorRole.Button: "#38383c",
    QPalette.ColorRole.ButtonText: "#e8e8ea",
    QPalette.ColorRole.BrightText: "#ff6b6b",
    QPalette.ColorRole.Light: "#4a4a4f",
    QPalette.ColorRole.Midlight: "#404045",
    QPalette.ColorRole.Mid: "#55555b",
    QPalette.ColorRole.Dark: "#18181a",
    QPalette.ColorRole.Shadow: "#000000",
    QPalette.ColorRole.Highlight: "#3d7bd9",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#7aa7ff",
}


def is_dark(palette: QPalette) -> bool:
    """Whether a palette draws light text on a dark window."""
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def apply_color_scheme(app: QApplication, scheme: ColorScheme) -> None:
    """Ask the platform for ``scheme``; where it cannot switch (offscreen, some desktops),
    set a dark or light palette directly. ``system`` leaves the platform's choice alone."""
    if scheme == "system":
        return
    hints = app.styleHints()
    hints.setColorScheme(Qt.ColorScheme.Dark if scheme == "dark" else Qt.ColorScheme.Light)
    if is_dark(app.palette()) == (scheme == "dark"):
        return
    if scheme == "light":
        app.setPalette(app.style().standardPalette())
        return
    palette = QPalette()
    for role, color in _DARK.items():
        palette.setColor(role, QColor(color))
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
        QPalette.ColorRole.WindowText,
    ):
        palette.setColor(QPalette.ColorGroup.Disabled, role, QColor("#7a7a80"))
    app.setPalette(palette)
