"""The longest GUI-thread gap while N hits land in the results grid (issue 17).

Listing every photo of the library puts 10,000 cells into the grid at once. This times,
in one process and interleaved, the grid laid out in one pass (``SinglePass``, Qt's
default) against the batched layout the window uses (``LAYOUT_BATCH`` cells per event-loop
turn): a 5 ms precise timer on the GUI thread records its longest gap from the moment the
hits are set until a second later. Medians of ``--repeat`` landings per mode, per round.

Usage: ``QT_QPA_PLATFORM=offscreen PYTHONPATH=$PWD .venv/bin/python benchmarks/grid_landing.py``
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from PySide6.QtCore import Qt, QTimer
    from PySide6.QtWidgets import QApplication, QListView

    from core.types import SearchHit
    from desktop_app.gui.tasks import TaskRunner
    from desktop_app.gui.thumbnails import ThumbnailLoader
    from desktop_app.gui.views.results_list_model import ResultsListModel
    from desktop_app.gui.views.results_view import LAYOUT_BATCH, ResultsView

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    cache = Path(tempfile.mkdtemp(prefix="hashlens-grid-"))
    loader = ThumbnailLoader(TaskRunner(), cache, 10**8)
    hits = [
        SearchHit("photo", i, f"/nowhere/{i:05d}.jpg", f"caption {i}", 0.5) for i in range(args.n)
    ]

    def landing_gap(mode: QListView.LayoutMode) -> float:
        model = ResultsListModel(loader)
        view = ResultsView()
        view.setModel(model)
        view.setLayoutMode(mode)
        view.resize(800, 600)
        view.show()
        app.processEvents()
        gaps = []
        for _ in range(args.repeat):
            ticks = [time.perf_counter()]
            timer = QTimer()
            timer.setTimerType(Qt.TimerType.PreciseTimer)
            timer.setInterval(5)
            timer.timeout.connect(lambda ticks=ticks: ticks.append(time.perf_counter()))
            timer.start()
            model.set_hits([])
            QTimer.singleShot(20, lambda: model.set_hits(hits))
            end = time.perf_counter() + 1.0
            while time.perf_counter() < end:
                app.processEvents()
            timer.stop()
            gaps.append(max(1000 * (b - a) for a, b in itertools.pairwise(ticks)))
        view.close()
        return statistics.median(gaps)

    print(f"{args.n:,} hits, batch {LAYOUT_BATCH}, medians of {args.repeat} landings")
    for round_ in range(args.rounds):
        single = landing_gap(QListView.LayoutMode.SinglePass)
        batched = landing_gap(QListView.LayoutMode.Batched)
        print(
            f"round {round_ + 1}: longest GUI-thread gap, one pass {single:.1f} ms, "
            f"batched {batched:.1f} ms (x{single / batched:.1f})"
        )


if __name__ == "__main__":
    main()
