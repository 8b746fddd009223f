"""Ablation for issue #15: FPO-CMH's novelty learner fed the *true* novel classes.

Same protocol as ``novel_stream.py`` (same split, stream order and stored codes), but
novelty detection is replaced by an oracle: a streamed item carrying a novel class
joins the row of its first novel class (opened at the class's first item, with a
codeword chosen as usual), every other item takes the spec's path. Everything else —
the block least-squares heads, codewords, margins, weights — is the real learner. The
gap between this and ``novel_stream.py --params novelty=1`` is what imperfect
pseudo-labels cost; the gap between this and BATCH is what the learner itself cannot
reach. It drives the learner's internals, so it is a diagnostic, not an app path.

Usage:
    nice -n 10 .venv/bin/python benchmarks/novel_stream_oracle.py /work/datasets/emoji.npz \\
        --missing 0.5 [--params rls_ridge=0.01]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: find benchmarks/

from benchmarks.novel_stream import Evaluator, fit_offline, novel_class_split
from benchmarks.online_stream import parse_params, stream_items
from core.hashing import Hasher
from core.hashing.fpo_cmh.heads import single_threaded_blas
from core.hashing.fpo_cmh.novelty import NovelRow
from hashlens_bench.dataset import load_features


def main() -> None:
    parser = argparse.ArgumentParser(description="FPO-CMH novelty learner with oracle rows")
    parser.add_argument("features", type=Path)
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--missing", type=float, default=0.5)
    parser.add_argument("--params", action="append", default=[], help="FPO-CMH setting k=v")
    args = parser.parse_args()
    data = load_features(args.features)
    split = novel_class_split(data)
    evaluator = Evaluator(data, split)
    model = fit_offline(data, split, args.bits, {"novelty": True, **parse_params(args.params)})
    frozen = Hasher.from_bytes(model.to_bytes())
    learner = model.learner
    novelty = learner.novelty
    assert novelty is not None
    items = stream_items(split.streamed, args.missing, seed=2)
    position = {int(r): i for i, r in enumerate(data.database)}
    stored = [c.copy() for c in evaluator.encode_database(model)]
    n = len(data.database)
    has = (np.ones(n, bool), np.ones(n, bool))
    for row, has_image, has_text in items:
        has[0][position[row]], has[1][position[row]] = has_image, has_text
    row_of: dict[int, int] = {}
    encoders = (model.encode_image, model.encode_text)
    with single_threaded_blas():
        for row, has_image, has_text in items:
            xs = (data.image[row] if has_image else None, data.text[row] if has_text else None)
            present = [m for m in (0, 1) if xs[m] is not None]
            for m in present:
                stored[m][position[row]] = encoders[m](xs[m][None, :])[0]  # type: ignore[index]
            novel = data.labels[row][split.novel_classes]
            if not novel.any():
                for m in present:
                    x = xs[m]
                    assert x is not None
                    labels = np.flatnonzero(learner.labels_of(x[None, :], m)[0]).tolist()
                    learner._spec_item(x, m, labels)
                    head = learner.heads[m]
                    z = head.pre_activation(head.features(x[None, :]))[0]
                    learner.blocks[m].add(x, z, 1.0)
                    learner._count(m)
                continue
            c = int(np.argmax(novel))
            if c not in row_of:
                codes = np.mean([learner._relaxed(m, xs[m][None, :])[0] for m in present], 0)  # type: ignore[index]
                word = novelty._codeword(codes, learner._old_signs())
                novelty.rows.append(NovelRow([None, None], [None, None], [0, 0], word, [[], []]))
                row_of[c] = len(novelty.rows) - 1
            for m in present:
                x = xs[m]
                assert x is not None
                novelty.join(row_of[c], m, learner.targets.embed(x[None, :], m)[0], x)
                learner.seen[m] += 1
                for joined_m, r, joined_x in novelty.drain():
                    learner.blocks[joined_m].add(
                        joined_x, novelty.rows[r].codeword, learner.settings.novel_weight
                    )
                learner._count(m)
    scores = {
        "frozen": evaluator.scores(frozen, evaluator.encode_database(frozen), has),
        "oracle stored": evaluator.scores(model, (stored[0], stored[1]), has),
        "oracle re-encoded": evaluator.scores(model, evaluator.encode_database(model), has),
    }
    for name, s in scores.items():
        print(f"{name}: {s.mean:.4f} (novel-class queries {s.novel_mean:.4f})")
    print(model.online_summary())


if __name__ == "__main__":
    main()
