"""Indexing throughput on real photos: raw CLIP encoder vs the whole ``Indexer.run`` pipeline.

ViT-B-32 with RANDOM weights (same compute as the trained model), CPU, in one process:

(a) raw: every photo decoded and preprocessed up front (untimed), then only
    ``encode_preprocessed`` is timed over the same batches -> images/s;
(b) pipeline: a fresh library, ``Indexer.run`` end to end (scan + hashing, decode pool,
    encode, SQLite writes, caption sidecars) -> images/s; the model is loaded once, before.

(a) and (b) alternate ``--repeats`` times; medians are reported, with the ratio b/a (target
>= 0.90), where the pipeline's time goes, and the CPU-bound ceiling of the ratio. Comma lists
sweep settings, e.g. ``--decode-workers 1,2 --threads 1,2 --batch-size 32,64``.

``--runtime onnx`` measures the ONNX Runtime encoder instead (issue 16; exported into the
cache on first use, ``--precision auto|fp32|int8``); its threads are fixed when the
sessions open, so ``--threads`` then takes one value.

Usage: ``.venv/bin/python benchmarks/index_throughput.py [--photos DIR] [-n 300] [--jpeg-only]
[--runtime torch|onnx] [--precision auto|fp32|int8]``
"""

from __future__ import annotations

import argparse
import itertools
import os
import resource
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import core.library.indexing.caption_stage as caption_stage
import core.library.indexing.image_stage as image_stage
import core.library.indexing.indexer as indexer_module
from benchmarks.photo_set import DEFAULT_ROOT, build_photo_set
from core.config import EncoderConfig, IndexingConfig
from core.encoders.clip_encoder import load_encoder
from core.encoders.encoder import LazyEncoder
from core.library.indexing.indexer import Indexer, IndexOptions
from core.media.image_io import open_image
from core.store.database import Store

PARTS: dict[str, float] = defaultdict(float)  # seconds per part of one pipeline run
_LOCK = threading.Lock()
_IN_IMAGES = threading.Event()


def _add(name: str, seconds: float) -> None:
    with _LOCK:
        PARTS[name] += seconds


def _timed(name: str, fn: Callable[..., Any], *, cpu: bool = False) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        wall, thread_cpu = time.perf_counter(), time.thread_time()
        try:
            return fn(*args, **kwargs)
        finally:
            _add(name, time.perf_counter() - wall)
            if cpu:
                _add(name + "_cpu", time.thread_time() - thread_cpu)

    return wrapper


class TimedStage(image_stage.ImageStage):
    def run(self, *args: Any, **kwargs: Any) -> Any:
        _IN_IMAGES.set()
        try:
            return _timed("image_stage", super().run)(*args, **kwargs)
        finally:
            _IN_IMAGES.clear()


class TimedIndexer(Indexer):
    def _scan(self, *args: Any) -> Any:
        return _timed("scan", super()._scan)(*args)


# Instrument the pipeline in this process only (module globals looked up at call time).
image_stage.decode_one = _timed("decode", image_stage.decode_one, cpu=True)
setattr(indexer_module, "ImageStage", TimedStage)  # noqa: B010
_captions = _timed("captions", caption_stage.encode_captions)
setattr(indexer_module, "encode_captions", _captions)  # noqa: B010


def _timed_atomic(store: Store) -> Callable[[], Any]:
    inner = store.atomic

    @contextmanager
    def atomic() -> Iterator[None]:
        started = time.perf_counter()
        with inner():
            yield
        if _IN_IMAGES.is_set():
            _add("write", time.perf_counter() - started)

    return atomic


def cpu_seconds() -> float:
    return sum(resource.getrusage(resource.RUSAGE_SELF)[:2])  # user + system


def raw_run(encode: Callable[..., Any], tensors: list[Any], batch: int) -> tuple[float, float]:
    """Images/s of ``encode_preprocessed`` alone, and the process's CPU use (cores)."""
    cpu, started = cpu_seconds(), time.perf_counter()
    for start in range(0, len(tensors), batch):
        encode(tensors[start : start + batch])
    wall = time.perf_counter() - started
    return len(tensors) / wall, (cpu_seconds() - cpu) / wall


