"""The quick start's sample library: the photos shipped in resources/samples, with captions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from PIL import Image

SCRIPT = Path(__file__).parents[1] / "scripts" / "make_sample_photos.py"


def test_every_shipped_sample_photo_is_written_with_its_caption(tmp_path: Path) -> None:
    # the script runs as the quick start runs it: a plain interpreter, no tests package
    done = subprocess.run(
        [sys.executable, "-P", str(SCRIPT), str(tmp_path / "samples")],
        capture_output=True, text=True, check=True, cwd=tmp_path,
    )  # fmt: skip
    assert "8 sample photos with captions" in done.stdout
    photos = sorted((tmp_path / "samples").glob("*.jpg"))
    assert [p.stem for p in photos] == [
        "astronaut", "brick", "chelsea", "coffee", "coins", "hubble_deep_field", "retina", "rocket",
    ]  # fmt: skip
    for photo in photos:
        with Image.open(photo) as image:
            assert min(image.size) == 256
        assert photo.with_suffix(".txt").read_text(encoding="utf-8").strip()
    assert "cat" in (tmp_path / "samples" / "chelsea.txt").read_text(encoding="utf-8")
