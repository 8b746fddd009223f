"""What LPIH's inheritance after relearning costs: fit seconds and coding time.

On a labelled dataset file (hashlens dataset build), 2,000 seeded training rows, 5 %
labelled, 64 bits. Prints the seconds of the inheritance step in one fit (the stage-3
matrices and the step itself), and the time to code the whole database, both
modalities, with the inherited functions added against the relearned method alone
(median of 7 after a warm-up, in the same process, and their ratio).

Usage:
    .venv/bin/python benchmarks/lpih_inherit_cost.py /work/datasets/emoji.npz
"""

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from core.hashing import PairedFeatures, create_hasher
from core.hashing.models import lpih, lpih_objective
from hashlens_bench.dataset import load_features
from hashlens_bench.splits import labelled_mask
from hashlens_bench.timing import median_seconds

spent: dict[str, float] = {}


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any) -> Any:
        start = time.perf_counter()
        out = fn(*args)
        spent[name] = spent.get(name, 0.0) + time.perf_counter() - start
        return out

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "dataset", type=Path, help="a labelled dataset file (hashlens dataset build)"
    )
    data = load_features(parser.parse_args().dataset)
    rows = np.sort(np.random.default_rng(0).choice(data.train, 2000, replace=False))
    mask = labelled_mask(rows.size, 0.05, 0)
    setattr(lpih, "prepare_stage3", timed("stage-3 matrices", lpih_objective.prepare_stage3))  # noqa: B010
    setattr(lpih.LPIH, "_inherit", timed("inheritance step", lpih.LPIH._inherit))  # noqa: B010
    start = time.perf_counter()
    model = create_hasher("lpih", 64).fit(
        PairedFeatures(data.image[rows], data.text[rows], data.labels[rows], mask)
    )
    fit = time.perf_counter() - start
    print(f"fit {fit:.1f} s; " + ", ".join(f"{k} {v:.2f} s" for k, v in spent.items()))
    assert isinstance(model, lpih.LPIH)
    images, texts = data.image[data.database], data.text[data.database]
    both = median_seconds(lambda: (model.encode_image(images), model.encode_text(texts)), 7)
    inherited, model._functions = model._functions, None  # the relearned method alone
    alone = median_seconds(lambda: (model.encode_image(images), model.encode_text(texts)), 7)
    model._functions = inherited
    print(
        f"coding {len(images)} items, both modalities: {both:.3f} s with the inheritance, "
        f"{alone:.3f} s for the relearned method alone ({both / alone:.2f}×; median of 7)"
    )


if __name__ == "__main__":
    main()
