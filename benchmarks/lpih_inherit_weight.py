"""LPIH at several inheritance weights μ, all read from one fit per cell (issue 14, item 5).

LPIH codes an item as sgn(p_𝓜/σ_𝓜 + μ·(φW⁰/σ₀)R) (docs/methods/lpih.md, "Inheriting the
codes after relearning"), μ = ``inherit``. Since sgn(a/k + b) = sgn(a + k·b) for k > 0,
the codes at μ = k·inherit come from the fitted model by dividing the relearned
projection's scale by k; nothing is refitted. So every weight shares the default's fit,
its stage 0 and its seeds, and a cell costs what one ``lpih_protocol.py --quick`` cell
without the baselines costs. It reaches into LPIH's ``_base_scale``: a measuring tool.

Protocol as ``lpih_protocol.py`` (same train sample, labelled mask, queries and
database); stage 0 is ``lpih(relearn=objective,iterations=0,self_training=0)``.

Usage:
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/lpih_inherit_weight.py FILE.npz \\
        --train-limit 2000 --fractions 0.05,0.1,0.25 --bits 64 --seed 0 \\
        --weights 1.5,2,3 --out run.json
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from benchmarks.lpih_protocol import CARRIED, Evaluator, Scores, build, pseudo_quality
from core.hashing import PairedFeatures
from core.hashing.models.lpih import LPIH
from hashlens_bench.dataset import load_features
from hashlens_bench.splits import labelled_mask


def run_cell(
    ev: Evaluator, semi: PairedFeatures, labels: np.ndarray, bits: int, weights: list[float]
) -> dict[str, object]:
    """Stage 0, LPIH at its default μ, and LPIH at each k·μ from the same fit."""
    scores = Scores()
    ev.run(scores, "stage 0", build(CARRIED, bits, "hpseh"), semi)
    lpih = ev.run(scores, "lpih", build("lpih", bits, "hpseh"), semi)
    assert isinstance(lpih, LPIH)
    default = lpih.params.inherit
    scale = lpih._base_scale.copy()
    for k in weights:
        lpih._base_scale = scale / np.float32(k / default)
        ev.score(scores, f"inherit={k:g}", lpih)
    lpih._base_scale = scale
    means = {label: float(np.mean(v)) for (label, _), v in scores.maps.items()}
    return {"mean": means, "seconds": {k[0]: v for k, v in scores.seconds.items()},
            "pseudo": pseudo_quality(lpih, labels)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("features", type=Path)
    parser.add_argument("--fractions", default="0.05,0.1,0.25")
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample and the mask")
    parser.add_argument("--train-limit", type=int, default=2000)
    parser.add_argument("--weights", default="1.5,2,3", help="μ values besides the default")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    weights = [float(w) for w in args.weights.split(",")]
    data = load_features(args.features)
    ev = Evaluator(data)
    tr = data.train
    if 0 < args.train_limit < tr.size:  # the same sample as lpih_protocol.py
        tr = np.sort(np.random.default_rng(args.seed).choice(tr, args.train_limit, replace=False))
    image, text, labels = data.image[tr], data.text[tr], data.labels[tr]
    results: dict[str, object] = {"dataset": args.features.stem, "seed": args.seed, "cells": {}}
    for fraction in (float(f) for f in args.fractions.split(",")):
        mask = labelled_mask(len(tr), fraction, args.seed)
        cell = run_cell(ev, PairedFeatures(image, text, labels, mask), labels, args.bits, weights)
        results["cells"][str(fraction)] = cell  # type: ignore[index]
        mean = cell["mean"]
        assert isinstance(mean, dict)
        s0 = mean["stage 0"]
        line = ", ".join(f"{k} {v:.4f} ({v / s0 - 1:+.1%})" for k, v in mean.items())
        print(f"{args.features.stem} seed {args.seed} {fraction:.0%}: {line}", flush=True)
    if args.out is not None:
        args.out.write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
