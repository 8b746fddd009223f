"""Menus from tables: one line per entry, so the window lists what it offers in one place."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenuBar, QWidget

Shortcut = QKeySequence | QKeySequence.StandardKey | str
MenuEntry = tuple[str, Callable[[], object], Sequence[Shortcut]]
"""Label, slot, shortcuts; ``None`` in a menu's list is a separator."""


def add_menu(
    bar: QMenuBar, owner: QWidget, title: str, entries: Sequence[MenuEntry | None]
) -> list[QAction]:
    """Add a menu of ``entries`` to ``bar``; returns its actions (separators left out)."""
    menu = bar.addMenu(title)
    actions: list[QAction] = []
    for entry in entries:
        if entry is None:
            menu.addSeparator()
            continue
        text, slot, shortcuts = entry
        action = QAction(text, owner)
        action.setShortcuts([QKeySequence(s) for s in shortcuts])
        action.triggered.connect(slot)
        menu.addAction(action)
        actions.append(action)
    return actions
