"""Issue 14, item 4's verdict from seeded generalisation runs: does method A beat method B?

Reads the JSON files that ``benchmarks/generalisation.py --seed S --out F`` writes, one run
per seed (each file's ``args.seed`` says which), and pairs method A with method B cell by
cell (same dataset, length and seed). A cell's score is the mean of its I→T and T→I mAP.

The rule (session 13, used for every item-4 verdict since, docs/benchmarks.md): per dataset,
take for every seed the mean of A − B over the lengths; the 95 % Student-t interval over
those per-seed means decides. Above 0: **met**; covers 0: **tie**; below 0: **loss**. The same
table also gives each length alone and how many cells A wins.

    python benchmarks/seed_verdict.py v-s*.json [--a hpseh --b batch] [--json out.json]

Item 5 by the same rule (session 20): ``--lpih`` reads ``benchmarks/lpih_protocol.py --out``
files instead, one run per seed, and holds LPIH against its stage 0 per dataset and
labelled share (a "set" is then "dataset at share"):

    python benchmarks/seed_verdict.py --lpih lpih-*.json

``--a`` and ``--b`` pick other rows of those files (``stage-0`` names stage 0), for
example a variant run with ``--extra`` against the default (session 22):

    python benchmarks/seed_verdict.py --lpih --a 'lpih(pseudo_trust=calibrated)' --b lpih *.json

The per-seed files may hold several datasets, and a dataset's seeds may be spread over
several files; a seed that appears twice for the same cell is an error, not an average.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import statistics
import sys
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from scipy import stats

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere
from benchmarks.lpih_protocol import CARRIED as STAGE_0

Key = tuple[str, int, int]  # dataset, bits, seed


@dataclass(frozen=True)
class Row:
    """A against B on one dataset at one length (or over all lengths: ``bits`` = "all")."""

    dataset: str
    bits: str
    seeds: int
    score_b: float
    score_a: float
    difference: float
    low: float
    high: float
    wins: int
    cells: int

    @property
    def verdict(self) -> str:
        """met, tie or loss by the interval; "n/a" with fewer than two seeds."""
        if math.isnan(self.low):
            return "n/a"
        return "met" if self.low > 0 else "loss" if self.high < 0 else "tie"


def read_cells(paths: Iterable[Path], method: str) -> dict[Key, float]:
    """Every scored cell of ``method`` in the run files, keyed by (dataset, bits, seed)."""
    cells: dict[Key, float] = {}
    for path in paths:
        run = json.loads(path.read_text(encoding="utf-8"))
        seed = int(run["args"]["seed"])
        for cell in run["cells"]:
            if cell["method"] != method or cell.get("i2t") is None:
                continue
            key = (str(cell["dataset"]), int(cell["bits"]), seed)
            if key in cells:
                raise ValueError(f"{path.name}: {method} on {key[0]}, {key[1]} bits, seed {seed} "
                                 "appears in two files")  # fmt: skip
            cells[key] = (float(cell["i2t"]) + float(cell["t2i"])) / 2
    return cells


def read_lpih_cells(paths: Iterable[Path], method: str) -> dict[Key, float]:
    """Every cell of ``method`` in lpih_protocol.py's files, keyed by ("dataset at share",
    bits, seed); the seed is the run's ``seed`` (its rows and labels)."""
    cells: dict[Key, float] = {}
    for path in paths:
        for run in json.loads(path.read_text(encoding="utf-8")):
            seed = int(run["seed"])
            for fraction, result in run["fractions"].items():
                for name, (i2t, t2i) in result["map"].items():
                    label, _, bits = name.rpartition("@")
                    if label != method:
                        continue
                    key = (f"{run['dataset']} at {100 * float(fraction):g} %", int(bits), seed)
                    if key in cells:
                        raise ValueError(f"{path.name}: {method} on {key[0]}, {key[1]} bits, "
                                         f"seed {seed} appears twice")  # fmt: skip
                    cells[key] = (float(i2t) + float(t2i)) / 2
    return cells


