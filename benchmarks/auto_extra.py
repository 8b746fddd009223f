"""Score extra method variants as ``--method auto`` would if they were candidates (issue 14).

``auto`` compares registered methods at their own settings. A variant (for example LPIH's
stage 0 alone, ``lpih(relearn=objective,iterations=0,self_training=0)``) is not one of
them. This script asks what validation would say of it: on the same rows, labelled share,
seed and validation split as ``benchmarks/auto_pick.py``, each variant runs the same
self-tuning search as an ``auto`` candidate, is refitted with its choice, and is scored on
the test queries. Read its validation and test figures beside auto_pick.py's for the same
cell: the candidates of one split are independent of each other.

Usage:
    OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/auto_extra.py /work/datasets/emoji.npz \\
        --fractions 0.1,0.25 --variants 'lpih(relearn=objective,iterations=0,self_training=0)' \\
        --out extra-emoji-s0.json
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from benchmarks.auto_pick import (
    cell_parser,
    fit_and_score,
    hasher_seed,
    library_cells,
    write_cells,
)
from benchmarks.lpih_protocol import Evaluator, Scores
from core.hashing import PairedFeatures
from core.hashing.selection import comparable, comparison_split, score_candidate
from core.hashing.validation import SplitRefused
from hashlens_bench.method_variant import parse_variant


def score_variant(
    ev: Evaluator, semi: PairedFeatures, bits: int, seed: int, variant: str
) -> dict[str, float | None]:
    """Validation on auto's split (after the variant's own search) and test mAP.

    None for both where the library is too small to hold pairs out: there ``auto`` uses
    its documented method and compares nothing.
    """
    parsed = parse_variant(variant)
    situation, data = comparable(semi)
    try:
        split = comparison_split(situation, data, bits, seed)
    except SplitRefused as exc:
        print(f"  {variant}: not scored, as auto compares nothing here: {exc}")
        return {"validation": None, "test": None}
    candidate = score_candidate(parsed.key, data, bits, seed, split, params=dict(parsed.params))
    test = fit_and_score(ev, Scores(), variant, semi, bits, seed, candidate.tuning)
    return {"validation": candidate.score, "test": test}


def main() -> None:
    parser = cell_parser(__doc__, "0.1,0.25")
    parser.add_argument("--variants", required=True, help="';'-separated method variants")
    args = parser.parse_args()
    ev, _, libraries = library_cells(args)
    cells: dict[str, dict[str, dict[str, float | None]]] = {}
    for fraction, semi in libraries:
        cell = {
            v: score_variant(ev, semi, args.bits, hasher_seed(args), v)
            for v in args.variants.split(";")
        }
        cells[f"{fraction:g}"] = cell
        for variant, figures in cell.items():
            print(
                f"{args.features.stem} {100 * fraction:g} % seed {args.seed}: {variant} {figures}"
            )
    write_cells(args, cells)


if __name__ == "__main__":
    main()
