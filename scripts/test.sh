#!/usr/bin/env bash
# Set up (if needed) and run every check: lint, format, types, import rules, tests.
set -euo pipefail
cd "$(dirname "$0")/.."
# The system libraries the window tests need (Xvfb, Qt's xcb libraries, cairo): installed
# when missing and this is root with apt-get; otherwise say loudly what will be skipped.
bash scripts/install_system_packages.sh
if ! command -v Xvfb >/dev/null; then
    echo "WARNING: Xvfb is not installed: the real-window tests (marker xvfb) will SKIP." >&2
    echo "         Install it with: sudo apt-get install xvfb libxcb-icccm4 libxcb-keysyms1" >&2
fi
bash scripts/setup.sh
export QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
.venv/bin/lint-imports
set +e
.venv/bin/pytest -q "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "pytest collected no tests: failing" >&2
    exit 1
fi
exit "$status"
