"""Every benchmark script answers ``--help`` from a fresh checkout, as its docstring runs it.

Two kinds of defect hid here before: scripts that import ``benchmarks.X`` without putting
the repository root on ``sys.path`` (their documented ``.venv/bin/python benchmarks/X.py``
failed with "No module named benchmarks"), and scripts that read ``sys.argv`` bare, so
``--help`` was taken as a size or a path. Each script runs in its own interpreter, the way
the docs run it, from outside the repository and without PYTHONPATH.
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
SCRIPTS = sorted(p for p in BENCHMARKS.glob("*.py") if p.name != "__init__.py")


def test_there_are_benchmark_scripts_to_check() -> None:
    assert len(SCRIPTS) >= 30


def _help(script: Path, cwd: Path, env: dict[str, str]) -> str | None:
    """None when ``script --help`` exits 0 with its usage line, else what went wrong."""
    done = subprocess.run(
        [sys.executable, str(script), "--help"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = done.stdout + done.stderr
    if done.returncode == 0 and f"usage: {script.name}" in done.stdout:
        return None
    return f"{script.name} (exit {done.returncode}): {output[-400:]}"


def test_every_benchmark_script_answers_help(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["QT_QPA_PLATFORM"] = "offscreen"
    # a few at a time: most of the cost is each interpreter's imports
    with ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(lambda s: _help(s, tmp_path, env), SCRIPTS))
    failed = [outcome for outcome in outcomes if outcome is not None]
    assert not failed, "\n".join(failed)
