"""Recall@10 of the app's two-stage search (Hamming shortlist + cosine re-rank) against
exact cosine search, for shortlist sizes 100–2,000, on a real feature dataset.

A two-stage result counts as a hit when its cosine reaches the exact 10th-best
cosine (within 1e-5): the emoji set repeats one caption for each artwork style, so
exact top-10 lists contain ties that no ranking can reproduce item for item.

Two shortlist builders are compared: "hamming" (the shortlist is the Hamming top-N)
and "+asym" (the app's default: Hamming top-8N narrowed to N by the query's
real-valued projection against the stored codes).

The app re-ranks by cosine in CLIP's shared image–text space. The emoji and Phosphor
datasets have image descriptors and MiniLM text vectors in different spaces, so this
script first maps both into one 128-d space with real-valued CCA fitted on the training
split (``CCAITQ.project_*``) and treats that as the "float features" of the library.
Each hasher is then trained on those aligned training features at 64 bits, every
database item gets its code, and for each query the exact top-10 (cosine over every
database vector) is compared with the two-stage top-10 computed by the app's own
``core.search.hash_stage.rank``. Directions: T→I (text query, photo database — the
app's main job) and I→T.

Usage: ``.venv/bin/python benchmarks/two_stage_recall.py /tmp/hashlens-bench/emoji.npz``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

from core.hashing import PairedFeatures, create_hasher
from core.hashing.models.cca_itq import CCAITQ
from core.search.code_index import CodeIndex
from core.search.float_index import FloatIndex
from core.search.hash_stage import CANDIDATE_FACTOR, CodedQuery, rank
from hashlens_bench.dataset import load_features

SHORTLISTS = (100, 200, 500, 1000, 2000)
METHODS = ("lsh", "itq", "cca-itq", "batch")


def unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def main() -> None:
    parser = argparse.ArgumentParser(description="two-stage recall@10 vs exact search")
    parser.add_argument("features", type=Path)
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--space-power", type=float, default=2.0, help="CCA scaling power")
    parser.add_argument("--space-reg", type=float, default=1.0, help="CCA ridge")
    args = parser.parse_args()
    data = load_features(args.features)
    cca = CCAITQ(128, power=args.space_power, reg=args.space_reg).fit(
        PairedFeatures(data.image[data.train], data.text[data.train])
    )
    image = unit(cca.project_image(data.image))
    text = unit(cca.project_text(data.text))
    db = np.sort(data.database)
    print(
        f"{data.name}: {len(data.query)} queries, {len(db)} database items, "
        f"{args.bits} bits, aligned 128-d CCA space (power {args.space_power}, "
        f"reg {args.space_reg})"
    )
    print("method   dir  stage    " + " ".join(f"N={n:>5}" for n in SHORTLISTS) + "   ms/q@1000")
    for method in METHODS:
        supervised = method == "batch"
        hasher = create_hasher(method, args.bits).fit(
            PairedFeatures(
                image[data.train], text[data.train], data.labels[data.train] if supervised else None
            )
        )
        for direction, (queries, database, q_encode, d_encode, q_project) in {
            "T→I": (text, image, hasher.encode_text, hasher.encode_image, hasher.project_text),
            "I→T": (image, text, hasher.encode_image, hasher.encode_text, hasher.project_image),
        }.items():
            floats = FloatIndex(db.astype(np.int64), database[db])
            codes = CodeIndex.build(db, d_encode(database[db]), args.bits)
            assert np.array_equal(
                np.packbits(q_project(queries[data.query[:5]]) > 0, axis=1),
                q_encode(queries[data.query[:5]]),
            )
            projections = q_project(queries[data.query])
            for stage, factor in (("hamming", 1), ("+asym", CANDIDATE_FACTOR)):
                recalls, timing = [], 0.0
                for shortlist in SHORTLISTS:
                    hits = 0
                    started = time.perf_counter()
                    for i, row in enumerate(data.query):
                        coded = CodedQuery(np.packbits(projections[i] > 0), projections[i])
                        tenth = floats.top_k(queries[row], 10)[1][-1]
                        two = rank(
                            floats, codes, coded, queries[row], 10, "rerank", shortlist, factor
                        )
                        # a hit scores at least the exact 10th score: items tied with
                        # it (identical captions of one emoji) are equally right
                        found = floats.scores_of(queries[row], two.ids)
                        hits += int((found >= tenth - 1e-5).sum())
                    elapsed = time.perf_counter() - started
                    if shortlist == 1000:
                        timing = 1000 * elapsed / len(data.query)
                    recalls.append(hits / (10 * len(data.query)))
                cells = " ".join(f"{r:7.3f}" for r in recalls)
                print(f"{method:<8} {direction:<4} {stage:<8} {cells}   {timing:6.2f}")


if __name__ == "__main__":
    main()
