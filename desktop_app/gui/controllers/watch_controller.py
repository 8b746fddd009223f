"""Folder watching for the window: the core watch service, reported through Qt signals.

The service runs on its own thread (watchdog's threads only record changes; the
service's thread looks at file sizes, never the GUI thread). When changes have
settled it emits a signal; on the GUI thread a short single-shot timer merges
requests that arrive together and asks for one incremental index run, which the
indexing controller queues behind any run in progress (docs/design/DESIGN.md, Threading).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, QTimer, Signal, Slot

from core.config import WatchConfig
from core.library.watching.service import WatchOptions, WatchService, WatchStatus

INDEX_DEBOUNCE_MS = 300


class WatchController(QObject):
    """Watches the library's folders while the window is open.

    Signals:
        status_changed: a ``WatchStatus`` whenever folders, modes or pending counts change.
        index_wanted: changed files have settled: bring the library up to date.
    """

    status_changed = Signal(object)
    index_wanted = Signal()
    _status_reported = Signal(object)  # emitted on the service's thread: delivered queued
    _run_requested = Signal()

    def __init__(
        self,
        config: WatchConfig,
        ignored: tuple[str, ...],
        *,
        debounce_ms: int = INDEX_DEBOUNCE_MS,
    ) -> None:
        super().__init__()
        self._config = config
        self._folders: tuple[str, ...] | None = None
        self._is_started = False
        self._is_stopped = False
        self._status_reported.connect(self.status_changed)
        self._run_requested.connect(self._on_run_requested)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(debounce_ms)
        self._timer.timeout.connect(self.index_wanted)
        options = WatchOptions(ignored=ignored, on_status=self._status_reported.emit)
        self._service = WatchService(self._run_requested.emit, config, options)

    @property
    def is_enabled(self) -> bool:
        """Whether the settings allow watching (``watch.mode`` is not ``off``)."""
        return self._config.mode != "off"

    @property
    def poll_interval_s(self) -> float:
        """How often polled and missing folders are looked at."""
        return self._config.poll_interval_s

    @property
    def status(self) -> WatchStatus:
        """The latest status (thread-safe read)."""
        return self._service.status()

    @Slot(object)
    def watch_folders(self, paths: Sequence[str]) -> None:
        """Watch exactly these folders (the watching starts with the first call)."""
        folders = tuple(paths)
        if not self.is_enabled or self._is_stopped or folders == self._folders:
            return
        self._folders = folders
        self._service.set_folders(folders)
        if not self._is_started:
            self._is_started = True
            self._service.start()

    def unsettled_paths(self) -> frozenset[str]:
        """Files still being written (called from an index task's thread)."""
        return self._service.unsettled_paths()

    def wait_until_applied(self, timeout_s: float) -> bool:
        """Block until the folders last given are watched (screenshots and tests)."""
        return not self._is_started or self._service.wait_until_applied(timeout_s)

    def stop(self) -> None:
        """Stop watching (on quit)."""
        self._is_stopped = True
        self._timer.stop()
        if self._is_started:
            self._service.stop()

    @Slot()
    def _on_run_requested(self) -> None:
        self._timer.start()
