"""Cost of the self-tuning fit: its fit time as a ratio to today's fit (``tune=False``).

Synthetic multi-label pairs (benchmarks/hpseh_scaling.py's generator: 24 classes,
512-d image and text features), 64 bits. For each method the two fits alternate in
one process, ``--repeats`` times each, so machine load hits both alike; the table gives
the median seconds of each and the median of the per-repeat ratios, plus the settings
the tuned fit chose and the share of its time the search took. A third fit in each
repeat uses the chosen settings without a search, which splits the ratio into what the
search costs and what the larger model the search may choose costs by itself (when
the search kept every default, that fit is today's fit and is not run again).
Semi-supervised methods (LPIH) see labels on ``--labelled`` of the pairs (a seeded
draw), since with every pair labelled LPIH only trains its base.

Usage:
    nice -n 10 .venv/bin/python benchmarks/self_tuning.py --n 100000 --methods hpseh,batch
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: find benchmarks/

from benchmarks.hpseh_scaling import synthetic
from core.hashing import PairedFeatures, create_hasher
from core.hashing.registry import resolve


def main() -> None:
    parser = argparse.ArgumentParser(description="self-tuning fit cost against today's fit")
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--methods", default="hpseh,batch,lpih,cca-itq,cmfh")
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--labelled", type=float, default=0.1, help="share for semi-supervised")
    args = parser.parse_args()
    image, text, labels = synthetic(args.n)
    full = PairedFeatures(image, text, labels)
    mask = np.random.default_rng(0).random(args.n) < args.labelled
    partial = PairedFeatures(image, text, labels, mask)
    print(
        f"n={args.n:,} pairs, {args.bits} bits, {args.repeats} repeats (medians); "
        f"semi-supervised methods see labels on {mask.mean():.1%}"
    )
    print(
        "| method | today's fit s | self-tuning fit s | ratio | search s "
        "| fit at the chosen settings s | self-tuning / fit at the chosen settings | chosen |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for key in args.methods.split(","):
        data = partial if resolve(key).supervision == "semi-supervised" else full
        defaults = create_hasher(key, args.bits, tune=False).get_params()
        today, tuned, ratios, search, at_chosen, overheads = [], [], [], [], [], []
        chosen = ""
        for _ in range(args.repeats):
            started = time.perf_counter()
            create_hasher(key, args.bits, tune=False).fit(data)
            today.append(time.perf_counter() - started)
            started = time.perf_counter()
            hasher = create_hasher(key, args.bits).fit(data)
            tuned.append(time.perf_counter() - started)
            ratios.append(tuned[-1] / today[-1])
            assert hasher.tuning is not None
            search.append(hasher.tuning.seconds)
            chosen = ", ".join(f"{k}={v}" for k, v in hasher.tuning.chosen.items())
            # The same capacity without the search: what the larger model costs by itself.
            # When the search kept every default, that fit is today's fit: not run twice.
            if all(defaults[k] == v for k, v in hasher.tuning.chosen.items()):
                at_chosen.append(today[-1])
            else:
                started = time.perf_counter()
                create_hasher(key, args.bits, tune=False, **hasher.tuning.chosen).fit(data)
                at_chosen.append(time.perf_counter() - started)
            overheads.append(tuned[-1] / at_chosen[-1])
        print(
            f"| {key} | {statistics.median(today):.1f} | {statistics.median(tuned):.1f} | "
            f"{statistics.median(ratios):.2f}× | {statistics.median(search):.1f} | "
            f"{statistics.median(at_chosen):.1f} | {statistics.median(overheads):.2f}× | "
            f"{chosen} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
