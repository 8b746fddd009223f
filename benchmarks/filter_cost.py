"""What a filter adds to one query at 10,000 photos (issue 17), measured in one process.

Builds a library with ``train_library.build_library`` (clustered random 512-d features,
captions, labels; every photo in one folder, no EXIF dates so the file time counts),
then times, interleaved and repeated, the same ranking of a random query vector:

- ``none``: no filter (what every query did before filters existed);
- ``folder+dates``: a folder filter and a date range that every photo passes (the
  library's file times are 1970) (the work
  is the largest it can be: 10,000 ids selected, both indexes narrowed to all of them);
- ``tag``: one label carried by a fiftieth of the photos;

in exact mode and, after training cca-itq 64 bits, in two-stage mode. It runs on a worker
thread in the window, so this is time off the GUI thread; medians of ``--repeat`` runs.

Usage: ``PYTHONPATH=$PWD .venv/bin/python benchmarks/filter_cost.py [-n 10000]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.train_library import build_library  # noqa: E402
from core.config import EncoderConfig, IndexingConfig, SearchConfig  # noqa: E402
from core.library.training.trainer import Trainer, TrainOptions  # noqa: E402
from core.search.engine import SearchEngine  # noqa: E402
from core.search.filters import PhotoFilter, matching_photos  # noqa: E402
from core.store.database import Store  # noqa: E402
from desktop_app.application.model_choice import encoder_config_key, lazy_encoder  # noqa: E402


def _time(run: object, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()  # type: ignore[operator]
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hashlens-filter-cost-") as tmp:
        library = Path(tmp) / "library.sqlite"
        record = build_library(library, args.n, classes=50)
        cfg = EncoderConfig(model="ViT-B-32", pretrained="random")
        encoder = lazy_encoder(cfg)
        with Store.open(library) as store:
            store.remember_encoder(encoder_config_key(cfg), record.model_id, record.dim)
            folder = store.media.folders()[0].path
            label = store.db.execute(
                "SELECT l.name FROM labels l JOIN media_labels ml ON ml.label_id = l.id "
                "GROUP BY l.id ORDER BY COUNT(*) DESC LIMIT 1"
            ).fetchone()[0]
            filters = {
                "none": None,
                "folder+dates": PhotoFilter(after=date(1970, 1, 1), folder=folder),
                "tag": PhotoFilter(tags=(str(label),)),
            }
            query = np.random.default_rng(1).standard_normal(record.dim).astype(np.float32)
            query /= np.linalg.norm(query)
            for mode in ("exact", "rerank"):
                if mode == "rerank":
                    Trainer(store, record).train(TrainOptions("cca-itq", 64))
                engine = SearchEngine(store, encoder, IndexingConfig(), SearchConfig(mode=mode))
                engine.snapshot()
                results: dict[str, list[float]] = {name: [] for name in filters}
                for _ in range(3):  # interleaved rounds
                    for name, chosen in filters.items():

                        def run(
                            chosen: PhotoFilter | None = chosen, engine: SearchEngine = engine
                        ) -> None:
                            allowed = None if chosen is None else matching_photos(store, chosen)
                            engine.photos_like(query, 20, "text", allowed=allowed)

                        results[name].append(_time(run, args.repeat))
                base = statistics.median(results["none"])
                for name, values in results.items():
                    median = statistics.median(values)
                    passing = (
                        args.n
                        if filters[name] is None
                        else len(matching_photos(store, filters[name]))
                    )
                    print(
                        f"{mode:6s} {name:13s} {passing:6,} photos pass  {median:7.1f} ms "
                        f"per query (x{median / base:.2f} of no filter)"
                    )


if __name__ == "__main__":
    main()
