"""Cost of ``hashlens train`` inside a library: load features, fit, write every code.

Builds a library of N photos, each with one caption and one of C labels (hashtag
origin), whose 512-d float16 features are clustered random vectors (a stand-in for
CLIP vectors: this measures the app's data path, not retrieval quality). Then times
``Trainer.train`` for each method at 64 bits, and reports the load-and-fit time,
the codes written, and the time of the first two-stage query after training
(snapshot load included) and of later queries.

Usage: ``.venv/bin/python benchmarks/train_library.py [-n 20000] [--methods lsh,cca-itq,...]``
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from core.config import IndexingConfig, SearchConfig
from core.encoders.encoder import LazyEncoder
from core.library.training.trainer import Trainer, TrainOptions
from core.search.engine import SearchEngine
from core.store.database import Store
from core.store.records import EncoderRecord


def build_library(path: Path, n: int, classes: int, seed: int = 0) -> EncoderRecord:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((classes, 512)).astype(np.float32)
    label = rng.integers(0, classes, n)
    noise = rng.standard_normal((n, 512)).astype(np.float32)
    image = centres[label] + 1.5 * noise
    text = centres[label] + 1.5 * rng.standard_normal((n, 512)).astype(np.float32)
    image /= np.linalg.norm(image, axis=1, keepdims=True)
    text /= np.linalg.norm(text, axis=1, keepdims=True)
    with Store.open(path) as store:
        encoder = store.remember_encoder("bench-config", "bench:clustered-512", 512)
        with store.atomic():
            folder = store.media.add_folder("/bench/photos")
            media_ids, caption_ids = [], []
            for i in range(n):
                mid = store.media.insert_media(
                    folder.id, f"/bench/photos/{i}.jpg", 1, 1, str(i), ""
                )
                store.media.mark_ready(mid, 640, 480, None)
                store.media.replace_captions(
                    mid, [(f"caption {i} #c{label[i]}", "sidecar")], ["sidecar"]
                )
                store.labels.set_labels(mid, [f"c{label[i]}"], "hashtag")
                media_ids.append(mid)
                caption_ids.append(store.media.captions_of(mid)[0][0])
            store.vectors.put_image_features(encoder.id, media_ids, image)
            store.vectors.put_caption_features(encoder.id, caption_ids, text)
    return encoder


def main() -> None:
    parser = argparse.ArgumentParser(description="train cost inside a library")
    parser.add_argument("-n", type=int, default=20_000)
    parser.add_argument("--classes", type=int, default=50)
    parser.add_argument("--methods", default="lsh,itq,cca-itq,cmfh,batch")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "library.sqlite"
        started = time.perf_counter()
        encoder = build_library(path, args.n, args.classes)
        print(
            f"library of {args.n:,} photos + captions built in "
            f"{time.perf_counter() - started:.1f} s"
        )
        for method in args.methods.split(","):
            with Store.open(path) as store:
                started = time.perf_counter()
                report = Trainer(store, encoder).train(TrainOptions(method, 64))
                total = time.perf_counter() - started
                lazy = LazyEncoder("bench-config", lambda: None)  # type: ignore[arg-type,return-value]
                engine = SearchEngine(store, lazy, IndexingConfig(), SearchConfig())
                query = np.random.default_rng(1).standard_normal(512).astype(np.float32)
                query /= np.linalg.norm(query)
                started = time.perf_counter()
                engine.photos_like(query, 20)
                first = time.perf_counter() - started
                later = []
                for _ in range(20):
                    started = time.perf_counter()
                    engine.photos_like(query, 20)
                    later.append(time.perf_counter() - started)
            print(
                f"{method:<8} train {total:6.2f} s (fit {report.fit_seconds:5.2f} s, "
                f"{report.codes.images + report.codes.texts:,} codes); first query "
                f"{1000 * first:6.0f} ms, later {1000 * statistics.median(later):5.1f} ms"
            )


if __name__ == "__main__":
    main()
