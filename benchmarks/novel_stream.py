"""Issue #15's streaming protocol: novel classes arrive, unlabelled, some modalities missing.

For each feature dataset the label columns are split in two (seeded permutation): the
*old* classes and the *novel* ones. Training rows whose labels are all old are split
in half: one half is the offline part (it trains the offline model, with its labels),
the other half streams in. Every training row that carries a novel class streams in
too. The stream is shuffled and carries no labels. With missing-modality ratio r, each
streamed pair arrives as its image only or its text only (at random) with probability
r, else as a pair.

The database is the dataset's database (here: the training rows). Codes are *stored*
the way the app stores them: offline rows by the offline model, before the stream;
each streamed item by the model right after it learned from that item (the app's
order, ``core/library/indexing/indexer.py``), and only for the modalities that
arrived. I→T ranks the database items that
have a text, T→I those with an image; every method below is scored on those same
items, so the numbers compare.

Compared in one run, per (dataset, bits, r):
* frozen — the offline model, never updated (its codes are the base hasher's);
* stored — FPO-CMH after the stream: queries by the final model, database codes as
  stored (the app's situation; this is the figure the issue's target is about);
* re-encoded — FPO-CMH after the stream, database re-encoded by the final model;
* unsup — CCA-ITQ retrained on every pair seen (offline pairs and streamed pairs that
  arrived complete; no labels);
* upper — BATCH retrained on every training pair with every label (the upper bound).

Also: ``partial_fit`` time per item (median, 90th percentile) and the coding time,
the share of stored-code bits that the final model would code differently ("flips",
separately for the offline rows and the streamed rows), mAP on the queries of novel
classes only, and the online summary (bank rows, novel rows).

Usage:
    nice -n 10 .venv/bin/python benchmarks/novel_stream.py /work/datasets/emoji.npz \\
        --bits 64 --missing 0,0.5,1 [--params lr=0.1] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: find benchmarks/

from benchmarks.online_stream import parse_params, stream_items
from core.hashing import Hasher, PairedFeatures, StreamBatch, create_hasher
from core.hashing.fpo_cmh.hasher import FPOCMH
from core.hashing.metrics import evaluate_ranking, hamming_matrix, relevance
from hashlens_bench.dataset import FeatureDataset, load_features

Codes = tuple[np.ndarray, np.ndarray]


@dataclass
class Scores:
    """mAP (I→T, T→I) on all queries, and on the queries of novel classes."""

    i2t: float
    t2i: float
    novel_i2t: float
    novel_t2i: float

    @property
    def mean(self) -> float:
        return (self.i2t + self.t2i) / 2

    @property
    def novel_mean(self) -> float:
        return (self.novel_i2t + self.novel_t2i) / 2


@dataclass
class RunResult:
    """One (dataset, bits, missing ratio) run."""

    dataset: str
    bits: int
    missing: float
    items: int
    frozen: Scores
    stored: Scores
    reencoded: Scores
    unsup: Scores
    upper: Scores
    median_ms: float
    p90_ms: float
    encode_ms: float
    stream_s: float
    flips_offline: float
    flips_streamed: float
    summary: dict[str, Any] = field(default_factory=dict)


@dataclass
class NovelSplit:
    """Rows of the protocol: offline part, streamed part, which queries are novel."""

    offline: np.ndarray
    streamed: np.ndarray
    novel_classes: np.ndarray
    novel_queries: np.ndarray


def novel_class_split(data: FeatureDataset, seed: int = 0) -> NovelSplit:
    """Old/novel classes (half each), offline = half of the old-only training rows."""
    rng = np.random.default_rng(seed)
    n_classes = data.labels.shape[1]
    novel = np.sort(rng.permutation(n_classes)[n_classes // 2 :])
    is_novel_row = data.labels[:, novel].sum(axis=1) > 0
    train = data.train
    old_rows = train[~is_novel_row[train]]
    offline = np.sort(rng.permutation(old_rows)[: len(old_rows) // 2])
    streamed = np.setdiff1d(train, offline)
    return NovelSplit(offline, streamed, novel, is_novel_row[data.query])


class Evaluator:
    """mAP against the database items that have each modality."""

    def __init__(self, data: FeatureDataset, split: NovelSplit) -> None:
        self.data = data
        self.split = split
        self.relevant = relevance(data.labels[data.query], data.labels[data.database])

    def encode_database(self, hasher: Hasher) -> Codes:
        d = self.data
        return hasher.encode_image(d.image[d.database]), hasher.encode_text(d.text[d.database])

    def scores(self, hasher: Hasher, db: Codes, has: tuple[np.ndarray, np.ndarray]) -> Scores:
        d, bits = self.data, hasher.n_bits
        q_image, q_text = hasher.encode_image(d.image[d.query]), hasher.encode_text(d.text[d.query])
        i2t = hamming_matrix(q_image, db[1][has[1]], bits)
        t2i = hamming_matrix(q_text, db[0][has[0]], bits)
        rel_t, rel_i = self.relevant[:, has[1]], self.relevant[:, has[0]]
        novel = self.split.novel_queries

        def m(dist: np.ndarray, rel: np.ndarray) -> float:
            return evaluate_ranking(dist, rel).map

        return Scores(
            m(i2t, rel_t),
            m(t2i, rel_i),
            m(i2t[novel], rel_t[novel]),
            m(t2i[novel], rel_i[novel]),
        )


def fit_offline(
    data: FeatureDataset, split: NovelSplit, bits: int, params: dict[str, Any]
) -> FPOCMH:
    """FPO-CMH fitted on the split's offline pairs: the model every stream starts from."""
    o = split.offline
    model = create_hasher("fpo-cmh", bits, **params).fit(
        PairedFeatures(data.image[o], data.text[o], data.labels[o])
    )
    assert isinstance(model, FPOCMH)
    return model


