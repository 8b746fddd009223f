"""Folder watching end to end: changes in, one incremental index run at a time out.

Observer threads only record changes (under a lock) and wake the service. The
service's own thread does the rest: it looks at file sizes once a burst is over,
keeps folders watched, and calls ``run_index`` when changes have settled. Changes
that arrive while a run is going collect into the next run, so a run is never
started twice at once and a burst during a run costs one follow-up run.

``hashlens watch`` runs the service on its main thread with ``run_index`` doing
the indexing; the GUI runs it on a background thread with ``run_index`` asking
the window to queue an index task (``desktop_app.gui.controllers.watch_controller``).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from core.config import WatchConfig
from core.errors import CoreError
from core.library.watching.folder_watcher import FolderWatcher, FolderWatchState
from core.library.watching.mounts import MountTable
from core.library.watching.observers import ObserverFactory, default_observer
from core.library.watching.settler import ChangeSettler, FileChange, SettleTiming

logger = logging.getLogger(__name__)

MIN_TICK_S = 0.02
MAX_BUSY_TICK_S = 0.5


@dataclass(frozen=True, slots=True)
class WatchStatus:
    """What watching is doing, for an indicator.

    Attributes:
        folders: How each library folder is watched.
        pending: Changed paths waiting to be indexed.
        is_indexing: A run asked for by watching is going (only where ``run_index`` blocks).
    """

    folders: tuple[FolderWatchState, ...] = ()
    pending: int = 0
    is_indexing: bool = False

    @property
    def watched(self) -> int:
        """How many folders are being watched."""
        return sum(f.is_watched for f in self.folders)


@dataclass(frozen=True, slots=True)
class WatchOptions:
    """Where the service gets its folders and what it tells about them.

    Attributes:
        ignored: HashLens's own files and folders (library, cache): never changes.
        folders: Reads the library's folders; called every poll interval on the service's
            thread (``hashlens watch``). Without it, ``set_folders`` says what to watch.
        should_index_new_folders: A folder that appears in ``folders`` after the start gets
            an index run (another process registered it).
        on_status: Receives each new ``WatchStatus`` (on the service's thread).
    """

    ignored: tuple[str, ...] = ()
    folders: Callable[[], Sequence[str]] | None = None
    should_index_new_folders: bool = False
    on_status: Callable[[WatchStatus], None] | None = None


class WatchService:
    """Watches folders and asks for index runs; see the module docstring.

    Args:
        run_index: Brings the library up to date (blocking or not); errors are logged
            and the run is retried after a poll interval.
        config: Mode and intervals.
        options: Folder source, ignored paths and status callback.
        observers: Builds watchdog observers (tests inject failing ones).
        mounts: Says which folders need polling.
        clock: Monotonic seconds.
    """

    def __init__(
        self,
        run_index: Callable[[], object],
        config: WatchConfig,
        options: WatchOptions | None = None,
        *,
        observers: ObserverFactory = default_observer,
        mounts: MountTable | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._run_index = run_index
        self._config = config
        self._options = options or WatchOptions()
        self._clock = clock
        timing = SettleTiming(config.quiet_s, config.settle_s, config.max_delay_s)
        self._settler = ChangeSettler(timing)
        self._watcher = FolderWatcher(
            self._on_change, config, ignored=self._options.ignored,
            observers=observers, mounts=mounts, on_trouble=self._check_soon,
        )  # fmt: skip
        self._lock = threading.Lock()
        self._applied = threading.Condition(self._lock)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._wanted: list[str] = []
        self._wanted_version = 0
        self._applied_version = -1
        self._has_started = False
        self._next_check_s = 0.0
        self._retry_at_s: float | None = None
        self._status = WatchStatus()
        self._is_indexing = False

    # any thread --------------------------------------------------------------
    def set_folders(self, paths: Iterable[str]) -> None:
        """Watch exactly these folders (applied on the service's thread)."""
        with self._lock:
            self._wanted = list(paths)
            self._wanted_version += 1
        self._wake.set()

    def unsettled_paths(self) -> frozenset[str]:
        """Files still being written: an index run must leave them for later."""
        with self._lock:
            return self._settler.unsettled()

    def status(self) -> WatchStatus:
        """The latest status, with the pending count as of now (even during a run)."""
        with self._lock:
            return dataclasses.replace(self._status, pending=self._settler.pending)

    def wait_until_applied(self, timeout_s: float) -> bool:
        """Block until the last ``set_folders`` (or the first read of ``folders``) took effect."""
        with self._applied:
            return self._applied.wait_for(
                lambda: self._applied_version >= self._wanted_version, timeout_s
            )

    def start(self) -> None:
        """Serve on a background thread."""
        self._thread = threading.Thread(target=self.serve, name="hashlens-watch", daemon=True)
        self._thread.start()

    def request_stop(self) -> None:
        """Ask ``serve`` to return (safe from a signal handler)."""
        self._stopping.set()
        self._wake.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop serving and every observer; waits for the background thread."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    # the service's thread ------------------------------------------------------
    def serve(self) -> None:
        """Watch until ``request_stop``; observers are stopped on the way out."""
        try:
            while not self._stopping.is_set():
                try:
                    self._step()
                    pause_s = self._sleep_s()
                except Exception:  # watching goes on: a later step may well succeed
                    logger.exception("Folder watching hit an unexpected error")
                    pause_s = self._config.poll_interval_s
                self._wake.wait(pause_s)
                self._wake.clear()
        finally:
            self._watcher.stop()

    def _on_change(self, change: FileChange) -> None:  # on observer threads
        with self._lock:
            was_idle = self._settler.pending == 0
            self._settler.add(change, self._clock())
        if was_idle:
            self._wake.set()

    def _check_soon(self) -> None:  # on observer threads
        self._next_check_s = 0.0
        self._wake.set()

    def _step(self) -> None:
        now = self._clock()
        with self._lock:
            is_folder_change = self._applied_version != self._wanted_version
        applied = None
        if is_folder_change or now >= self._next_check_s:
            applied = self._look_after_folders(now)
        with self._lock:
            check = self._settler.check(now)
            if check.is_due:
                self._settler.take_settled(now)
        is_retry = self._retry_at_s is not None and now >= self._retry_at_s
        self._publish()
        if applied is not None:  # after publishing: a waiter sees the status that goes with it
            with self._applied:
                self._applied_version = max(self._applied_version, applied)
                self._applied.notify_all()
        if check.is_due or is_retry:
            self._run()

    def _look_after_folders(self, now: float) -> int:
        """Watch the folders wanted, repair broken watches; returns the version applied."""
        self._next_check_s = now + self._config.poll_interval_s
        with self._lock:
            wanted, version = list(self._wanted), self._wanted_version
        source = self._options.folders
        if source is not None:
            try:
                wanted = list(source())
            except CoreError as exc:
                logger.warning("Could not read the library's folders: %s", exc.user_message)
                wanted = [s.path for s in self._watcher.states()]
        added = self._watcher.set_folders(wanted)
        resumed = self._watcher.check()
        if self._has_started and self._options.should_index_new_folders:
            resumed += added
        self._has_started = True
        with self._lock:
            for path in resumed:  # changes there may have gone unseen: rescan
                self._settler.add(FileChange(path, "folder"), now)
        return version

    def _run(self) -> None:
        self._is_indexing = True
        self._publish()
        try:
            self._run_index()
            self._retry_at_s = None
        except CoreError as exc:
            self._retry_later(exc.user_message)
        except Exception as exc:  # a failed run must not end watching
            logger.exception("Indexing after a change failed")
            self._retry_later(str(exc))
        finally:
            self._is_indexing = False
            self._publish()

    def _retry_later(self, why: str) -> None:
        delay_s = self._config.poll_interval_s
        logger.warning("Indexing after a change failed (%s); trying again in %g s", why, delay_s)
        self._retry_at_s = self._clock() + delay_s

    def _publish(self) -> None:
        with self._lock:
            status = WatchStatus(self._watcher.states(), self._settler.pending, self._is_indexing)
            if status == self._status:
                return
            self._status = status
        if self._options.on_status is not None:
            self._options.on_status(status)

    def _sleep_s(self) -> float:
        now = self._clock()
        until_check = max(self._next_check_s - now, MIN_TICK_S)
        with self._lock:
            is_busy = self._settler.pending > 0
        if is_busy or self._retry_at_s is not None:
            tick = min(self._config.quiet_s, self._config.settle_s) / 2
            return max(min(tick, MAX_BUSY_TICK_S, until_check), MIN_TICK_S)
        return until_check


def own_paths(library_path: Path, *folders: Path) -> tuple[str, ...]:
    """HashLens's own files and folders, which watching ignores."""
    return (str(library_path), *(str(f) for f in folders))
