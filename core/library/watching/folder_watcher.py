"""One watchdog observer per library folder, kept alive through everything a folder can do.

A folder gets the system's file events, or polling when it lives on a network or
removable drive, when settings ask for polling, or when the system's limit on
watched folders is reached (the log says so, and how to raise the limit). A
folder that vanishes (an unplugged drive, an unmounted share, a deleted folder)
or cannot be read is reported and looked for again every poll interval; the other
folders are watched all along. Every method runs on the watch service's thread.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Literal

from watchdog.observers.api import BaseObserver

from core.config import WatchConfig
from core.library.watching.mounts import MountTable
from core.library.watching.observers import (
    WATCHED_EVENT_TYPES,
    ChangeHandler,
    ObserverFactory,
    ObserverKind,
    default_observer,
    reports_close,
    unwatched_folders,
)
from core.library.watching.relevance import PathFilter
from core.library.watching.settler import FileChange

logger = logging.getLogger(__name__)

WatchMode = Literal["events", "polling", "missing", "failed"]

LIMIT_SETTINGS = {
    errno.ENOSPC: "fs.inotify.max_user_watches",
    errno.EMFILE: "fs.inotify.max_user_instances",
}
"""The kernel setting to raise when inotify refuses another watch (ENOSPC) or instance (EMFILE)."""

MISSING_REASON = "the folder is not there (an unplugged drive or an unmounted share?)"
STOP_TIMEOUT_S = 5.0


@dataclass(frozen=True, slots=True)
class FolderWatchState:
    """How one folder is watched.

    Attributes:
        path: The library folder.
        mode: ``events`` (file events), ``polling``, ``missing`` (not there; looked for
            every poll interval) or ``failed`` (there but cannot be watched; retried).
        reason: Why it is polled, missing or failed, in words for a person ("" for events).
    """

    path: str
    mode: WatchMode
    reason: str = ""

    @property
    def is_watched(self) -> bool:
        """Whether changes in the folder are being picked up."""
        return self.mode in ("events", "polling")


@dataclass(slots=True)
class _Watch:
    state: FolderWatchState
    observer: BaseObserver | None = None
    identity: tuple[int, int] | None = None
    is_root_gone: bool = False  # set from the observer's thread; a plain flag


def _folder_identity(path: str) -> tuple[int, int]:
    """``(device, inode)`` of a readable folder.

    Raises:
        FileNotFoundError: It is not there (or is not a folder).
        PermissionError: It cannot be listed.
    """
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise FileNotFoundError(errno.ENOTDIR, "not a folder", path)
    if not os.access(path, os.R_OK | os.X_OK):
        raise PermissionError(errno.EACCES, "Permission denied", path)
    return st.st_dev, st.st_ino


class FolderWatcher:
    """Watches a set of folders; reports each relevant change to ``on_change``.

    Args:
        on_change: Called on observer threads with each relevant change.
        config: Mode and poll interval.
        ignored: HashLens's own files and folders (the library, the cache).
        observers: Builds observers (tests inject failing ones).
        mounts: Says which folders need polling.
        on_trouble: Called on an observer's thread when a watched folder itself was
            deleted or moved, so that ``check`` runs soon.
    """

    def __init__(
        self,
        on_change: Callable[[FileChange], None],
        config: WatchConfig,
        *,
        ignored: Iterable[str] = (),
        observers: ObserverFactory = default_observer,
        mounts: MountTable | None = None,
        on_trouble: Callable[[], None] | None = None,
    ) -> None:
        self._on_change = on_change
        self._on_trouble = on_trouble
        self._config = config
        self._ignored = tuple(ignored)
        self._observers = observers
        self._mounts = mounts or MountTable()
        self._watches: dict[str, _Watch] = {}
        self._limit_reason: str | None = None

    def states(self) -> tuple[FolderWatchState, ...]:
        """How each folder is watched, in the order they were added."""
        return tuple(w.state for w in self._watches.values())

    def set_folders(self, paths: Iterable[str]) -> list[str]:
        """Watch exactly ``paths``; returns the folders newly added."""
        wanted = list(dict.fromkeys(paths))
        for path in [p for p in self._watches if p not in wanted]:
            self._close(self._watches.pop(path))
            logger.info("Stopped watching %s", path)
        added = [p for p in wanted if p not in self._watches]
        for path in added:
            self._watches[path] = self._open(path, was_mode=None)
        return added

    def check(self) -> list[str]:
        """Repair what broke; returns folders watched again after a gap (changes may be missed)."""
        resumed: list[str] = []
        for path, watch in list(self._watches.items()):
            if watch.state.is_watched and self._is_healthy(path, watch):
                continue
            self._close(watch)
            fresh = self._open(path, was_mode=watch.state.mode)
            self._watches[path] = fresh
            if fresh.state.is_watched:
                resumed.append(path)
        return resumed

    def mark_root_gone(self, path: str) -> None:
        """The observer saw the folder itself deleted or moved (called on its thread)."""
        watch = self._watches.get(path)
        if watch is not None:
            watch.is_root_gone = True
        if self._on_trouble is not None:
            self._on_trouble()

    def stop(self) -> None:
        """Stop every observer."""
        for watch in self._watches.values():
            self._close(watch)
        self._watches.clear()

    def _is_healthy(self, path: str, watch: _Watch) -> bool:
        observer = watch.observer
        if watch.is_root_gone or observer is None or not observer.is_alive():
            return False
        if not all(emitter.is_alive() for emitter in observer.emitters):
            return False
        try:
            return _folder_identity(path) == watch.identity
        except OSError:
            return False

    def _open(self, path: str, *, was_mode: WatchMode | None) -> _Watch:
        try:
            identity = _folder_identity(path)
        except FileNotFoundError:
            return self._unwatched(path, "missing", MISSING_REASON, was_mode)
        except OSError as exc:
            why = f"it cannot be read ({exc.strerror or exc})"
            return self._unwatched(path, "failed", why, was_mode)
        try:
            observer, state = self._observe(path)
        except OSError as exc:
            why = f"it cannot be watched ({exc.strerror or exc})"
            return self._unwatched(path, "failed", why, was_mode)
        if was_mode in ("events", "polling"):
            logger.info("Restarted watching %s", path)
        elif was_mode is not None:
            logger.info("Watching %s again", path)
        elif state.mode == "polling":
            logger.info("Watching %s by polling every %g s: %s", path, self._poll_s, state.reason)
        return _Watch(state, observer, identity)

    def _observe(self, path: str) -> tuple[BaseObserver, FolderWatchState]:
        """Start the observer ``path`` needs; polling once the system's limit is reached."""
        reason = self._polling_reason(path)
        if reason is None:
            try:
                return self._start_events(path), FolderWatchState(path, "events")
            except OSError as exc:
                if exc.errno not in LIMIT_SETTINGS:
                    raise
                reason = self._note_limit(path, exc)
        return self._start_observer(path, "polling"), FolderWatchState(path, "polling", reason)

    def _start_events(self, path: str) -> BaseObserver:
        """A file-event observer that covers every folder below ``path``.

        Raises:
            OSError: ENOSPC when the system's limit left some folders unwatched.
        """
        observer = self._start_observer(path, "events")
        missed = unwatched_folders(observer, path)
        if missed:
            _shut(observer)
            raise OSError(
                errno.ENOSPC, f"{len(missed)} of its folders could not be watched, e.g. {missed[0]}"
            )
        return observer

    @property
    def _poll_s(self) -> float:
        return self._config.poll_interval_s

    def _unwatched(
        self, path: str, mode: WatchMode, reason: str, was_mode: WatchMode | None
    ) -> _Watch:
        if was_mode != mode:  # say it once, not at every retry
            logger.warning(
                "Not watching %s: %s. Looking again every %g s.", path, reason, self._poll_s
            )
        return _Watch(FolderWatchState(path, mode, reason))

    def _polling_reason(self, path: str) -> str | None:
        if self._config.mode == "polling":
            return "the settings ask for polling"
        return self._limit_reason or self._mounts.polling_reason(path)

    def _note_limit(self, path: str, exc: OSError) -> str:
        setting = LIMIT_SETTINGS.get(exc.errno or 0, "fs.inotify.max_user_watches")
        logger.warning(
            "The system's limit on watched folders was reached (%s) while watching %s: "
            "polling it every %g s instead, and every folder after it. To get file events "
            "again, raise the limit, e.g. `sudo sysctl %s=524288` (add it to /etc/sysctl.conf "
            "to keep it), then restart HashLens.",
            exc.strerror or exc, path, self._poll_s, setting,
        )  # fmt: skip
        self._limit_reason = f"the system's limit on watched folders was reached ({setting})"
        return self._limit_reason

    def _start_observer(self, path: str, kind: ObserverKind) -> BaseObserver:
        observer = self._observers(kind, self._poll_s)
        handler = ChangeHandler(
            path,
            PathFilter(path, self._ignored),
            self._on_change,
            lambda: self.mark_root_gone(path),
            is_close_reported=reports_close(kind),
        )
        observer.schedule(handler, path, recursive=True, event_filter=WATCHED_EVENT_TYPES)
        try:
            observer.start()
        except BaseException:
            _shut(observer)
            raise
        return observer

    def _close(self, watch: _Watch) -> None:
        if watch.observer is not None:
            _shut(watch.observer)
            watch.observer = None


def _shut(observer: BaseObserver) -> None:
    observer.stop()
    with contextlib.suppress(RuntimeError):  # never started
        observer.join(STOP_TIMEOUT_S)