def flip_share(stored: Codes, now: Codes, rows: np.ndarray, has: tuple[np.ndarray, ...]) -> float:
    """Share of the stored bits of ``rows`` (database positions) the final model changes."""
    flips, bits = 0, 0
    for m in (0, 1):
        keep = rows[has[m][rows]]
        diff = np.unpackbits(stored[m][keep] ^ now[m][keep])
        flips += int(diff.sum())
        bits += diff.size
    return flips / max(bits, 1)


def run_stream(
    data: FeatureDataset,
    evaluator: Evaluator,
    offline_model: bytes,
    missing: float,
    baselines: tuple[Scores, Scores] | None,
) -> tuple[RunResult, dict[str, Any]]:
    split = evaluator.split
    hasher = Hasher.from_bytes(offline_model)
    assert isinstance(hasher, FPOCMH)
    position = {int(r): i for i, r in enumerate(data.database)}
    stored = [c.copy() for c in evaluator.encode_database(hasher)]
    n_db = len(data.database)
    has = (np.ones(n_db, bool), np.ones(n_db, bool))
    items = stream_items(split.streamed, missing, seed=2)
    for row, has_image, has_text in items:
        if row in position:
            has[0][position[row]], has[1][position[row]] = has_image, has_text
    all_has = (np.ones(n_db, bool), np.ones(n_db, bool))
    frozen = evaluator.scores(hasher, tuple(stored), has)  # type: ignore[arg-type]
    times: list[float] = []
    encode_times: list[float] = []
    for row, has_image, has_text in items:
        image = data.image[row : row + 1] if has_image else None
        text = data.text[row : row + 1] if has_text else None
        t0 = time.perf_counter()
        hasher.partial_fit(StreamBatch(image=image, text=text))
        t1 = time.perf_counter()
        codes = (
            hasher.encode_image(image) if image is not None else None,
            hasher.encode_text(text) if text is not None else None,
        )
        times.append(t1 - t0)
        encode_times.append(time.perf_counter() - t1)
        if row in position:
            for m in (0, 1):
                if codes[m] is not None:
                    stored[m][position[row]] = codes[m][0]
    final = evaluator.encode_database(hasher)
    db_codes: Codes = (stored[0], stored[1])
    offline_pos = np.array([position[int(r)] for r in split.offline if int(r) in position])
    streamed_pos = np.array([position[int(r)] for r in split.streamed if int(r) in position])
    unsup, upper = baselines if baselines is not None else (frozen, frozen)
    result = RunResult(
        dataset=data.name,
        bits=hasher.n_bits,
        missing=missing,
        items=len(items),
        frozen=frozen,
        stored=evaluator.scores(hasher, db_codes, has),
        reencoded=evaluator.scores(hasher, final, has),
        unsup=unsup,
        upper=upper,
        median_ms=1000 * float(np.median(times)),
        p90_ms=1000 * float(np.percentile(times, 90)),
        encode_ms=1000 * float(np.median(encode_times)),
        stream_s=float(np.sum(times)),
        flips_offline=flip_share(db_codes, final, offline_pos, all_has),
        flips_streamed=flip_share(db_codes, final, streamed_pos, has),
        summary=dict(hasher.online_summary()),
    )
    return result, {"has": has, "items": items}


