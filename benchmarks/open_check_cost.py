"""What the CLI's integrity check on open costs: ``Store.open(verify=True)`` against the plain open.

Libraries of N photos with 512-d float16 image features (1 KB each, the real schema and
page size; rows written straight into the tables, no images or model) are opened seven
times each way, alternating, with the file in the page cache (the usual case for a
command run after another); medians and their ratio are printed. The verify open adds
SQLite's ``PRAGMA quick_check``, which reads every page.

Usage: ``nice .venv/bin/python benchmarks/open_check_cost.py [--sizes 10000,50000,200000]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from core.store.database import Store

REPEATS = 7


def build(path: Path, n: int) -> None:
    """A library with ``n`` photos, each with one 512-d float16 image vector."""
    rng = np.random.default_rng(0)
    with Store.open(path) as store:
        with store.atomic():
            store.db.execute("INSERT INTO folders(path, added_at) VALUES ('/p', '2026')")
            store.db.execute("INSERT INTO encoders(model_id, dim) VALUES ('bench', 512)")
            store.db.conn.executemany(
                "INSERT INTO media(id, folder_id, path, size, mtime_ns, content_hash, status,"
                " added_at, updated_at) VALUES (?, 1, ?, 1, 1, ?, 'ready', '2026', '2026')",
                ((i, f"/p/{i:07d}.jpg", f"{i:064x}") for i in range(1, n + 1)),
            )
            store.db.conn.executemany(
                "INSERT INTO image_features(media_id, encoder_id, vector) VALUES (?, 1, ?)",
                ((i, rng.standard_normal(512).astype("<f2").tobytes()) for i in range(1, n + 1)),
            )
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def time_open(path: Path, *, verify: bool) -> float:
    started = time.perf_counter()
    with Store.open(path, mode="read", verify=verify) as store:
        store.get_setting("active-encoder")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,50000,200000")
    args = parser.parse_args()
    print("| photos | file | open | open + quick_check | added | ratio |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as root:
        for n in (int(s) for s in args.sizes.split(",")):
            path = Path(root) / f"lib{n}.sqlite"
            build(path, n)
            time_open(path, verify=True)  # warm the page cache
            plain, checked = [], []
            for _ in range(REPEATS):
                plain.append(time_open(path, verify=False))
                checked.append(time_open(path, verify=True))
            p, c = statistics.median(plain), statistics.median(checked)
            size_mb = os.path.getsize(path) / 1e6
            print(
                f"| {n:,} | {size_mb:.0f} MB | {p * 1e3:.1f} ms | {c * 1e3:.1f} ms "
                f"| {(c - p) * 1e3:.0f} ms | {c / p:.1f}x |"
            )


if __name__ == "__main__":
    main()
