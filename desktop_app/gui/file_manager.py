"""Show a photo selected in the system's file manager ("Show in folder").

Each platform has its own way to open a folder with one file selected: Windows
Explorer takes ``/select,``, macOS Finder takes ``open -R``, and Linux desktops
implement ``org.freedesktop.FileManager1.ShowItems`` on the session D-Bus (GNOME
Files, Dolphin, Nemo, Caja, Thunar...). Where that fails (no file manager on the
bus, the program missing), the folder is opened without a selection.

``reveal_plan`` decides what to call (pure, so tests check every platform's call
without launching anything); ``FileManager`` makes the call.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from PySide6.QtCore import QObject, QProcess, Slot
from PySide6.QtDBus import QDBusConnection, QDBusMessage, QDBusPendingCallWatcher

FILE_MANAGER_SERVICE = "org.freedesktop.FileManager1"
FILE_MANAGER_PATH = "/org/freedesktop/FileManager1"


@dataclass(frozen=True, slots=True)
class ProgramCall:
    """Start ``program`` with ``arguments`` (detached)."""

    program: str
    arguments: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DBusCall:
    """Call ``FileManager1.ShowItems(uris, startup_id)`` on the session bus."""

    uris: tuple[str, ...]
    startup_id: str = ""
    service: str = FILE_MANAGER_SERVICE
    path: str = FILE_MANAGER_PATH
    interface: str = FILE_MANAGER_SERVICE
    method: str = "ShowItems"


RevealPlan = ProgramCall | DBusCall


def parent_folder(path: str, platform: str = sys.platform) -> str:
    """The folder holding ``path`` (what is opened when selecting fails)."""
    pure = PureWindowsPath(path) if platform == "win32" else PurePosixPath(path)
    return str(pure.parent)


def reveal_plan(path: str, platform: str = sys.platform) -> RevealPlan:
    """How to show the file at ``path`` (absolute) selected in ``platform``'s file manager."""
    if platform == "win32":
        return ProgramCall("explorer.exe", ("/select,", str(PureWindowsPath(path))))
    if platform == "darwin":
        return ProgramCall("open", ("-R", path))
    return DBusCall((PurePosixPath(path).as_uri(),))


def start_detached(program: str, arguments: list[str]) -> bool:
    """Start a program without waiting for it; whether it started."""
    started, _pid = QProcess.startDetached(program, arguments)
    return bool(started)


class FileManager(QObject):
    """Shows files in the platform's file manager; every dependency can be replaced in tests.

    Args:
        open_folder: Opens a folder without a selection (the fallback).
        platform: ``sys.platform`` of the system to show files on.
        start_program: Starts a program detached; returns whether it started.
        session_bus: The D-Bus session bus (a fake in tests).
        parent: The QObject that keeps this one alive.
    """

    def __init__(
        self,
        open_folder: Callable[[str], None],
        *,
        platform: str = sys.platform,
        start_program: Callable[[str, list[str]], bool] = start_detached,
        session_bus: Callable[[], QDBusConnection] = QDBusConnection.sessionBus,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._open_folder = open_folder
        self._platform = platform
        self._start_program = start_program
        self._session_bus = session_bus
        self._watchers: set[QDBusPendingCallWatcher] = set()

    @Slot(str)
    def reveal(self, path: str) -> None:
        """Show ``path`` selected in its folder, or at least open the folder."""
        plan = reveal_plan(path, self._platform)
        folder = parent_folder(path, self._platform)
        if isinstance(plan, ProgramCall):
            if not self._start_program(plan.program, list(plan.arguments)):
                self._open_folder(folder)
            return
        self._call(plan, lambda: self._open_folder(folder))

    def _call(self, plan: DBusCall, fall_back: Callable[[], None]) -> None:
        bus = self._session_bus()
        if not bus.isConnected():
            fall_back()
            return
        message = QDBusMessage.createMethodCall(
            plan.service, plan.path, plan.interface, plan.method
        )
        message.setArguments([list(plan.uris), plan.startup_id])
        watcher = QDBusPendingCallWatcher(bus.asyncCall(message), self)
        self._watchers.add(watcher)

        def on_finished(done: QDBusPendingCallWatcher) -> None:
            self._watchers.discard(done)
            if done.isError():  # no file manager implements it, or it refused
                fall_back()
            done.deleteLater()

        watcher.finished.connect(on_finished)
