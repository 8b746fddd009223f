"""HPsEH fit time and peak memory against the number of training pairs (linear cost).

Each size runs in its own subprocess, so peak figures do not carry over: synthetic
multi-label pairs (24 classes, 512-d image and text features in float32, generated in
chunks), 64 bits, default HPsEH settings unless ``--features`` says otherwise. Reports
the fit time, the peak memory allocated *during* the fit (tracemalloc, which sees every
NumPy buffer) beside the size of the input features, and the growth ratios between
consecutive sizes: linear cost means time ×10 for n ×10, or less where fixed costs
(the k×k solves) still weigh.

Usage:
    .venv/bin/python benchmarks/hpseh_scaling.py --sizes 10000,100000,1000000
    .venv/bin/python benchmarks/hpseh_scaling.py --features raw
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import tracemalloc

import numpy as np

DIM = 512
CLASSES = 24
CHUNK = 100_000


def synthetic(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((CLASSES, DIM)).astype(np.float32)
    gap = rng.standard_normal(DIM).astype(np.float32)
    labels = (rng.random((n, CLASSES)) < 0.08).astype(np.uint8)
    labels[np.arange(n), rng.integers(0, CLASSES, n)] = 1
    image = np.empty((n, DIM), np.float32)
    text = np.empty((n, DIM), np.float32)
    for start in range(0, n, CHUNK):
        block = labels[start : start + CHUNK].astype(np.float32)
        signal = block @ centres / block.sum(axis=1, keepdims=True)
        noise = rng.standard_normal((2, len(block), DIM), dtype=np.float32)
        image[start : start + CHUNK] = signal + noise[0]
        text[start : start + CHUNK] = signal + gap + noise[1]
    return image, text, labels


def one_size(n: int, features: str, bits: int) -> dict[str, float]:
    from core.hashing import PairedFeatures, create_hasher

    image, text, labels = synthetic(n)
    data = PairedFeatures(image, text, labels)
    hasher = create_hasher("hpseh", bits, features=features)
    tracemalloc.start()
    start = time.perf_counter()
    hasher.fit(data)
    seconds = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "n": n,
        "seconds": seconds,
        "peak_gib": peak / 2**30,
        "input_gib": (image.nbytes + text.nbytes) / 2**30,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--features", default="kernel", choices=["kernel", "raw"])
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_size(args.one, args.features, args.bits)))
        return
    print(f"HPsEH, {args.bits} bits, {args.features} features, 512-d, {CLASSES} classes")
    print("| n | fit s | time ratio to previous n | peak GiB during fit | input GiB |")
    print("|---:|---:|---:|---:|---:|")
    previous: dict[str, float] | None = None
    for n in (int(s) for s in args.sizes.split(",")):
        command = [sys.executable, __file__, "--one", str(n), "--features", args.features]
        command += ["--bits", str(args.bits)]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"| {n:,} | failed: {done.stderr.strip().splitlines()[-1:]} | | | |")
            break
        row = json.loads(done.stdout)
        ratio = (
            f"{row['seconds'] / previous['seconds']:.1f}× for {n / previous['n']:.0f}× n"
            if previous
            else "–"
        )
        print(
            f"| {n:,} | {row['seconds']:.1f} | {ratio} | {row['peak_gib']:.2f} "
            f"| {row['input_gib']:.2f} |",
            flush=True,
        )
        previous = row


if __name__ == "__main__":
    main()
