"""Desktop window speed (issue #7): launch time, GUI-thread blocking while typing, scrolling.

Builds a library of N photos with ``train_library.build_library`` (captions, labels,
clustered random 512-d features), gives every photo a real small JPEG (so the grid
has thumbnails to make), and makes the library's active model ViT-B-32 with random
weights (real text-encoding cost, no download). Then, offscreen:

- startup: ``hashlens-gui``'s composition as a subprocess, timed by this process from
  spawn until the child says the window is shown and the library panel has painted
  its counts (Python start and PySide6 imports count); the child also says whether
  torch or open_clip were imported by then.
- keystrokes: a 5 ms QTimer heartbeat on the GUI thread records its gaps while a query
  is typed key by key into the search field (80-150 ms between keys, one 400 ms pause
  mid-query so a search runs while typing goes on) until its results are on show; the
  first query (model load) is reported apart from later ones; with exact search once
  per ``encoder.process`` mode (``separate``, the default: the model in a process of
  its own; ``inline``: in the window's process, the baseline), then after training a
  64-bit hasher (two-stage search, default mode). Each run also says whether torch was
  ever imported into the window's process, and its RSS after the last query.
- scrolling: ``HASHLENS_SEARCH_K`` raised to N so the grid holds every photo; the grid
  is scrolled top to bottom by half a viewport per 16 ms frame; paint time per frame,
  heartbeat gaps and the process RSS before and after, thumbnails held in memory.

- browsing (issue 17): the library opens on a grid of every photo by date; the scroll part
  also times re-listing all N photos (Esc) on the GUI thread.
- ``--filters``: the keystroke and scroll parts run with a folder filter and a date range
  set in the window's filter bar (both let every photo through, so the work is the same
  size: each query also selects the filtered ids and ranks among them).

Usage: ``QT_QPA_PLATFORM=offscreen PYTHONPATH=$PWD .venv/bin/python benchmarks/gui_speed.py``
(``-n 10000 --runs 5 --method cca-itq [--filters]``). Children are this file run with
``--child``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: find benchmarks/

ROOT = Path(__file__).resolve().parents[1]
QUERIES = (
    "a dog on the beach at sunset",
    "two children playing in the snow",
    "a red car parked in front of an old house",
    "mountains reflected in a calm lake",
    "birthday cake with candles",
    "a cat sleeping on a sofa",
)
MID_QUERY_PAUSE_AFTER_WORDS = 2
MID_QUERY_PAUSE_MS = 400
BLOCK_MS = 50.0
FILTER_ENV = "HASHLENS_BENCH_FILTER_FOLDER"
STARTUP_TARGET_S = 2.0
HEARTBEAT_MS = 5
FRAME_MS = 16
RESULT_TIMEOUT_S = 300.0


# --------------------------------------------------------------------------- parent side


def make_photos(folder: Path, n: int, seed: int = 1) -> list[Path]:
    """N distinct 256x192 JPEGs of random colour blocks (thumbnails come out 192x144)."""
    import numpy as np
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, (n, 3, 4, 3), dtype=np.uint8)
    paths = []
    for i in range(n):
        image = Image.fromarray(blocks[i]).resize((256, 192), Image.Resampling.NEAREST)
        path = folder / f"{i:05d}.jpg"
        image.save(path, "JPEG", quality=80)
        paths.append(path)
    return paths


def prepare_library(library: Path, photos: Path, n: int) -> Any:
    """The benchmark library, its photos moved onto real files, ViT-B-32 (random) active."""
    from benchmarks.train_library import build_library
    from core.config import EncoderConfig
    from core.store.database import Store
    from desktop_app.application.model_choice import encoder_config_key

    record = build_library(library, n, classes=50)
    files = make_photos(photos, n)
    key = encoder_config_key(EncoderConfig(model="ViT-B-32", pretrained="random"))
    with Store.open(library) as store:
        with store.atomic():
            old = store.media.folder_by_path("/bench/photos")
            assert old is not None
            new = store.media.add_folder(str(photos))
            for path, media in store.media.media_in_folder(old.id).items():
                index = int(Path(path).stem)
                target = files[index]
                store.media.move_media(media.id, new.id, str(target), target.stat().st_mtime_ns, "")
            store.media.remove_folder(old.id)
        # The GUI picks the library's active model and finds its features by this key.
        store.remember_encoder(key, record.model_id, record.dim)
    return record


def train_hasher(library: Path, record: Any, method: str) -> float:
    from core.library.training.trainer import Trainer, TrainOptions
    from core.store.database import Store

    with Store.open(library) as store:
        started = time.perf_counter()
        Trainer(store, record).train(TrainOptions(method, 64))
        return time.perf_counter() - started


def child_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        QT_QPA_PLATFORM="offscreen",
        HASHLENS_HOME=str(home),
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
        HF_HUB_OFFLINE="1",
    )
    env.update(extra or {})
    return env


def run_child(kind: str, library: Path, env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__).resolve()), "--child", kind, str(library)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            result: dict[str, Any] = json.loads(line[len("RESULT ") :])
            return result
    raise RuntimeError(f"child {kind} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def time_startup(library: Path, env: dict[str, str]) -> tuple[float, dict[str, Any]]:
    """Seconds from spawning the GUI process until it reports the window ready."""
    command = [sys.executable, str(Path(__file__).resolve()), "--child", "startup", str(library)]
    started = time.perf_counter()
    with subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        ready_s = None
        result: dict[str, Any] = {}
        for line in child.stdout:
            if line.startswith("READY") and ready_s is None:
                ready_s = time.perf_counter() - started
            elif line.startswith("RESULT "):
                result = json.loads(line[len("RESULT ") :])
        child.wait()
    if ready_s is None or child.returncode != 0:
        raise RuntimeError(f"startup child failed ({child.returncode})")
    return ready_s, result


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def report_startup(label: str, library: Path, env: dict[str, str], runs: int) -> None:
    times, details = [], []
    for _ in range(runs):
        seconds, detail = time_startup(library, env)
        times.append(seconds)
        details.append(detail)
    median = statistics.median(times)
    torch_loaded = any(d["torch_at_ready"] or d["open_clip_at_ready"] for d in details)
    torch_later = any(d["torch_after_settle"] for d in details)
    inner = {
        k: statistics.median(d[k] for d in details)
        for k in ("imports_s", "compose_s", "shown_s", "ready_s")
    }
    print(
        f"startup [{label}]: launch -> usable window, median of {runs}: {median:.2f} s "
        f"(runs {', '.join(f'{t:.2f}' for t in times)}) target < {STARTUP_TARGET_S:.0f} s "
        f"{verdict(median < STARTUP_TARGET_S)}"
    )
    print(
        "  inside the child (from its first line, medians): imports "
        f"{inner['imports_s']:.2f} s, compose {inner['compose_s']:.2f} s, shown "
        f"{inner['shown_s']:.2f} s, counts painted {inner['ready_s']:.2f} s; "
        f"counts shown: {details[0]['counts']!r}"
    )
    print(
        f"  torch/open_clip imported at ready: {torch_loaded}; after 2 s idle: {torch_later} "
        f"(deferred: {verdict(not torch_loaded and not torch_later)})"
    )


def report_keys(label: str, result: dict[str, Any]) -> None:
    print(
        f"keystrokes [{label}{', filters on' if result['filtered'] else ''}]: heartbeat gaps "
        "on the GUI thread while typing until results "
        f"(torch in the window's process afterwards: {result['torch_after']}; RSS "
        f"{result['rss_mb']:.0f} MiB)"
    )
    for i, q in enumerate(result["queries"]):
        tag = "first " if i == 0 else "later "
        print(
            f"  {tag}{q['query']!r:<46} max {q['max_ms']:6.1f} ms  p99 {q['p99_ms']:5.1f} ms  "
            f">50 ms: {q['over']:2d}  (typing max {q['typing_max_ms']:5.1f}; last key -> "
            f"results {q['latency_ms']:6.0f} ms; {q['hits']} hits; torch before "
            f"{q['torch_before']})"
        )
        for when, gap in q["long_gaps"][:4]:
            print(f"      gap {gap:6.1f} ms at +{when:6.0f} ms after the first key")
    first, later = result["queries"][0], result["queries"][1:]
    later_max = max(q["max_ms"] for q in later)
    print(
        f"  first search max gap {first['max_ms']:.1f} ms {verdict(first['max_ms'] <= BLOCK_MS)}; "
        f"later searches max gap {later_max:.1f} ms {verdict(later_max <= BLOCK_MS)} "
        f"(target <= {BLOCK_MS:.0f} ms)"
    )


def report_scroll(result: dict[str, Any]) -> None:
    land, browse = result["landing"], result["browsing"]
    print(
        f"browsing: every photo listed by date ({browse['rows']:,} in the grid): max gap "
        f"{browse['max_ms']:.1f} ms, >50 ms: {browse['over']} (asked -> grid shown "
        f"{browse['latency_ms']:.0f} ms) {verdict(browse['max_ms'] <= BLOCK_MS)}"
    )
    on = ", filters on" if result["filtered"] else ""
    print(
        f"scrolling{on}: {result['rows']:,} results in the grid ({result['columns']} columns, "
        f"{result['range_px']:,} px, {result['steps']} steps of {result['step_px']} px)"
    )
    print(
        f"  results landing: max gap {land['max_ms']:.1f} ms, >50 ms: {land['over']} "
        f"(search of k={result['rows']:,} submitted -> grid shown {land['latency_ms']:.0f} ms)"
    )
    print(
        f"  paint per frame: median {result['paint_median_ms']:.1f} ms, p99 "
        f"{result['paint_p99_ms']:.1f} ms, max {result['paint_max_ms']:.1f} ms; heartbeat max "
        f"{result['max_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, >50 ms: {result['over']} "
        f"{verdict(result['max_ms'] <= BLOCK_MS)}"
    )
    print(
        f"  RSS before {result['rss_before_mb']:.0f} MiB, after scrolling "
        f"{result['rss_after_mb']:.0f} MiB, after every thumbnail request finished "
        f"{result['rss_settled_mb']:.0f} MiB; thumbnails held {result['cached']} "
        f"(bound {result['capacity']}), made during the run {result['made']:,} "
        f"{verdict(result['cached'] <= result['capacity'])}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--method", default="cca-itq")
    parser.add_argument("--parts", default="startup,keys,scroll")
    parser.add_argument(
        "--modes", default="separate,inline", help="encoder.process modes timed for keystrokes"
    )
    parser.add_argument(
        "--filters", action="store_true", help="keystrokes and scrolling with filters on"
    )
    parser.add_argument("--child", nargs=2, metavar=("KIND", "LIBRARY"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        CHILDREN[args.child[0]](Path(args.child[1]))
        return
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, offscreen")
    with tempfile.TemporaryDirectory(prefix="hashlens-gui-bench-") as tmp:
        base = Path(tmp)
        library = base / "library.sqlite"
        started = time.perf_counter()
        record = prepare_library(library, base / "photos", args.n)
        seconds = time.perf_counter() - started
        print(f"library of {args.n:,} photos (real JPEGs) built in {seconds:.0f} s")
        filters = {FILTER_ENV: str(base / "photos")} if args.filters else {}
        env = child_env(base / "home", filters)
        parts = set(args.parts.split(","))
        if "startup" in parts:
            report_startup("exact search", library, env, args.runs)
        if "keys" in parts:
            for mode in args.modes.split(","):
                mode_env = child_env(base / "home", {"HASHLENS_ENCODER_PROCESS": mode, **filters})
                report_keys(f"exact search, model {mode}", run_child("keys", library, mode_env))
        seconds = train_hasher(library, record, args.method)
        print(f"trained {args.method} 64 bits in {seconds:.1f} s")
        if "startup" in parts:
            report_startup(f"{args.method} active", library, env, args.runs)
        if "keys" in parts:
            report_keys(f"{args.method} two-stage, default", run_child("keys", library, env))
        if "scroll" in parts:
            scroll_env = child_env(base / "home", {"HASHLENS_SEARCH_K": str(args.n), **filters})
            report_scroll(run_child("scroll", library, scroll_env))


# --------------------------------------------------------------------------- child side

T0 = time.perf_counter()  # the child's first line (interpreter start itself is timed outside)


def _since() -> float:
    return time.perf_counter() - T0


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def _open_window(library: Path) -> tuple[Any, Any]:
    """QApplication and the composition, exactly as ``desktop_app.__main__.run`` builds them."""
    from desktop_app.__main__ import _application
    from desktop_app.gui.app import compose
    from desktop_app.gui.appearance import apply_color_scheme

    app = _application("hashlens-gui")
    apply_color_scheme(app, "system")
    parts = compose(library)
    app.setWindowIcon(parts.window.windowIcon())
    parts.window.show()
    parts.window.reset_layout()
    return app, parts


def _apply_filters(parts: Any) -> bool:
    """With ``--filters``: filter by the photos' folder and a date range from 2000 (every
    photo passes, so timings compare with the unfiltered run). True if filters are on."""
    folder = os.environ.get(FILTER_ENV)
    if not folder:
        return False
    from PySide6.QtCore import QDate

    bar = parts.window.search_area.filter_bar
    _pump_until(lambda: bar.folder_combo.findData(folder) >= 0)
    bar.set_folder(folder)
    bar.after_edit.setDate(QDate(2000, 1, 1))
    assert not parts.controllers.search.photo_filter.is_empty
    return True


def _pump(ms: int) -> None:
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def _pump_until(condition: Callable[[], bool], timeout_s: float = RESULT_TIMEOUT_S) -> None:
    deadline = time.perf_counter() + timeout_s
    while not condition():
        if time.perf_counter() > deadline:
            raise TimeoutError("the window did not get there in time")
        _pump(2)


class Heartbeat:
    """A 5 ms precise timer on the GUI thread; a long gap between ticks is a blocked thread."""

    def __init__(self) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.ticks: list[float] = []
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(HEARTBEAT_MS)
        self._timer.timeout.connect(lambda: self.ticks.append(time.perf_counter()))

    def start(self) -> None:
        self.ticks = [time.perf_counter()]
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()
        self.ticks.append(time.perf_counter())

    def gaps_ms(self, since: float = 0.0, until: float = float("inf")) -> list[tuple[float, float]]:
        """``(end time, gap in ms)`` of every gap ending in [since, until]."""
        pairs = zip(self.ticks, self.ticks[1:], strict=False)
        return [(b, 1000 * (b - a)) for a, b in pairs if since <= b <= until]


def _summary(gaps: list[tuple[float, float]]) -> dict[str, Any]:
    values = sorted(g for _, g in gaps) or [0.0]
    p99 = values[min(len(values) - 1, int(0.99 * len(values)))]
    return {"max_ms": values[-1], "p99_ms": p99, "over": sum(v > BLOCK_MS for v in values)}


def child_startup(library: Path) -> None:
    from PySide6.QtCore import QEvent, QObject

    import desktop_app.__main__  # noqa: F401 - what the entry point imports

    imports_s = _since()
    app, parts = _open_window(library)
    compose_s = shown_s = _since()
    label = parts.window.library_panel.totals_label
    painted: list[str] = []

    class PaintWatch(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint and "photos" in label.text():
                painted.append(label.text())
            return False

    watch = PaintWatch()
    label.installEventFilter(watch)
    _pump_until(
        lambda: (
            bool(painted)
            and parts.window.current_page == "libraryPage"
            and parts.window.query_edit.isEnabled()
        ),
        60,
    )
    ready_s = _since()
    torch_at_ready = "torch" in sys.modules
    open_clip_at_ready = "open_clip" in sys.modules
    print("READY", flush=True)
    _pump(2000)  # anything that would load the model on its own would start by now
    parts.tasks.wait_for_done()
    result = {
        "imports_s": imports_s,
        "compose_s": compose_s,
        "shown_s": shown_s,
        "ready_s": ready_s,
        "counts": painted[0],
        "torch_at_ready": torch_at_ready,
        "open_clip_at_ready": open_clip_at_ready,
        "torch_after_settle": "torch" in sys.modules,
    }
    print("RESULT " + json.dumps(result), flush=True)
    parts.window.close()
    parts.shut_down()
    del app


def _type_query(edit: Any, text: str, rng: Any) -> float:
    """Type ``text`` key by key with human pauses; returns when the last key went in."""
    from PySide6.QtTest import QTest

    words = 0
    for char in text:
        QTest.keyClicks(edit, char)
        if char == " ":
            words += 1
        pause = MID_QUERY_PAUSE_MS if char == " " and words == MID_QUERY_PAUSE_AFTER_WORDS else 0
        _pump(pause or int(rng.uniform(80, 150)))
    return time.perf_counter()


def child_keys(library: Path) -> None:
    import random

    app, parts = _open_window(library)
    window, controllers = parts.window, parts.controllers
    _pump_until(lambda: window.current_page == "libraryPage" and controllers.model.is_ready)
    filtered = _apply_filters(parts)
    parts.tasks.wait_for_done(600_000)
    landed: list[tuple[float, str, int]] = []
    controllers.search.results_changed.connect(
        lambda o: landed.append((time.perf_counter(), o.query.text, len(o.photos)))
    )
    failures: list[str] = []
    controllers.search.search_failed.connect(lambda report: failures.append(str(report)))
    controllers.search.model_unavailable.connect(lambda report: failures.append(str(report)))
    rng = random.Random(0)
    heartbeat = Heartbeat()
    window.query_edit.setFocus()
    out = []
    for query in QUERIES:
        window.query_edit.clear()
        torch_before = "torch" in sys.modules
        _pump(300)
        heartbeat.start()
        first_key = time.perf_counter()
        last_key = _type_query(window.query_edit, query, rng)
        _pump_until(lambda q=query: bool(failures) or any(text == q for _, text, _ in landed))
        if failures:
            raise RuntimeError(failures[0])
        arrived, _, hits = landed[-1]
        _pump(300)  # the grid paints and asks for its thumbnails
        heartbeat.stop()
        gaps = heartbeat.gaps_ms()
        long_gaps = [(1000 * (t - first_key), g) for t, g in gaps if g > BLOCK_MS]
        out.append(
            {
                "query": query,
                **_summary(gaps),
                "typing_max_ms": _summary(heartbeat.gaps_ms(until=last_key))["max_ms"],
                "latency_ms": 1000 * (arrived - last_key),
                "hits": hits,
                "torch_before": torch_before,
                "long_gaps": sorted(long_gaps, key=lambda p: -p[1]),
            }
        )
    result = {
        "queries": out,
        "torch_after": "torch" in sys.modules,
        "rss_mb": _rss_mb(),
        "filtered": filtered,
    }
    print("RESULT " + json.dumps(result), flush=True)
    window.close()
    parts.shut_down()
    del app


def child_scroll(library: Path) -> None:
    import numpy as np

    from desktop_app.gui.thumbnails import DEFAULT_CAPACITY

    app, parts = _open_window(library)
    window, controllers = parts.window, parts.controllers
    _pump_until(lambda: window.current_page == "libraryPage" and controllers.model.is_ready)
    model = window.search_area.results_model
    _pump_until(lambda: model.rowCount() > 0)  # the grid of every photo it opens on
    parts.tasks.wait_for_done(600_000)
    _pump(300)
    browse_landed: list[float] = []
    controllers.search.results_changed.connect(
        lambda o: browse_landed.append(time.perf_counter()) if not o.query.text else None
    )
    heartbeat = Heartbeat()
    heartbeat.start()
    listed = time.perf_counter()
    controllers.search.browse()  # what Esc does: every photo again, newest first
    _pump_until(lambda: bool(browse_landed))
    _pump(500)
    heartbeat.stop()
    browsing = {
        **_summary(heartbeat.gaps_ms()),
        "latency_ms": 1000 * (browse_landed[0] - listed),
        "rows": model.rowCount(),
    }
    filtered = _apply_filters(parts)
    controllers.search.search_text_now("warm up the model")  # model load is not measured here
    _pump_until(lambda: window.current_view == "resultsPage")
    parts.tasks.wait_for_done(600_000)
    _pump(500)
    view = window.search_area.results_view
    thumbnails = model._thumbnails
    made = [0]
    thumbnails.thumbnail_ready.connect(lambda *_: made.__setitem__(0, made[0] + 1))

    landed: list[float] = []
    controllers.search.results_changed.connect(
        lambda o: (
            landed.append(time.perf_counter())
            if o.request_id == controllers.search.latest_request_id
            else None
        )
    )
    heartbeat.start()
    submitted = time.perf_counter()
    controllers.search.search_text_now(QUERIES[0])
    _pump_until(lambda: bool(landed))
    _pump(500)
    heartbeat.stop()
    landing = {**_summary(heartbeat.gaps_ms()), "latency_ms": 1000 * (landed[0] - submitted)}

    parts.tasks.wait_for_done(600_000)  # first screen of thumbnails
    _pump(300)
    rss_before = _rss_mb()
    bar = view.verticalScrollBar()
    step = max(1, view.viewport().height() // 2)
    columns = max(1, view.viewport().width() // view.sizeHintForIndex(model.index(0)).width())
    paints = []
    heartbeat.start()
    value = 0
    while True:
        bar.setValue(value)
        started = time.perf_counter()
        view.viewport().repaint()
        paints.append(1000 * (time.perf_counter() - started))
        _pump(FRAME_MS)
        if value >= bar.maximum():
            break
        value = min(bar.maximum(), value + step)
    heartbeat.stop()
    rss_after = _rss_mb()
    scroll = _summary(heartbeat.gaps_ms())
    parts.tasks.wait_for_done(600_000)
    _pump(1000)
    result = {
        "rows": model.rowCount(),
        "columns": columns,
        "range_px": bar.maximum(),
        "steps": len(paints),
        "step_px": step,
        "landing": landing,
        "browsing": browsing,
        "filtered": filtered,
        "paint_median_ms": float(np.median(paints)),
        "paint_p99_ms": float(np.percentile(paints, 99)),
        "paint_max_ms": max(paints),
        **scroll,
        "rss_before_mb": rss_before,
        "rss_after_mb": rss_after,
        "rss_settled_mb": _rss_mb(),
        "cached": thumbnails.cached_count,
        "capacity": DEFAULT_CAPACITY,
        "made": made[0],
    }
    print("RESULT " + json.dumps(result), flush=True)
    window.close()
    parts.shut_down()
    del app


CHILDREN: dict[str, Callable[[Path], None]] = {
    "startup": child_startup,
    "keys": child_keys,
    "scroll": child_scroll,
}

if __name__ == "__main__":
    main()
