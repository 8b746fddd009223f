"""LPIH's fit time at library scale: relearn=base (default), relearn=objective, HPsEH.

Synthetic clustered pairs (benchmarks/hpseh_scaling.py), 10 % labelled for LPIH, every
label for HPsEH, 64 bits, each method self-tuning as a user gets it.

Usage:
    .venv/bin/python benchmarks/lpih_cost.py 20000
"""

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: find benchmarks/

from benchmarks.hpseh_scaling import synthetic
from core.hashing import PairedFeatures, create_hasher
from core.hashing.models.lpih import LPIH


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int, help="synthetic pairs to fit on (e.g. 20000)")
    n = parser.parse_args().n
    image, text, labels = synthetic(n)
    mask = np.zeros(n, bool)
    mask[np.random.default_rng(0).choice(n, n // 10, replace=False)] = True
    runs: list[tuple[str, str, dict[str, Any], PairedFeatures]] = [
        ("hpseh, every label", "hpseh", {}, PairedFeatures(image, text, labels)),
        ("lpih default (relearn=base)", "lpih", {}, PairedFeatures(image, text, labels, mask)),
        (
            "lpih relearn=objective",
            "lpih",
            {"relearn": "objective"},
            PairedFeatures(image, text, labels, mask),
        ),
    ]
    for name, key, kw, data in runs:
        t = time.perf_counter()
        h = create_hasher(key, 64, **kw).fit(data)
        secs = time.perf_counter() - t
        extra = ""
        if isinstance(h, LPIH) and h.report is not None:
            extra = " stages: " + ", ".join(f"{k} {v:.1f}s" for k, v in h.report.seconds.items())
        print(f"n={n} {name}: {secs:.1f} s{extra}", flush=True)


if __name__ == "__main__":
    main()
