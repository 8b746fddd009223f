# ruff: noqa: N803, N806  (the spec's matrix symbols: B, R, Phi, W)
"""Whose codes are easier to predict? HPsEH's, BATCH's and label codes through one predictor.

A diagnostic for issue 14's item 4 (why HPsEH ties BATCH on some sets): it chooses
nothing. Both methods end in a kernel ridge from features to their training codes B,
and both reproduce B almost exactly on the training rows ("Session 7" of
docs/methods/hpseh.md), so what separates them is how well B can be predicted for new
items. This script takes the training codes each method learned (self-tuned, as in
benchmarks/generalisation.py) and pushes them, and codes made from the labels alone,
through **one common predictor**: RBF maps anchored on every training pair (the same
for every code set) and a ridge at a fixed ξ. Scored on the dataset's query/database
protocol (mean of I→T and T→I mAP).

Code sets:
* ``hpseh``, ``batch``: the B of the method's final fit (captured, not re-derived);
* ``labels``: sign(L̂·R), R a seeded Gaussian (c × r): for single-label data, a random
  codeword per class, the codes of a learner that knows only "shares a label";
* ``own``: the method's own hash functions (its protocol figure), for reference.

Usage:
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/code_ceiling.py \\
        /work/datasets/emoji.npz --bits 32,64 --seeds 0,1,2 --out ceiling.json
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: find benchmarks/

from benchmarks.generalisation import fit_rows
from core.hashing import PairedFeatures, create_hasher
from core.hashing.codes import pack_bits
from core.hashing.metrics import evaluate_ranking, hamming_matrix, relevance
from core.hashing.models import batch as batch_module
from core.hashing.models.hpseh import HPsEH
from core.hashing.models.preprocess import fit_paired_feature_maps
from core.hashing.models.ridge import ridge
from core.hashing.models.semantic import normalised_labels
from hashlens_bench.dataset import FeatureDataset, load_features

RIDGES = (1e-5, 1e-2)


@contextmanager
def captured_codes(method: str) -> Iterator[list[np.ndarray]]:
    """Record every training-code matrix B the method fits; the last is the final fit's.

    HPsEH's B is what ``HPsEH._solve`` returns; BATCH's is the target of its final
    ``ridge`` call. Either is wrapped for the duration of the block, then restored.
    """
    seen: list[np.ndarray] = []
    owner: Any
    if method == "hpseh":
        owner, name = HPsEH, "_solve"

        def record(original: Callable[..., Any]) -> Callable[..., Any]:
            def solve(self: HPsEH, *args: Any, **kwargs: Any) -> Any:
                B, proj = original(self, *args, **kwargs)
                seen.append(np.array(B))
                return B, proj

            return solve
    else:
        owner, name = batch_module, "ridge"

        def record(original: Callable[..., Any]) -> Callable[..., Any]:
            def recording_ridge(Phi: Any, T: Any, gamma: float) -> Any:
                seen.append(np.array(T))
                return original(Phi, T, gamma)

            return recording_ridge

    original = getattr(owner, name)
    setattr(owner, name, record(original))
    try:
        yield seen
    finally:
        setattr(owner, name, original)


Encode = Callable[[int, np.ndarray], np.ndarray]


def score(data: FeatureDataset, relevant: np.ndarray, encode: Encode, bits: int) -> float:
    """Mean of I→T and T→I mAP with ``encode(modality, rows) -> packed codes``."""
    i2t = hamming_matrix(encode(0, data.query), encode(1, data.database), bits)
    t2i = hamming_matrix(encode(1, data.query), encode(0, data.database), bits)
    return float((evaluate_ranking(i2t, relevant).map + evaluate_ranking(t2i, relevant).map) / 2)


def run_cell(data: FeatureDataset, bits: int, seed: int) -> dict[str, float]:
    """Every code set through the common predictor, and each method's own figure."""
    rows = fit_rows(data, 2000, seed)
    train = PairedFeatures(data.image[rows], data.text[rows], data.labels[rows])
    codes: dict[str, np.ndarray] = {}
    out: dict[str, float] = {}
    features = (data.image, data.text)
    relevant = relevance(data.labels[data.query], data.labels[data.database])
    for method in ("hpseh", "batch"):
        hasher = create_hasher(method, bits, seed=seed)
        with captured_codes(method) as seen:
            hasher.fit(train)
        codes[method] = np.where(seen[-1] >= 0, 1.0, -1.0)

        def own(m: int, idx: np.ndarray, h: Any = hasher) -> np.ndarray:
            x = features[m][idx]
            return h.encode_image(x) if m == 0 else h.encode_text(x)

        out[f"own:{method}"] = score(data, relevant, own, bits)
    R = np.random.default_rng(seed).standard_normal((data.labels.shape[1], bits))
    codes["labels"] = np.where(normalised_labels(data.labels[rows]) @ R >= 0, 1.0, -1.0)
    maps, Phi = fit_paired_feature_maps(train, "kernel", np.random.default_rng(seed), rows.size)
    for xi in RIDGES:
        for name, B in codes.items():
            W = [ridge(Phi[m], B, xi) for m in (0, 1)]

            def common(m: int, idx: np.ndarray, W: list[Any] = W) -> np.ndarray:
                projected = maps[m].transform(features[m][idx]) @ W[m].astype(np.float32)
                return pack_bits(projected >= 0)

            out[f"common:{name}:xi={xi:g}"] = score(data, relevant, common, bits)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("features", type=Path, nargs="+")
    parser.add_argument("--bits", default="32,64")
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    results: dict[str, dict[str, dict[str, float]]] = {}
    for path in args.features:
        data = load_features(path)
        for seed in (int(s) for s in args.seeds.split(",")):
            for bits in (int(b) for b in args.bits.split(",")):
                cell = run_cell(data, bits, seed)
                results.setdefault(path.stem, {})[f"{bits}/{seed}"] = cell
                print(path.stem, bits, seed, json.dumps({k: round(v, 4) for k, v in cell.items()}),
                      flush=True)  # fmt: skip
                if args.out:
                    args.out.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
