"""Precision–recall plots of a benchmark run, one PNG per code length and direction."""

from __future__ import annotations

from pathlib import Path

from hashlens_bench.runner import DIRECTION_TITLES, REFERENCE, BenchResult


def write_pr_plots(result: BenchResult, folder: Path) -> list[Path]:
    """Write ``pr-<dataset>-<direction>-<bits>.png`` files; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    written = []
    bits = sorted({r.n_bits for r in result.rows if r.method != REFERENCE})
    directions = list(dict.fromkeys(r.direction for r in result.rows))
    for n_bits in bits:
        for direction in directions:
            rows = [r for r in result.rows if r.direction == direction and r.n_bits in (n_bits, 0)]
            figure, axes = plt.subplots(figsize=(5.5, 4.2), dpi=110)
            for row in rows:
                label = f"{row.method} (mAP {row.metrics.map:.3f})"
                style = "--" if row.method == REFERENCE else "-"
                axes.plot(row.metrics.recall_grid, row.metrics.precision_curve, style, label=label)
            axes.set(
                xlabel="recall",
                ylabel="precision",
                xlim=(0, 1),
                ylim=(0, 1.02),
                title=f"{result.dataset} {DIRECTION_TITLES[direction]}, {n_bits} bits",
            )
            axes.grid(alpha=0.3)
            axes.legend(fontsize=8)
            path = folder / f"pr-{result.dataset or 'data'}-{direction}-{n_bits}.png"
            figure.tight_layout()
            figure.savefig(path)
            plt.close(figure)
            written.append(path)
    return written
