"""Hamming top-k of the app's CodeIndex against faiss IndexBinaryFlat, in one process.

(a) 1,000,000 random 64-bit codes (and 128/256-bit), 50 queries drawn from the database,
    top-100: median wall time per query of ``CodeIndex.search`` and of faiss
    ``IndexBinaryFlat.search`` (faiss uses every core through OpenMP; CodeIndex one
    thread), their ratio, and a check that both return the same distances.
    Target: ratio ≤ 1.5 at 64 bits.
(b) 10,000,000 64-bit codes: median time per query (the "stays interactive" figure).
(c) Loading the code index of 1,000,000 items from a library file: the SQL read of
    the codes table plus the uint64 re-layout, median of 5 (target < 1 s).

Usage: ``.venv/bin/python benchmarks/hamming_search.py [--skip-10m]``
Needs faiss-cpu (``pip install -e .[bench]``).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from core.search.code_index import CodeIndex
from core.store.database import Store

K = 100


def median_ms(call: Callable[[int], object], queries: int) -> float:
    times = []
    for i in range(queries):
        started = time.perf_counter()
        call(i)
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def compare_with_faiss(n: int, n_bits: int, queries: int = 50) -> None:
    import faiss

    rng = np.random.default_rng(n_bits)
    codes = rng.integers(0, 256, (n, n_bits // 8), dtype=np.uint8)
    index = CodeIndex.build(np.arange(n), codes, n_bits)
    flat = faiss.IndexBinaryFlat(n_bits)
    flat.add(codes)
    picks = rng.choice(n, queries, replace=False)
    for i in range(3):  # warm both
        index.search(codes[picks[i]], K)
        flat.search(codes[picks[i] : picks[i] + 1], K)
    ours = median_ms(lambda i: index.search(codes[picks[i]], K), queries)
    theirs = median_ms(lambda i: flat.search(codes[picks[i] : picks[i] + 1], K), queries)
    for q in picks[:5]:
        _, d_ours = index.search(codes[q], K)
        d_faiss, _ = flat.search(codes[q : q + 1], K)
        assert np.array_equal(np.sort(d_faiss[0]), d_ours.astype(np.int64)), "results differ"
    print(
        f"{n:>10,} codes {n_bits:>3} bits: CodeIndex {ours:6.3f} ms, faiss {theirs:6.3f} ms, "
        f"ratio {ours / theirs:4.2f} (faiss threads: {faiss.omp_get_max_threads()})"
    )


def ten_million(queries: int = 20) -> None:
    rng = np.random.default_rng(7)
    n = 10_000_000
    codes = rng.integers(0, 256, (n, 8), dtype=np.uint8)
    index = CodeIndex.build(np.arange(n), codes, 64)
    del codes
    picks = rng.integers(0, n, queries)
    query = [index.words[:, p].view(np.uint8).copy() for p in picks]
    ms = median_ms(lambda i: index.search(query[i], K), queries)
    print(f"10,000,000 codes  64 bits: CodeIndex {ms:6.2f} ms per query (top-{K})")


def load_from_library(n: int = 1_000_000) -> None:
    rng = np.random.default_rng(3)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "library.sqlite"
        with Store.open(path) as store:
            encoder = store.vectors.encoder("bench:encoder", 512)
            with store.atomic():
                record = store.codes.add_hasher("lsh", encoder.id, 64, b"", "{}")
                ids = np.arange(1, n + 1)
                store.codes.put_codes(
                    record.id, "image", ids.tolist(), rng.integers(0, 256, (n, 8), dtype=np.uint8)
                )
        times = []
        for _ in range(5):
            with Store.open(path) as store:
                started = time.perf_counter()
                item_ids, codes = store.codes.codes(record.id, "image", 8)
                CodeIndex.build(item_ids, codes, 64)
                times.append(time.perf_counter() - started)
        size = path.stat().st_size / 1e6
        print(
            f"load {n:,} codes from the library: {statistics.median(times):.3f} s"
            f" (file {size:.0f} MB)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-10m", action="store_true")
    args = parser.parse_args()
    for n_bits in (64, 128, 256):
        compare_with_faiss(1_000_000, n_bits)
    if not args.skip_10m:
        ten_million()
    load_from_library()


if __name__ == "__main__":
    main()
