"""The streaming protocol of issue #6: FPO-CMH against a frozen model and full retraining.

For each feature dataset the training rows are split by group (emoji / icon, seed 0):
half the groups form the offline part, which trains the base model (FPO-CMH's
``fit``: base hasher, heads, anchor bank); the other half streams in, one item at a
time, in a random order. With missing-modality ratio r, each streamed pair arrives
as a single modality (image or text, at random) with probability r, else as a
pair. Stream items carry no labels: FPO-CMH pseudo-labels them.

Compared in one run, per (dataset, bits, r):
* frozen — the offline model, never updated (FPO-CMH right after ``fit``; its codes
  are the base hasher's);
* fpo-cmh — after the stream, with the database re-encoded by the updated model, and
  with the database codes stored before the stream (queries from the updated model):
  the code-invariance test;
* retrain — the base method fitted on every training pair, complete (the upper bound).

Also: the update time per streamed item (median and 90th percentile of
``partial_fit`` on one item) and in total, and the bit-flip rate of a fixed probe set
(1,000 database rows, both modalities) against its codes before the stream, at ten
checkpoints over the stream.

Usage:
    .venv/bin/python benchmarks/online_stream.py /tmp/hashlens-bench/emoji.npz \\
        /tmp/hashlens-bench/phosphor.npz --bits 32,64 --missing 0,0.5,1 [--params lr=0.1]
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from core.hashing import Hasher, PairedFeatures, StreamBatch, create_hasher
from core.hashing.fpo_cmh.hasher import FPOCMH
from core.hashing.metrics import evaluate_ranking, hamming_matrix, relevance
from hashlens_bench.dataset import FeatureDataset, load_features

N_PROBE = 1000
N_CHECKPOINTS = 10


@dataclass
class Scores:
    """mAP of one model (I→T, T→I)."""

    i2t: float
    t2i: float


@dataclass
class RunResult:
    """One (dataset, bits, missing ratio) run."""

    dataset: str
    bits: int
    missing: float
    items: int
    samples: int
    frozen: Scores
    fpo: Scores
    fpo_stored_db: Scores
    retrain: Scores
    median_ms: float
    p90_ms: float
    stream_s: float
    retrain_s: float
    flips: list[tuple[int, float, float]] = field(default_factory=list)
    summary: dict[str, int] = field(default_factory=dict)


def offline_online_split(data: FeatureDataset, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(offline rows, streamed rows) of ``data.train``, half the groups each."""
    groups = data.groups[data.train] if data.groups is not None else data.train
    unique = np.unique(groups)
    offline_groups = np.random.default_rng(seed).permutation(unique)[: len(unique) // 2]
    is_offline = np.isin(groups, offline_groups)
    return data.train[is_offline], data.train[~is_offline]


def stream_items(rows: np.ndarray, missing: float, seed: int) -> list[tuple[int, bool, bool]]:
    """(row, has image, has text) per item, shuffled; a pair loses one side w.p. ``missing``."""
    rng = np.random.default_rng(seed)
    order = rng.permutation(rows)
    drop = rng.random(len(order)) < missing
    side = rng.random(len(order)) < 0.5
    return [
        (int(r), not (d and s), not (d and not s))
        for r, d, s in zip(order, drop, side, strict=True)
    ]


class Evaluator:
    """mAP of a hasher on the dataset's queries against its database."""

    def __init__(self, data: FeatureDataset) -> None:
        self.data = data
        self.relevant = relevance(data.labels[data.query], data.labels[data.database])

    def database_codes(self, hasher: Hasher) -> tuple[np.ndarray, np.ndarray]:
        d = self.data
        return hasher.encode_image(d.image[d.database]), hasher.encode_text(d.text[d.database])

    def scores(self, hasher: Hasher, db: tuple[np.ndarray, np.ndarray] | None = None) -> Scores:
        d, bits = self.data, hasher.n_bits
        db_image, db_text = db if db is not None else self.database_codes(hasher)
        i2t = hamming_matrix(hasher.encode_image(d.image[d.query]), db_text, bits)
        t2i = hamming_matrix(hasher.encode_text(d.text[d.query]), db_image, bits)
        return Scores(
            evaluate_ranking(i2t, self.relevant).map, evaluate_ranking(t2i, self.relevant).map
        )


def flip_rate(
    hasher: Hasher, probe: tuple[np.ndarray, np.ndarray], before: tuple[np.ndarray, np.ndarray]
) -> tuple[float, float]:
    now = hasher.encode_image(probe[0]), hasher.encode_text(probe[1])
    return tuple(  # type: ignore[return-value]
        float(np.unpackbits(now[m] ^ before[m]).mean()) for m in (0, 1)
    )


def run_stream(
    data: FeatureDataset,
    evaluator: Evaluator,
    offline_model: bytes,
    streamed: np.ndarray,
    missing: float,
    retrain: tuple[Scores, float],
) -> RunResult:
    hasher = Hasher.from_bytes(offline_model)
    assert isinstance(hasher, FPOCMH)
    frozen = evaluator.scores(hasher)
    stored = evaluator.database_codes(hasher)
    rng = np.random.default_rng(1)
    probe_rows = rng.choice(data.database, size=min(N_PROBE, len(data.database)), replace=False)
    probe = data.image[probe_rows], data.text[probe_rows]
    probe_before = hasher.encode_image(probe[0]), hasher.encode_text(probe[1])
    items = stream_items(streamed, missing, seed=2)
    checkpoints = {len(items) * (i + 1) // N_CHECKPOINTS for i in range(N_CHECKPOINTS)}
    times: list[float] = []
    flips: list[tuple[int, float, float]] = []
    for n, (row, has_image, has_text) in enumerate(items, start=1):
        batch = StreamBatch(
            image=data.image[row : row + 1] if has_image else None,
            text=data.text[row : row + 1] if has_text else None,
        )
        t0 = time.perf_counter()
        hasher.partial_fit(batch)
        times.append(time.perf_counter() - t0)
        if n in checkpoints:
            flips.append((n, *flip_rate(hasher, probe, probe_before)))
    samples = sum(int(i) + int(t) for _, i, t in items)
    return RunResult(
        dataset=data.name,
        bits=hasher.n_bits,
        missing=missing,
        items=len(items),
        samples=samples,
        frozen=frozen,
        fpo=evaluator.scores(hasher),
        fpo_stored_db=evaluator.scores(hasher, stored),
        retrain=retrain[0],
        median_ms=1000 * float(np.median(times)),
        p90_ms=1000 * float(np.percentile(times, 90)),
        stream_s=float(np.sum(times)),  # partial_fit only, not the probe checkpoints
        retrain_s=retrain[1],
        flips=flips,
        summary=hasher.online_summary(),
    )


def pseudo_label_quality(model: FPOCMH, data: FeatureDataset, rows: np.ndarray) -> str:
    """Share of streamed rows with a pseudo-label, and how often those labels are right."""
    truth = data.labels[rows].astype(bool)
    parts = []
    for m, (name, features) in enumerate((("images", data.image), ("texts", data.text))):
        labels = model.learner.labels_of(features[rows], m)
        right = (labels & truth).sum() / max(int(labels.sum()), 1)
        parts.append(f"{name} {labels.any(axis=1).mean():.0%} labelled, {right:.0%} right")
    return "; ".join(parts)


def print_tables(results: list[RunResult]) -> None:
    print(
        "\n| dataset | bits | missing | frozen I→T / T→I | FPO-CMH re-encoded | "
        "FPO-CMH stored DB | retrain (upper bound) | ms/item median (p90) | stream s | retrain s |"
    )
    print("|---|---:|---:|---|---|---|---|---:|---:|---:|")
    for r in results:
        cells = [
            f"{s.i2t:.4f} / {s.t2i:.4f}" for s in (r.frozen, r.fpo, r.fpo_stored_db, r.retrain)
        ]
        print(
            f"| {r.dataset} | {r.bits} | {r.missing:.0%} | {' | '.join(cells)} | "
            f"{r.median_ms:.2f} ({r.p90_ms:.2f}) | {r.stream_s:.1f} | {r.retrain_s:.1f} |"
        )
    print("\nBit flips of the probe set (image / text, % of bits) at the end of the stream:\n")
    print("| dataset | bits | missing | items | samples learned (labelled) | bank rows | flips |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for r in results:
        s = r.summary
        learned = s["images_labelled"] + s["texts_labelled"]
        _, fi, ft = r.flips[-1]
        print(
            f"| {r.dataset} | {r.bits} | {r.missing:.0%} | {r.items} | {r.samples} ({learned}) | "
            f"{s['bank_rows']} | {100 * fi:.2f} / {100 * ft:.2f} |"
        )
    last = results[-1]
    print(f"\nFlip curve, {last.dataset} {last.bits} bits, missing {last.missing:.0%}:\n")
    print("| items streamed | image flips % | text flips % |")
    print("|---:|---:|---:|")
    for n, fi, ft in last.flips:
        print(f"| {n} | {100 * fi:.2f} | {100 * ft:.2f} |")


def parse_params(pairs: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for pair in pairs:
        key, _, text = pair.partition("=")
        try:
            out[key] = int(text)
        except ValueError:
            try:
                out[key] = float(text)
            except ValueError:
                out[key] = text
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="FPO-CMH streaming benchmark")
    parser.add_argument("features", type=Path, nargs="+")
    parser.add_argument("--bits", default="32,64")
    parser.add_argument("--missing", default="0,0.5,1")
    parser.add_argument("--params", action="append", default=[], help="FPO-CMH setting k=v")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    params = parse_params(args.params)
    results: list[RunResult] = []
    for path in args.features:
        data = load_features(path)
        offline, streamed = offline_online_split(data)
        evaluator = Evaluator(data)
        print(
            f"{data.name}: offline {len(offline)} pairs, streamed {len(streamed)}, "
            f"queries {len(data.query)}, database {len(data.database)}",
            flush=True,
        )
        for bits in [int(b) for b in args.bits.split(",")]:
            train = PairedFeatures(data.image[offline], data.text[offline], data.labels[offline])
            t0 = time.perf_counter()
            model = create_hasher("fpo-cmh", bits, **params).fit(train)
            fit_s = time.perf_counter() - t0
            assert isinstance(model, FPOCMH)
            base = model.base_method
            t0 = time.perf_counter()
            every = PairedFeatures(
                data.image[data.train], data.text[data.train], data.labels[data.train]
            )
            upper = create_hasher(base, bits).fit(every)
            retrain = evaluator.scores(upper), time.perf_counter() - t0
            print(
                f"  {bits} bits: base {base}, offline fit {fit_s:.1f} s, "
                f"bank {model.learner.bank.size} rows",
                flush=True,
            )
            print(f"  pseudo-labels of the stream: {pseudo_label_quality(model, data, streamed)}")
            blob = model.to_bytes()
            for missing in [float(m) for m in args.missing.split(",")]:
                result = run_stream(data, evaluator, blob, streamed, missing, retrain)
                results.append(result)
                print(
                    f"    missing {missing:.0%}: {result.fpo} in {result.stream_s:.1f} s",
                    flush=True,
                )
    print_tables(results)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))


if __name__ == "__main__":
    main()
