#!/usr/bin/env bash
# Create .venv and install HashLens with its dev tools (plain pip; see README).
# Re-running is cheap: nothing is reinstalled unless pyproject.toml or the
# constraints changed.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=".venv/.hashlens-installed"
want="$(cat pyproject.toml requirements/constraints.txt | sha256sum | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
    .venv/bin/python -m pip install --disable-pip-version-check -q \
        -c requirements/constraints.txt -e '.[dev]'
    echo "$want" > "$stamp"
fi
