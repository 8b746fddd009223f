"""Window state and UI preferences, kept in QSettings (an INI file beside config.toml)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, QSettings
from PySide6.QtWidgets import QMainWindow, QSplitter

from core import paths

SETTINGS_FILENAME = "window.ini"


def default_settings() -> QSettings:
    """The settings file in the config folder (``HASHLENS_HOME`` moves it, for tests)."""
    return QSettings(str(paths.config_dir() / SETTINGS_FILENAME), QSettings.Format.IniFormat)


class Preferences:
    """Saves and restores the window's geometry, toolbar state and splitter."""

    def __init__(self, settings: QSettings) -> None:
        self._settings = settings

    @property
    def file(self) -> Path:
        """Where the preferences are stored."""
        return Path(self._settings.fileName())

    def restore(self, window: QMainWindow, splitter: QSplitter) -> None:
        for key, restore in (
            ("window/geometry", window.restoreGeometry),
            ("window/state", window.restoreState),
            ("window/splitter", splitter.restoreState),
        ):
            value = self._settings.value(key)
            if isinstance(value, QByteArray):
                restore(value)

    def save(self, window: QMainWindow, splitter: QSplitter) -> None:
        self._settings.setValue("window/geometry", window.saveGeometry())
        self._settings.setValue("window/state", window.saveState())
        self._settings.setValue("window/splitter", splitter.saveState())
        self._settings.sync()
