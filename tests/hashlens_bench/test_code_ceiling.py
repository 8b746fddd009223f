"""benchmarks/code_ceiling.py measures the codes the methods really learned."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.code_ceiling import captured_codes, run_cell
from core.hashing import PairedFeatures, create_hasher
from core.hashing.codes import unpack_bits
from core.hashing.models import batch as batch_module
from core.hashing.models.hpseh import HPsEH
from hashlens_bench.synthetic import make_synthetic

DATA = make_synthetic(300, 24, 16, 5, seed=3, noise=0.8, query_fraction=0.2)


@pytest.mark.parametrize("method", ["hpseh", "batch"])
def test_the_captured_codes_are_the_ones_the_functions_were_fitted_to(method: str) -> None:
    rows = DATA.train
    train = PairedFeatures(DATA.image[rows], DATA.text[rows], DATA.labels[rows])
    anchors = {"anchors": 100} if method == "hpseh" else {"anchors_image": 100, "anchors_text": 100}
    hasher = create_hasher(method, 16, seed=0, tune=False, **anchors)

    with captured_codes(method) as seen:
        hasher.fit(train)

    assert seen, "no training codes were captured"
    codes = seen[-1]
    assert codes.shape == (rows.size, 16)
    assert set(np.unique(codes)) <= {-1.0, 1.0}
    image_bits = unpack_bits(hasher.encode_image(DATA.image[rows]), 16)
    agreement = float(np.mean(image_bits == (codes > 0)))
    assert agreement > 0.9  # the fitted functions reproduce these codes on the training rows


def test_the_methods_are_restored_after_capturing() -> None:
    solve, ridge = HPsEH._solve, batch_module.ridge

    for method in ("hpseh", "batch"):
        with captured_codes(method):
            pass

    assert HPsEH._solve is solve
    assert batch_module.ridge is ridge


def test_a_cell_scores_every_code_set_through_the_common_predictor() -> None:
    cell = run_cell(DATA, 16, seed=0)

    assert set(cell) == {
        "own:hpseh", "own:batch",
        *(f"common:{c}:xi={xi}" for c in ("hpseh", "batch", "labels") for xi in ("1e-05", "0.01")),
    }  # fmt: skip
    assert all(0.0 <= value <= 1.0 for value in cell.values())
    assert cell["common:labels:xi=1e-05"] > 0.6  # five separable classes; chance is about 0.2
