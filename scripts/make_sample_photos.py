"""Write the sample photos shipped in ``resources/samples`` into a folder, captions as sidecars.

The eight photos are scikit-image's sample photos (``resources/samples/README.md``); each
gets its caption (the first line of its ``skimage.data`` loader's docstring) as a ``.txt``
sidecar, the way a user's captioned photos look to HashLens.
"""

from __future__ import annotations

import json
import shutil
import sys
from importlib.resources import files
from pathlib import Path


def main() -> None:
    dest = Path(sys.argv[1]).expanduser()
    dest.mkdir(parents=True, exist_ok=True)
    samples = files("resources") / "samples"
    captions: dict[str, str] = json.loads((samples / "captions.json").read_text("utf-8"))
    for name, caption in captions.items():
        with (samples / name).open("rb") as src, (dest / name).open("wb") as out:
            shutil.copyfileobj(src, out)
        (dest / name).with_suffix(".txt").write_text(caption + "\n", encoding="utf-8")
    print(f"{len(captions)} sample photos with captions in {dest}")


if __name__ == "__main__":
    main()
