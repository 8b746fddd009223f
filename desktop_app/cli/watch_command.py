"""``watch``: keep the library up to date while folders change, until Ctrl-C.

Everything runs on the main thread: the watch service waits for changes, and each
index run (one at a time) holds the library's writer lock only while it runs, so
``hashlens index`` or the window can still update the library in between.
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType

from core import paths
from core.config import AppConfig
from core.encoders.encoder import LazyEncoder
from core.library.indexing.indexer import Indexer, IndexOptions
from core.library.watching.folder_watcher import FolderWatchState
from core.library.watching.service import WatchOptions, WatchService, WatchStatus, own_paths
from core.progress import CancelToken
from core.store.database import Store
from core.store.lock import WriterLock
from desktop_app.application.model_choice import lazy_encoder
from desktop_app.application.terminal_text import for_terminal, one_line
from desktop_app.application.watch_text import WATCHING_OFF, describe_state, status_line
from desktop_app.cli.index_command import print_report
from desktop_app.cli.runtime import effective_encoder_config


class WatchRunner:
    """One index run at a time on the main thread's Store; Ctrl-C cancels the run in progress."""

    def __init__(
        self, store: Store, encoder: LazyEncoder, config: AppConfig, batch_size: int
    ) -> None:
        self._store = store
        self._encoder = encoder
        self._config = config
        self._batch_size = batch_size
        self._cancel = CancelToken()
        self.service: WatchService | None = None

    def run(self) -> None:
        """Bring the library up to date and print what changed."""
        if self._cancel.is_cancelled:
            return
        unsettled = self.service.unsettled_paths if self.service is not None else frozenset
        options = IndexOptions(batch_size=self._batch_size, unsettled=unsettled)
        with WriterLock(self._store.path):
            indexer = Indexer(self._store, self._encoder, self._config.indexing, options)
            report = indexer.run(cancel=self._cancel)
        print(f"[{time.strftime('%H:%M:%S')}] ", end="")
        print_report(report)

    def cancel(self) -> None:
        """Stop the run in progress at its next batch, and start no other."""
        self._cancel.cancel()


class StatusPrinter:
    """Prints how folders are watched whenever that changes (not every pending count)."""

    def __init__(self, poll_interval_s: float) -> None:
        self._poll_interval_s = poll_interval_s
        self._last: tuple[FolderWatchState, ...] | None = None

    def __call__(self, status: WatchStatus) -> None:
        """Print the folders' states if they changed."""
        if status.folders == self._last:
            return
        self._last = status.folders
        print(f"{status_line(WatchStatus(status.folders))}:")
        for state in status.folders:
            described = one_line(describe_state(state, self._poll_interval_s))
            print(f"  {for_terminal(state.path)}: {described}")


@contextmanager
def stop_on_interrupt(service: WatchService, runner: WatchRunner) -> Iterator[None]:
    """The first Ctrl-C stops watching cleanly (the run in progress stops at its next batch);
    a second one interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signals reach the main thread only (tests call the command from others)
        return

    def on_interrupt(signum: int, frame: FrameType | None) -> None:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        print("\nStopping… (Ctrl-C again to stop at once)")
        runner.cancel()
        service.request_stop()

    previous = signal.signal(signal.SIGINT, on_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def cmd_watch(store: Store, config: AppConfig, args: argparse.Namespace) -> int:
    """Index what changed since the last run, then every change as it settles."""
    if not store.media.folders():
        print("The library has no folders yet. Add one: hashlens add ~/Pictures")
        return 1
    if config.watch.mode == "off":
        print(WATCHING_OFF)
        return 1
    encoder_cfg = effective_encoder_config(config, store, args, for_indexing=True)
    runner = WatchRunner(store, lazy_encoder(encoder_cfg), config, encoder_cfg.batch_size)
    service = WatchService(
        runner.run,
        config.watch,
        WatchOptions(
            ignored=own_paths(store.path, paths.cache_dir()),
            folders=lambda: [f.path for f in store.media.folders()],
            should_index_new_folders=True,
            on_status=StatusPrinter(config.watch.poll_interval_s),
        ),
    )
    runner.service = service
    with stop_on_interrupt(service, runner):
        print("Catching up with changes made since the last index…")
        runner.run()
        print("Watching for changes (Ctrl-C to stop).")
        service.serve()
    print("Stopped watching.")
    return 0
