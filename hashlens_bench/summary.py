"""Sizes and label statistics of a feature dataset (for ``hashlens dataset info`` and docs)."""

from __future__ import annotations

from typing import Any

import numpy as np

from hashlens_bench.dataset import FeatureDataset


def summarise(data: FeatureDataset) -> dict[str, Any]:
    """A JSON-able summary: rows, dimensions, classes, label cardinality and split sizes."""
    per_class = data.labels.sum(axis=0)
    per_row = data.labels.sum(axis=1)
    summary: dict[str, Any] = {
        "name": data.name,
        "items": data.n_items,
        "image_dim": int(data.image.shape[1]),
        "text_dim": int(data.text.shape[1]),
        "classes": data.n_classes,
        "label_cardinality": round(float(per_row.mean()), 3),
        "rows_with_several_labels": int((per_row > 1).sum()),
        "rows_per_class": {
            "min": int(per_class.min()),
            "median": float(np.median(per_class)),
            "max": int(per_class.max()),
        },
        "train": int(data.train.size),
        "query": int(data.query.size),
        "database": int(data.database.size),
        "train_equals_database": bool(np.array_equal(data.train, data.database)),
    }
    if data.groups is not None:
        summary["source_items"] = int(np.unique(data.groups).size)
        summary["query_source_items"] = int(np.unique(data.groups[data.query]).size)
    return summary