def interval(values: Sequence[float]) -> tuple[float, float, float]:
    """Mean and 95 % Student-t interval; NaN bounds with fewer than two values."""
    mean = statistics.fmean(values)
    if len(values) < 2:
        return mean, math.nan, math.nan
    half = stats.t.ppf(0.975, len(values) - 1) * statistics.stdev(values) / math.sqrt(len(values))
    return mean, mean - half, mean + half


def compare(a: dict[Key, float], b: dict[Key, float]) -> list[Row]:
    """One row per dataset and length, then one over all lengths, for the cells both have."""
    keys = sorted(set(a) & set(b))
    rows: list[Row] = []
    for dataset in sorted({k[0] for k in keys}, key=_natural):
        mine = [k for k in keys if k[0] == dataset]
        lengths = sorted({k[1] for k in mine})
        for bits in [*lengths, None]:
            chosen = [k for k in mine if bits is None or k[1] == bits]
            seeds = sorted({k[2] for k in chosen})
            per_seed = [
                statistics.fmean(a[k] - b[k] for k in chosen if k[2] == seed) for seed in seeds
            ]
            mean, low, high = interval(per_seed)
            rows.append(
                Row(
                    dataset=dataset,
                    bits="all" if bits is None else str(bits),
                    seeds=len(seeds),
                    score_b=statistics.fmean(b[k] for k in chosen),
                    score_a=statistics.fmean(a[k] for k in chosen),
                    difference=mean,
                    low=low,
                    high=high,
                    wins=sum(a[k] > b[k] for k in chosen),
                    cells=len(chosen),
                )
            )
    return rows


def _natural(name: str) -> list[object]:
    """Sort key that puts "x at 5 %" before "x at 10 %"."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def markdown(rows: Sequence[Row], a: str, b: str) -> str:
    """The rows as the table docs/benchmarks.md uses."""
    lines = [
        f"| set | bits | seeds | {b} | {a} | {a} − {b} | 95 % interval over seeds | "
        f"{a} wins | verdict |",
        "|---|---:|---:|---:|---:|---:|---|---:|---|",
    ]
    for r in rows:
        verdict = f"**{r.verdict}**" if r.bits == "all" else ""
        lines.append(
            f"| {r.dataset} | {r.bits} | {r.seeds} | {r.score_b:.4f} | {r.score_a:.4f} | "
            f"{r.difference:+.4f} | {r.low:+.4f} to {r.high:+.4f} | {r.wins}/{r.cells} | "
            f"{verdict} |"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("runs", nargs="+", type=Path, help="generalisation.py --out files")
    parser.add_argument(
        "--a", help="the method that should win (hpseh; with --lpih: lpih, or a variant of it)"
    )
    parser.add_argument(
        "--b", help="the method it is held against (batch; with --lpih: stage 0, or 'lpih')"
    )
    parser.add_argument(
        "--lpih",
        action="store_true",
        help="read lpih_protocol.py files: LPIH against its stage 0 (item 5)",
    )
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    args = parser.parse_args(argv)
    read = read_lpih_cells if args.lpih else read_cells
    defaults = ("lpih", STAGE_0) if args.lpih else ("hpseh", "batch")
    args.a, args.b = args.a or defaults[0], args.b or defaults[1]
    args.a, args.b = (STAGE_0 if m == "stage-0" else m for m in (args.a, args.b))
    try:
        rows = compare(read(args.runs, args.a), read(args.runs, args.b))
    except (OSError, ValueError, KeyError) as exc:
        print(f"seed_verdict: {exc}", file=sys.stderr)
        return 1
    if not rows:
        print(f"seed_verdict: no cell has both {args.a} and {args.b}.", file=sys.stderr)
        return 1
    print(markdown(rows, args.a, args.b))
    if args.json:
        payload = [{**asdict(r), "verdict": r.verdict} for r in rows]
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
