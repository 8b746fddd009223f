"""Issue #15 diagnostic: what FPO-CMH's codebook rows hold after the novel-class stream.

Same split and stream as ``novel_stream.py``. After the stream, every streamed item is
placed by the final codebook, per modality, and the script prints: the share of the
novel-class items that land in a row and of the old-class items that do (those lose
their head codes), how many rows hold novel-class items, their purity (mean share of a
row's novel-class items that carry the row's majority class) and how many rows each
novel class is split into (1 would be ideal; a class in many rows does not find itself).

Usage:
    .venv/bin/python benchmarks/codebook_rows.py /work/datasets/phosphor.npz [--missing 0.5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: find benchmarks/

from benchmarks.novel_stream import fit_offline, novel_class_split
from benchmarks.online_stream import stream_items
from core.hashing import StreamBatch
from hashlens_bench.dataset import load_features


def main() -> None:
    parser = argparse.ArgumentParser(description="FPO-CMH codebook rows after the stream")
    parser.add_argument("features", type=Path)
    parser.add_argument("--bits", type=int, default=64)
    parser.add_argument("--missing", type=float, default=0.5)
    args = parser.parse_args()
    data = load_features(args.features)
    split = novel_class_split(data)
    model = fit_offline(data, split, args.bits, {})
    for row, has_image, has_text in stream_items(split.streamed, args.missing, seed=2):
        model.partial_fit(
            StreamBatch(
                image=data.image[row : row + 1] if has_image else None,
                text=data.text[row : row + 1] if has_text else None,
            )
        )
    book = model._codebook
    assert book is not None
    streamed = split.streamed
    novel = data.labels[streamed][:, split.novel_classes].sum(axis=1) > 0
    classes = data.labels[streamed].argmax(axis=1)
    print(f"{data.name}: {model.online_summary()['codebook_rows']} linked rows")
    for m, features, name in ((1, data.text, "captions"), (0, data.image, "photos")):
        placed = book.place(model.learner.targets.embed(features[streamed], m), m)
        in_rows = novel & (placed >= 0)
        rows, kinds = placed[in_rows], classes[in_rows]
        purity = np.mean(
            [np.bincount(kinds[rows == r]).max() / (rows == r).sum() for r in set(rows)]
        )
        split_into = np.mean([len(set(rows[kinds == c])) for c in set(kinds)])
        print(
            f"  {name}: novel-class items in rows {in_rows.sum() / novel.sum():.2f}, "
            f"old-class items in rows {(placed[~novel] >= 0).mean():.2f}; "
            f"{len(set(rows))} rows, purity {purity:.2f}, rows per novel class {split_into:.1f}"
        )


if __name__ == "__main__":
    main()
