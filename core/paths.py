"""Where HashLens keeps its files (platformdirs defaults, overridable)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "HashLens"
LIBRARY_FILENAME = "library.hashlens.sqlite"


def home_dir() -> Path | None:
    """``HASHLENS_HOME`` puts all data, cache and config under one folder (tests, portable use)."""
    value = os.environ.get("HASHLENS_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    """Folder for the library file."""
    home = home_dir()
    return home / "data" if home else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def cache_dir() -> Path:
    """Folder for downloaded models and thumbnails."""
    home = home_dir()
    return home / "cache" if home else Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False))


def config_dir() -> Path:
    """Folder for ``config.toml``."""
    home = home_dir()
    default = platformdirs.user_config_dir(APP_NAME, appauthor=False)
    return home / "config" if home else Path(default)


def log_dir() -> Path:
    """Folder for log files."""
    home = home_dir()
    return home / "logs" if home else Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def model_cache_dir() -> Path:
    """Folder where downloaded open_clip weights are cached."""
    return cache_dir() / "open_clip"


def default_library_path() -> Path:
    """The library file: ``HASHLENS_LIBRARY`` if set, else the user data dir."""
    value = os.environ.get("HASHLENS_LIBRARY")
    return Path(value).expanduser() if value else data_dir() / LIBRARY_FILENAME
