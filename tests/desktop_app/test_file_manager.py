"""Show in folder: the call made on each platform, and the fallback to opening the folder.

Nothing is launched: programs and the D-Bus session bus are replaced by recorders.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from PySide6.QtDBus import QDBusError, QDBusMessage, QDBusPendingCall
from pytestqt.qtbot import QtBot

from desktop_app.gui.file_manager import DBusCall, FileManager, ProgramCall, reveal_plan


def test_windows_selects_the_file_in_explorer() -> None:
    plan = reveal_plan("C:/Users/Ann/Pictures/IMG 1.jpg", "win32")
    assert plan == ProgramCall("explorer.exe", ("/select,", r"C:\Users\Ann\Pictures\IMG 1.jpg"))


def test_macos_reveals_the_file_in_finder() -> None:
    plan = reveal_plan("/Users/ann/Pictures/IMG 1.jpg", "darwin")
    assert plan == ProgramCall("open", ("-R", "/Users/ann/Pictures/IMG 1.jpg"))


@pytest.mark.parametrize("platform", ["linux", "freebsd14"])
def test_linux_and_bsd_ask_the_file_manager_on_the_session_bus(platform: str) -> None:
    plan = reveal_plan("/home/ann/Pictures/été #1.jpg", platform)
    assert plan == DBusCall(("file:///home/ann/Pictures/%C3%A9t%C3%A9%20%231.jpg",))
    assert (plan.service, plan.path, plan.interface, plan.method) == (
        "org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
        "org.freedesktop.FileManager1", "ShowItems",
    )  # fmt: skip


@dataclass
class Recorder:
    """Stands in for programs, the folder opener and the session bus."""

    is_program_found: bool = True
    is_bus_connected: bool = True
    bus_error: bool = False
    programs: list[tuple[str, list[str]]] = field(default_factory=list)
    opened: list[str] = field(default_factory=list)
    messages: list[QDBusMessage] = field(default_factory=list)

    def start(self, program: str, arguments: list[str]) -> bool:
        self.programs.append((program, arguments))
        return self.is_program_found

    def open_folder(self, folder: str) -> None:
        self.opened.append(folder)

    def bus(self) -> Recorder:
        return self

    def isConnected(self) -> bool:
        return self.is_bus_connected

    def asyncCall(self, message: QDBusMessage) -> QDBusPendingCall:
        self.messages.append(message)
        if self.bus_error:
            error = QDBusError(QDBusError.ErrorType.ServiceUnknown, "no file manager")
            return QDBusPendingCall.fromError(error)
        return QDBusPendingCall.fromCompletedCall(message.createReply())

    def manager(self, platform: str) -> FileManager:
        return FileManager(
            self.open_folder, platform=platform, start_program=self.start,
            session_bus=self.bus,  # type: ignore[arg-type]
        )  # fmt: skip


@pytest.mark.parametrize(
    ("platform", "path", "program", "folder"),
    [
        ("win32", r"C:\Pics\a.jpg", ["explorer.exe", "/select,", r"C:\Pics\a.jpg"], r"C:\Pics"),
        ("darwin", "/Users/ann/a.jpg", ["open", "-R", "/Users/ann/a.jpg"], "/Users/ann"),
    ],
)
def test_a_program_that_cannot_start_falls_back_to_opening_the_folder(
    platform: str, path: str, program: list[str], folder: str
) -> None:
    recorder = Recorder()
    recorder.manager(platform).reveal(path)
    assert recorder.programs == [(program[0], program[1:])]
    assert recorder.opened == []
    recorder.is_program_found = False
    recorder.manager(platform).reveal(path)
    assert recorder.opened == [folder]


def test_the_file_manager_on_the_bus_gets_the_file_uri(qtbot: QtBot) -> None:
    recorder = Recorder()
    manager = recorder.manager("linux")
    manager.reveal("/home/ann/Pictures/a b.jpg")
    [message] = recorder.messages
    assert (message.service(), message.path(), message.interface(), message.member()) == (
        "org.freedesktop.FileManager1", "/org/freedesktop/FileManager1",
        "org.freedesktop.FileManager1", "ShowItems",
    )  # fmt: skip
    assert message.arguments() == [["file:///home/ann/Pictures/a%20b.jpg"], ""]
    qtbot.waitUntil(lambda: not manager._watchers)
    assert recorder.opened == []
    assert recorder.programs == []


def test_no_file_manager_on_the_bus_opens_the_folder(qtbot: QtBot) -> None:
    recorder = Recorder(bus_error=True)
    manager = recorder.manager("linux")  # kept alive until the answer comes, as the window does
    manager.reveal("/home/ann/Pictures/a.jpg")
    qtbot.waitUntil(lambda: recorder.opened == ["/home/ann/Pictures"])
    assert not manager._watchers


def test_no_session_bus_opens_the_folder_at_once() -> None:
    recorder = Recorder(is_bus_connected=False)
    recorder.manager("linux").reveal("/home/ann/Pictures/a.jpg")
    assert recorder.opened == ["/home/ann/Pictures"]
    assert recorder.messages == []
