"""Re-scan cost of an unchanged 10,000-photo library, and library bytes per photo.

(a) 10,000 tiny distinct JPEGs (random pixels, ~2 KB; 10 folders; every tenth with a caption
    sidecar) are indexed once with a FAKE encoder (deterministic random unit vectors, dim
    512: this measures scanning and SQLite, not CLIP). Then ``Indexer.run`` on the unchanged
    folder is timed (median of 5; target < 2 s; it must not load the model), and so is the
    whole ``hashlens index`` CLI as a subprocess (Python start included), checked with
    ``-X importtime`` not to import torch.
(b) Library file bytes per photo with 512-d features, after ``PRAGMA wal_checkpoint(TRUNCATE)``,
    for the current ``PAGE_SIZE_BYTES`` and 4096/8192/16384 (patched before each fresh
    library), without caption sidecars and with one caption per photo.

Usage: ``.venv/bin/python benchmarks/rescan_and_size.py [-n 10000] [--root DIR]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import core.store.database as database
from core.config import EncoderConfig, IndexingConfig
from core.encoders.encoder import LazyEncoder
from core.library.indexing.indexer import Indexer
from core.store.database import Store
from core.types import FloatArray, IndexReport
from desktop_app.cli.runtime import encoder_config_key

DIM = 512
# The key the CLI derives for ViT-B-32 random weights, so `hashlens index` finds the encoder.
CONFIG_KEY = encoder_config_key(EncoderConfig(model="ViT-B-32", pretrained="random"))


class FakeEncoder:
    """Deterministic random unit vectors seeded by the pixels or text: no model at all."""

    model_id = "fake-random-512"
    dim = DIM

    def preprocess(self, image: Image.Image) -> int:
        return zlib.crc32(image.tobytes())

    def encode_preprocessed(self, batch: Sequence[int]) -> FloatArray:
        rows = [np.random.default_rng(seed).standard_normal(DIM) for seed in batch]
        x = np.asarray(rows, dtype=np.float32).reshape(len(rows), DIM)
        out: FloatArray = x / np.linalg.norm(x, axis=1, keepdims=True)
        return out

    def encode_images(self, images: Sequence[Image.Image]) -> FloatArray:
        return self.encode_preprocessed([self.preprocess(image) for image in images])

    def encode_texts(self, texts: Sequence[str]) -> FloatArray:
        return self.encode_preprocessed([zlib.crc32(t.encode()) for t in texts])


def make_folders(root: Path, n: int) -> dict[str, Path]:
    """``none`` (no sidecars), ``some`` (every tenth), ``all`` (every photo): hard links."""
    folders = {kind: root / f"{kind}-{n}" for kind in ("none", "some", "all")}
    if all(f.exists() for f in folders.values()):
        return folders
    shutil.rmtree(root, ignore_errors=True)
    rng = np.random.default_rng(0)
    for i in range(n):
        sub = f"{i % 10:02d}/IMG_{i:05d}"
        pixels = rng.integers(0, 256, (30, 40, 3), dtype=np.uint8)
        for kind, folder in folders.items():
            path = folder / f"{sub}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            if kind == "none":
                Image.fromarray(pixels).save(path, format="JPEG", quality=80)
            else:
                os.link(folders["none"] / f"{sub}.jpg", path)
            if kind == "all" or (kind == "some" and i % 10 == 0):
                text = f"Photo {i}: a walk by the river with friends, late afternoon light.\n"
                path.with_suffix(".txt").write_text(text, encoding="utf-8")
    return folders


def index(library: Path, folder: Path | None = None) -> tuple[float, IndexReport, bool]:
    """One ``Indexer.run`` (adding ``folder`` first): seconds, report, model loaded?"""
    with Store.open(library) as store:
        if folder is not None:
            with store.atomic():
                store.media.add_folder(str(folder))
        lazy = LazyEncoder(CONFIG_KEY, FakeEncoder)
        started = time.perf_counter()
        report = Indexer(store, lazy, IndexingConfig()).run()
        return time.perf_counter() - started, report, lazy.is_loaded


def run_cli(library: Path, *python_flags: str) -> tuple[float, subprocess.CompletedProcess[str]]:
    script = Path(sys.executable).parent / "hashlens"
    argv = ["--library", str(library), "--config", "/nonexistent.toml", "index", "--no-progress"]
    env = {k: v for k, v in os.environ.items() if not k.startswith("HASHLENS_")}
    cmd = [sys.executable, *python_flags, str(script), *argv]
    started = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    return time.perf_counter() - started, done


def rescan(folder: Path, n: int, repeats: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        library = Path(tmp) / "lib.db"
        first, report, _ = index(library, folder)
        print(f"first index with the fake encoder (not a CLIP figure): {first:.1f} s, ", end="")
        print(f"{report.encoded_images} photos, {report.encoded_captions} captions")
        times, loaded, clean = [], False, True
        for _ in range(repeats):
            seconds, report, was_loaded = index(library)
            times.append(seconds)
            loaded |= was_loaded
            clean &= report.unchanged == n and report.encoded_images == report.added == 0
        med = statistics.median(times)
        print(f"RE-SCAN {n} unchanged photos, Indexer.run: median {med:.3f} s (target < 2 s)")
        print(f"  runs {[round(t, 3) for t in times]} s, warm page cache")
        print(
            f"  every run: {n} unchanged, nothing encoded: {clean}; model loaded: {loaded}; ",
            end="",
        )
        print(f"torch in sys.modules: {'torch' in sys.modules}")
        cli = [run_cli(library) for _ in range(repeats)]
        ok = all(c[1].returncode == 0 and f"{n} unchanged" in c[1].stdout for c in cli)
        base = statistics.median(run_cli(library, "-c", "pass")[0] for _ in range(repeats))
        med = statistics.median(c[0] for c in cli)
        print(
            f"CLI `hashlens index` subprocess: median {med:.3f} s (`python -c pass`: {base:.3f} s)"
        )
        print(f"  runs {[round(c[0], 3) for c in cli]} s, exit 0 and {n} unchanged: {ok}")
        print(f"  stdout: {cli[0][1].stdout.strip()!r}")
        _, traced = run_cli(library, "-X", "importtime")
        mods = [line.rsplit("|", 1)[-1].strip() for line in traced.stderr.splitlines()]
        heavy = sorted({m for m in mods if m.split(".")[0] in ("torch", "open_clip")})
        print(f"  -X importtime: {len(mods)} modules imported; torch/open_clip: {heavy or 'none'}")
        rows = [line.split("|") for line in traced.stderr.splitlines()[1:]]
        roots = [(int(r[1]), r[2].strip()) for r in rows if len(r) == 3 and "." not in r[2]]
        top = [(m, us // 1000) for us, m in sorted(roots)[-7:] if m not in ("core", "desktop_app")]
        print(f"  slowest third-party packages to import (cumulative ms): {top[::-1]}")


def table_bytes(library: Path) -> dict[str, int]:
    """Bytes per table (indexes folded into their table), if SQLite has dbstat."""
    conn = sqlite3.connect(library)
    try:
        sql = (
            "SELECT COALESCE(m.tbl_name, d.name), SUM(d.pgsize) FROM dbstat d "
            "LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY 1"
        )
        return {str(name): int(size) for name, size in conn.execute(sql)}
    except sqlite3.OperationalError:
        return {}
    finally:
        conn.close()


def sizes(folders: dict[str, Path], n: int) -> None:
    current = database.PAGE_SIZE_BYTES
    print(
        f"\nlibrary bytes per photo, {DIM}-d float16 features (current PAGE_SIZE_BYTES {current})"
    )
    for page in sorted({current, 4096, 8192, 16384}):
        for kind in ("none", "all"):
            with tempfile.TemporaryDirectory() as tmp:
                library = Path(tmp) / "lib.db"
                database.PAGE_SIZE_BYTES = page
                try:
                    _, report, _ = index(library, folders[kind])
                finally:
                    database.PAGE_SIZE_BYTES = current
                with Store.open(library) as store:
                    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                    actual = store.db.execute("PRAGMA page_size").fetchone()[0]
                size = library.stat().st_size
                per_table = sorted(table_bytes(library).items(), key=lambda kv: -kv[1])
                parts = ", ".join(f"{k} {v / n:.0f}" for k, v in per_table[:4])
                label = "1 caption/photo" if kind == "all" else "no captions    "
                print(
                    f"page {actual:5d} {'*' if page == current else ' '} {label}: "
                    f"{size / n:6.0f} B/photo ({size / 1e6:.1f} MB, "
                    f"{report.encoded_captions} captions; top tables B/photo: {parts})"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=10_000, help="number of photos")
    parser.add_argument("--root", type=Path, default=Path("/tmp/hashlens-bench-small"))
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    started = time.perf_counter()
    folders = make_folders(args.root, args.n)
    load = "/".join(f"{v:.1f}" for v in os.getloadavg())
    print(f"{args.n} tiny JPEGs ready in {time.perf_counter() - started:.1f} s (load {load})")
    rescan(folders["some"], args.n, args.repeats)
    sizes(folders, args.n)


if __name__ == "__main__":
    main()
