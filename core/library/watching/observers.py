"""watchdog glue: observers for one folder, and its events turned into ``FileChange``s.

Only the event types that can change the library are asked for, so reading a
photo (as the indexer does) raises no event at all: no open or close-without-write
events reach us, which would otherwise make every index run trigger the next.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from typing import Literal

from watchdog.events import (
    DirCreatedEvent,
    DirDeletedEvent,
    DirMovedEvent,
    FileAttribEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver
from watchdog.observers.polling import PollingObserver

from core.library.watching.relevance import PathFilter
from core.library.watching.settler import ChangeKind, FileChange

logger = logging.getLogger(__name__)

ObserverKind = Literal["events", "polling"]
"""``events``: the system's file events (inotify, FSEvents, ReadDirectoryChangesW);
``polling``: list the folder every poll interval and compare."""

ObserverFactory = Callable[[ObserverKind, float], BaseObserver]
"""Builds an unstarted observer of a kind; the float is the poll interval in seconds."""

WATCHED_EVENT_TYPES: list[type[FileSystemEvent]] = [
    FileCreatedEvent, FileModifiedEvent, FileClosedEvent, FileAttribEvent, FileDeletedEvent,
    FileMovedEvent, DirCreatedEvent, DirDeletedEvent, DirMovedEvent,
]  # fmt: skip

_FILE_KINDS: dict[type[FileSystemEvent], ChangeKind] = {
    FileCreatedEvent: "appeared",
    FileModifiedEvent: "written",
    FileClosedEvent: "closed",
    FileAttribEvent: "touched",
    FileDeletedEvent: "gone",
}


def default_observer(kind: ObserverKind, poll_interval_s: float) -> BaseObserver:
    """The platform's native observer, or a polling one."""
    if kind == "polling":
        return PollingObserver(timeout=poll_interval_s)
    return Observer()


def unwatched_folders(observer: BaseObserver, root: str) -> list[str] | None:
    """Readable folders below ``root`` that a started inotify observer does not watch.

    watchdog adds one inotify watch per folder and silently skips a sub-folder the
    kernel refuses, which is what reaching ``fs.inotify.max_user_watches`` half-way
    through a tree looks like. Returns None when the observer does not say what it
    watches (other platforms, other watchdog versions): then nothing can be told.
    """
    watched: set[str] = set()
    for emitter in observer.emitters:
        by_path = getattr(getattr(emitter, "_inotify", None), "_active_callbacks_by_path", None)
        if not isinstance(by_path, dict):
            return None
        watched.update(os.fsdecode(p) for p in by_path)
    missed: list[str] = []
    for top, names, _files in os.walk(root):  # as watchdog walks: symlinks not followed
        for name in names:
            folder = os.path.join(top, name)
            if folder in watched or os.path.islink(folder):
                continue
            if os.path.isdir(folder) and os.access(folder, os.R_OK | os.X_OK):
                missed.append(folder)
    return missed


def reports_close(kind: ObserverKind) -> bool:
    """Whether observers of ``kind`` tell when a writer closes a file (inotify does)."""
    return kind == "events" and sys.platform.startswith("linux")


class ChangeHandler(FileSystemEventHandler):
    """Runs on the observer's thread: filters events and hands on ``FileChange``s.

    Args:
        root: The watched folder.
        path_filter: Which paths matter.
        on_change: Receives each relevant change (must be quick and thread-safe).
        on_root_gone: Called when the watched folder itself was deleted or moved away.
        is_close_reported: The observer reports closes after writing (see ``reports_close``).
    """

    def __init__(
        self,
        root: str,
        path_filter: PathFilter,
        on_change: Callable[[FileChange], None],
        on_root_gone: Callable[[], None],
        *,
        is_close_reported: bool,
    ) -> None:
        super().__init__()
        self._root = root
        self._filter = path_filter
        self._on_change = on_change
        self._on_root_gone = on_root_gone
        self._is_close_reported = is_close_reported

    def on_any_event(self, event: FileSystemEvent) -> None:
        """Translate one watchdog event; an error here is logged, never kills the observer."""
        try:
            self._translate(event)
        except Exception:  # the observer thread must survive whatever one event does
            logger.exception("Could not handle the file event %r", event)

    def _translate(self, event: FileSystemEvent) -> None:
        src = os.fsdecode(event.src_path)
        if isinstance(event, DirDeletedEvent | DirMovedEvent) and src == self._root:
            self._on_root_gone()
            return
        if isinstance(event, DirMovedEvent | FileMovedEvent):
            dest = os.fsdecode(event.dest_path)
            is_dir = event.is_directory
            self._emit(src, "folder" if is_dir else "gone", is_directory=is_dir)
            self._emit(dest, "folder" if is_dir else "renamed", is_directory=is_dir)
            return
        if event.is_directory:
            self._emit(src, "folder", is_directory=True)
            return
        kind = _FILE_KINDS.get(type(event))
        if kind is not None:
            self._emit(src, kind, is_directory=False)

    def _emit(self, path: str, kind: ChangeKind, *, is_directory: bool) -> None:
        if self._filter.is_relevant(path, is_directory=is_directory):
            self._on_change(FileChange(path, kind, reports_close=self._is_close_reported))