def baselines(
    data: FeatureDataset,
    evaluator: Evaluator,
    bits: int,
    stream: dict[str, Any],
) -> tuple[Scores, Scores]:
    """CCA-ITQ on every pair seen (no labels), BATCH on every training pair with labels."""
    split = evaluator.split
    pairs = [r for r, i, t in stream["items"] if i and t]
    seen = np.concatenate([split.offline, np.array(pairs, dtype=np.int64)])
    unsup_model = create_hasher("cca-itq", bits).fit(
        PairedFeatures(data.image[seen], data.text[seen])
    )
    has = stream["has"]
    unsup = evaluator.scores(unsup_model, evaluator.encode_database(unsup_model), has)
    train = data.train
    upper_model = create_hasher("batch", bits).fit(
        PairedFeatures(data.image[train], data.text[train], data.labels[train])
    )
    upper = evaluator.scores(upper_model, evaluator.encode_database(upper_model), has)
    return unsup, upper


def print_table(results: list[RunResult]) -> None:
    print(
        "\n| dataset | bits | missing | frozen | FPO stored | FPO re-encoded | CCA-ITQ "
        "retrain | BATCH all labels | stored − frozen | novel queries: frozen / stored | "
        "flips offline / streamed % | ms/item median (p90) [mean] | bank rows (novel) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|")
    for r in results:
        s = r.summary
        print(
            f"| {r.dataset} | {r.bits} | {r.missing:.0%} | {r.frozen.mean:.4f} | "
            f"{r.stored.mean:.4f} | {r.reencoded.mean:.4f} | {r.unsup.mean:.4f} | "
            f"{r.upper.mean:.4f} | {r.stored.mean - r.frozen.mean:+.4f} | "
            f"{r.frozen.novel_mean:.4f} / {r.stored.novel_mean:.4f} | "
            f"{100 * r.flips_offline:.2f} / {100 * r.flips_streamed:.2f} | "
            f"{r.median_ms:.2f} ({r.p90_ms:.2f}) [{1000 * r.stream_s / max(r.items, 1):.2f}] | "
            f"{s.get('bank_rows')} "
            f"({s.get('novel_rows', 0)}) |"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description="FPO-CMH novel-class streaming benchmark")
    parser.add_argument("features", type=Path, nargs="+")
    parser.add_argument("--bits", default="64")
    parser.add_argument("--missing", default="0,0.5,1")
    parser.add_argument("--params", action="append", default=[], help="FPO-CMH setting k=v")
    parser.add_argument("--no-baselines", action="store_true", help="skip CCA-ITQ and BATCH")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    params = parse_params(args.params)
    results: list[RunResult] = []
    for path in args.features:
        data = load_features(path)
        split = novel_class_split(data)
        evaluator = Evaluator(data, split)
        print(
            f"{data.name}: {data.labels.shape[1]} classes ({len(split.novel_classes)} novel), "
            f"offline {len(split.offline)} pairs, streamed {len(split.streamed)}, "
            f"queries {len(data.query)} ({int(split.novel_queries.sum())} of novel classes), "
            f"database {len(data.database)}",
            flush=True,
        )
        for bits in [int(b) for b in args.bits.split(",")]:
            t0 = time.perf_counter()
            model = fit_offline(data, split, bits, params)
            print(
                f"  {bits} bits: base {model.base_method}, offline fit "
                f"{time.perf_counter() - t0:.1f} s, bank {model.learner.bank.size} rows",
                flush=True,
            )
            blob = model.to_bytes()
            for missing in [float(m) for m in args.missing.split(",")]:
                result, stream = run_stream(data, evaluator, blob, missing, None)
                if not args.no_baselines:
                    result.unsup, result.upper = baselines(data, evaluator, bits, stream)
                results.append(result)
                print(
                    f"    missing {missing:.0%}: frozen {result.frozen.mean:.4f}, stored "
                    f"{result.stored.mean:.4f}, re-encoded {result.reencoded.mean:.4f}, "
                    f"cca-itq {result.unsup.mean:.4f}, batch {result.upper.mean:.4f}; "
                    f"{result.stream_s:.1f} s, {result.summary}",
                    flush=True,
                )
    print_table(results)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=1))


if __name__ == "__main__":
    main()
