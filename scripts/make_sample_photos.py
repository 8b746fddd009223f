"""Write the sample photos (scikit-image's real photos, captions as sidecars) into a folder."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.corpus import copy_real_photos


def main() -> None:
    dest = Path(sys.argv[1]).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    photos = copy_real_photos(dest)
    print(f"{len(photos)} sample photos with captions in {dest}")


if __name__ == "__main__":
    main()
