"""LPIH at several inheritance weights μ and in both bases, all from one fit per cell.

LPIH codes an item as sgn(p_𝓜/σ_𝓜 + μ·(φW⁰/σ₀)R) (docs/methods/lpih.md, "Inheriting the
codes after relearning"), μ = ``inherit``; with ``inherit_basis="stage0"`` the same sum is
signed in stage 0's bits, sgn(p_𝓜Rᵀ/σ_𝓜 + μ·φW⁰/σ₀) (issue 14, session 18). One fit gives
every figure of a cell:

* μ: since sgn(a/k + b) = sgn(a + k·b) for k > 0, dividing the relearned projection's scale
  by k gives the codes at μ = k·``inherit``; nothing is refitted.
* basis: the fit is made in stage 0's basis; its projection times R (R square, RᵀR = I)
  is the relearned basis's, so "lpih" below is the default's codes.

So every weight and basis shares one fit, its stage 0 and its seeds, and a cell costs what
one ``lpih_protocol.py --quick`` cell without the baselines costs. It reaches into LPIH's
``_base_scale`` and ``_base_rotation``: a measuring tool.

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
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from benchmarks.lpih_protocol import CARRIED, Evaluator, Scores, build, pseudo_quality
from core.hashing import PairedFeatures
from core.hashing.models.lpih import LPIH
from hashlens_bench.dataset import load_features
from hashlens_bench.splits import labelled_mask


class _Rotated:
    """A fitted LPIH whose projections are multiplied by ``rotation`` before the sign."""

    def __init__(self, lpih: LPIH, rotation: np.ndarray) -> None:
        self.n_bits, self._lpih, self._rotation = lpih.n_bits, lpih, rotation

    def encode_image(self, x: np.ndarray) -> np.ndarray:
        return np.packbits(self._lpih.project_image(x) @ self._rotation > 0, axis=1)

    def encode_text(self, y: np.ndarray) -> np.ndarray:
        return np.packbits(self._lpih.project_text(y) @ self._rotation > 0, axis=1)


def run_cell(
    ev: Evaluator, semi: PairedFeatures, labels: np.ndarray, bits: int, weights: list[float]
) -> dict[str, object]:
    """Stage 0, and LPIH at its default μ and at each k·μ in both bases, from one fit."""
    scores = Scores()
    ev.run(scores, "stage 0", build(CARRIED, bits, "hpseh"), semi)
    lpih = ev.run(scores, "fit", build("lpih(inherit_basis=stage0)", bits, "hpseh"), semi)
    assert isinstance(lpih, LPIH)
    default, scale, back = lpih.params.inherit, lpih._base_scale.copy(), lpih._base_rotation
    if back is None:  # r₀ < r: the fit stayed in 𝓜's bits
        raise SystemExit("stage 0 has fewer bits than the codes here: no basis to compare")
    to_relearned = np.ascontiguousarray(back.T)
    for k in [default, *weights]:
        lpih._base_scale = scale / np.float32(k / default)
        ev.score(scores, f"stage0basis inherit={k:g}", lpih)
        label = "lpih" if k == default else f"inherit={k:g}"
        ev.score(scores, label, _Rotated(lpih, to_relearned))  # type: ignore[arg-type]
    lpih._base_scale = scale
    means = {label: float(np.mean(v)) for (label, _), v in scores.maps.items() if label != "fit"}
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
