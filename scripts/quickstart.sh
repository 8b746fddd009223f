#!/usr/bin/env bash
# Set up HashLens, index a folder of photos into the default library and search it.
#   scripts/quickstart.sh [FOLDER] [QUERY]
# FOLDER defaults to a small set of sample photos with captions (made on first run).
# The default model (ViT-B-32, laion2b_s34b_b79k, ~600 MB) downloads once into the
# cache. On an offline machine point HASHLENS_ENCODER_PRETRAINED at a weights file.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
folder="${1:-}"
query="${2:-a cat}"
if [ -z "$folder" ]; then
    folder="$(.venv/bin/python -c 'from core.paths import data_dir; print(data_dir() / "sample-photos")')"
    .venv/bin/python scripts/make_sample_photos.py "$folder"
fi
.venv/bin/hashlens add "$folder"
.venv/bin/hashlens index
.venv/bin/hashlens status
echo
echo "Search: \"$query\""
.venv/bin/hashlens search "$query" --k 5
