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
    # This machine kind's pip config names index folders that may be absent; drop
    # those warnings, keep every other message.
    .venv/bin/python -m pip install --disable-pip-version-check -q \
        -c requirements/constraints.txt -e '.[dev]' \
        2> >(grep -v "is ignored: it is neither a file nor a directory" >&2)
    echo "$want" > "$stamp"
fi
