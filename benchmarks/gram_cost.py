"""What the float64 Gram costs: ``gram`` against the float32 block products it replaced.

Issue 14, session 7: every Gram matrix is now accumulated from float64 blocks (the float32
products had made a kernel Gram indefinite beyond the ridge). This times both on the same
float32 matrix of kernel-feature size in one process (median of 3 after a warm-up) and
prints their ratio.

Usage:
    .venv/bin/python benchmarks/gram_cost.py --rows 100000 --anchors 2000
"""

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from core.hashing.models.ridge import gram
from hashlens_bench.timing import median_seconds


def float32_blocks(features: np.ndarray, chunk: int = 2048) -> np.ndarray:
    """The Gram as computed before: float32 products of row blocks, summed in float64."""
    out = np.zeros((features.shape[1], features.shape[1]))
    for start in range(0, features.shape[0], chunk):
        block = features[start : start + chunk]
        out += block.T @ block
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--anchors", type=int, default=2000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    features = rng.standard_normal((args.rows, args.anchors), dtype=np.float32)
    before = median_seconds(lambda: float32_blocks(features), args.repeats)
    after = median_seconds(lambda: gram(features), args.repeats)
    print(f"{args.rows} rows × {args.anchors} anchors, median of {args.repeats}:")
    print(f"  float32 blocks (before) {before:.2f} s")
    print(f"  float64 blocks (gram)   {after:.2f} s")
    print(f"  ratio {after / before:.2f}×, {after - before:.2f} s more per Gram matrix")


if __name__ == "__main__":
    main()