def pipeline_run(encoder: Any, folder: Path, workers: int, batch: int) -> dict[str, float]:
    PARTS.clear()
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "lib.db") as store:
        store.atomic = _timed_atomic(store)  # type: ignore[method-assign]
        with store.atomic():
            store.media.add_folder(str(folder))
        lazy = LazyEncoder("bench", lambda: encoder)
        cfg = IndexingConfig(decode_workers=workers)
        cpu, started = cpu_seconds(), time.perf_counter()
        report = TimedIndexer(store, lazy, cfg, IndexOptions(batch_size=batch)).run()
        total = time.perf_counter() - started
    out = dict(PARTS, total=total, cores=(cpu_seconds() - cpu) / total)
    out.update(ips=report.encoded_images / total, texts=report.encoded_captions)
    out["stall"] = out["image_stage"] - out["encode"] - out["write"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, help=f"photo cache root ({DEFAULT_ROOT})")
    parser.add_argument("-n", type=int, default=300, help="number of photos")
    parser.add_argument("--jpeg-only", action="store_true", help="photo set without PNG/WebP/HEIC")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", default="2", help="torch threads (comma list)")
    parser.add_argument("--decode-workers", default="2", help="decode pool (comma list)")
    parser.add_argument("--batch-size", default="32", help="photos per batch (comma list)")
    parser.add_argument("--runtime", choices=("torch", "onnx"), default="torch")
    parser.add_argument("--precision", choices=("auto", "fp32", "int8"), default="auto")
    args = parser.parse_args()
    grid = [[int(v) for v in s.split(",")] for s in (args.threads, args.decode_workers)]
    grid.append([int(v) for v in args.batch_size.split(",")])
    root = args.photos or Path(f"{DEFAULT_ROOT}{'-jpeg' if args.jpeg_only else ''}")
    photos = build_photo_set(root, args.n, jpeg_only=args.jpeg_only)
    n, cores = len(photos.paths), len(os.sched_getaffinity(0))
    print(f"{n} photos in {photos.folder}; {cores} cores\n  sources: {photos.provenance}")
    started = time.perf_counter()
    cfg = EncoderConfig(model="ViT-B-32", pretrained="random", device="cpu", batch_size=512)
    encoder: Any
    if args.runtime == "onnx":
        from core.encoders.encoder_runtime import load_runtime_encoder

        threads = int(args.threads.split(",")[0])
        cfg = replace(cfg, runtime="onnx", precision=args.precision, num_threads=threads)
        encoder = load_runtime_encoder(cfg)
        print(f"ONNX Runtime, precision {encoder.precision}, {threads} threads")
    else:
        encoder = load_encoder(cfg)
    raw_encode = encoder.encode_preprocessed
    encoder.encode_preprocessed = _timed("encode", raw_encode)  # type: ignore[method-assign]
    print(f"ViT-B-32 random weights, load {time.perf_counter() - started:.1f} s (not timed below)")
    by_format: dict[str, list[float]] = defaultdict(list)
    tensors = []
    for path in photos.paths:
        t0 = time.perf_counter()
        decoded = open_image(path, max_pixels=IndexingConfig().max_image_pixels)
        tensors.append(encoder.preprocess(decoded.image))
        by_format[path.suffix].append(time.perf_counter() - t0)
    ms = {k: f"{1000 * statistics.mean(v):.0f} ms x{len(v)}" for k, v in by_format.items()}
    mean_ms = 1000 * statistics.mean(t for v in by_format.values() for t in v)
    print(f"decode+preprocess per photo, alone: mean {mean_ms:.1f} ms; {ms}")
    raw_encode(tensors[:8])  # warm-up, untimed
    encoder.encode_texts(["warm-up"])
    for threads, workers, batch in itertools.product(*grid):
        torch.set_num_threads(threads)
        raws, runs = [], []
        for _ in range(args.repeats):
            raws.append(raw_run(raw_encode, tensors, batch))
            runs.append(pipeline_run(encoder, photos.folder, workers, batch))
        raw = statistics.median(r[0] for r in raws)
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        paired = statistics.median(p["ips"] / r[0] for p, r in zip(runs, raws, strict=True))
        load = "/".join(f"{v:.1f}" for v in os.getloadavg())
        print(f"\n== torch threads {threads}, decode workers {workers}, batch {batch}")
        print(f"raw encoder {raw:6.2f} img/s, runs {[round(r[0], 2) for r in raws]}", end=" ")
        print(f"(process CPU {statistics.median(r[1] for r in raws):.2f} cores, load {load})")
        print(f"pipeline    {med['ips']:6.2f} img/s, runs {[round(r['ips'], 2) for r in runs]}")
        print(
            f"RATIO pipeline/raw {med['ips'] / raw:.3f} (paired median {paired:.3f}; target 0.90)"
        )
        print(
            f"split, median s: total {med['total']:.1f} = scan {med['scan']:.2f} + images "
            f"{med['image_stage']:.1f} [encode {med['encode']:.1f}, sqlite {med['write']:.2f}, "
            f"stalled waiting for decode {med['stall']:.2f}] + captions {med['captions']:.2f} "
            f"({med['texts']:.0f} texts)"
        )
        encode_raw = n / raw
        ceiling = encode_raw / (encode_raw + med["decode_cpu"] / cores + med["captions"])
        no_captions = n / (med["total"] - med["captions"]) / raw
        print(
            f"decode pool: {med['decode']:.1f} s wall, {med['decode_cpu']:.1f} s CPU, hidden "
            f"except the stall; process CPU {med['cores']:.2f} cores; in-pipeline encode "
            f"{n / med['encode']:.2f} img/s vs raw {raw:.2f}"
        )
        print(f"ratio without the caption stage {no_captions:.3f}", end="; ")
        if threads >= cores:
            print(f"CPU-bound ceiling raw/(raw + decode CPU/{cores} + captions) = {ceiling:.3f}")
        else:
            print(f"torch leaves {cores - threads} core(s) to the decoders: no shared ceiling")


if __name__ == "__main__":
    main()
