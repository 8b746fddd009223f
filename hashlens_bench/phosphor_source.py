"""The Phosphor icon benchmark: 1,512 icons in six weights, with true multi-label categories.

The catalogue (``name``, ``categories``, ``tags``) ships only as JavaScript in
``dist/index.umd.js``, so it is read by running Node.js (installed with npm) on it.
Text per image: the icon name with ``-`` as spaces, then its tags (tags such as
``*new*`` that mark releases are dropped), or the name alone (``text_source="name"``).
Labels: the categories (18).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from core.errors import DatasetError
from hashlens_bench.catalogue import Artwork, Catalogue, TextSource
from hashlens_bench.npm_packages import NpmPackage, PackageFetcher

WEIGHTS = ("regular", "bold", "fill", "light", "thin", "duotone")
PHOSPHOR = NpmPackage(
    "@phosphor-icons/core",
    "2.1.1",
    "sha512-v4ARvrip4qBCImOE5rmPUylOEK4iiED9ZyKjcvzuezqMaiRASCHKcRIuvvxL/twvLpkfnEODCOJp5dM4eZilxQ==",
    "MIT",
)
NODE_TIMEOUT_S = 60
_NODE_SCRIPT = "process.stdout.write(JSON.stringify(require(process.argv[1]).icons))"

IconReader = Callable[[Path], Sequence[Mapping[str, Any]]]


def read_icons_with_node(root: Path) -> list[Mapping[str, Any]]:
    """The ``icons`` array of ``dist/index.umd.js``, evaluated by Node.js."""
    script = root / "dist" / "index.umd.js"
    try:
        done = subprocess.run(
            ["node", "-e", _NODE_SCRIPT, str(script.resolve())],
            check=True,
            capture_output=True,
            text=True,
            timeout=NODE_TIMEOUT_S,
        )
        icons = json.loads(done.stdout)
    except FileNotFoundError as exc:
        raise DatasetError(
            "Node.js is needed to read the Phosphor catalogue but was not found; install "
            "Node.js (it comes with npm) and try again.",
            str(exc),
        ) from exc
    except (subprocess.SubprocessError, ValueError) as exc:
        raise DatasetError("Could not read the Phosphor icon catalogue.", str(exc)) from exc
    if not isinstance(icons, list):
        raise DatasetError("The Phosphor catalogue is not a list of icons.")
    return icons


def load_phosphor_catalogue(
    fetch: PackageFetcher,
    read_icons: IconReader = read_icons_with_node,
    text_source: TextSource = "full",
) -> Catalogue:
    """Every icon in every weight whose SVG exists, with categories as labels.

    With ``text_source="name"`` each text is the icon name alone, without its tags.
    """
    root = fetch(PHOSPHOR)
    artworks: list[Artwork] = []
    for icon in read_icons(root):
        name = str(icon["name"])
        labels = tuple(sorted({str(c) for c in icon.get("categories", [])}))
        if not labels:
            continue
        text = phosphor_text(name, icon.get("tags", []) if text_source == "full" else [])
        for weight in WEIGHTS:
            suffix = "" if weight == "regular" else f"-{weight}"
            path = root / "assets" / weight / f"{name}{suffix}.svg"
            if path.is_file():
                artworks.append(Artwork(name, weight, path.read_bytes(), text, labels))
    if not artworks:
        raise DatasetError("The Phosphor package holds no labelled icons.")
    used = tuple(sorted({label for artwork in artworks for label in artwork.labels}))
    notes = {
        "styles": list(WEIGHTS),
        "label_scheme": "categories",
        "text_source": text_source,
        "items": len({a.key for a in artworks}),
    }
    return Catalogue("phosphor", artworks, used, (PHOSPHOR,), notes)


def phosphor_text(name: str, tags: Sequence[Any]) -> str:
    """``name words: tag, tag`` without release markers such as ``*new*``."""
    title = name.replace("-", " ")
    words: list[str] = []
    for tag in tags:
        cleaned = str(tag).strip()
        if cleaned and not cleaned.startswith("*") and cleaned != title and cleaned not in words:
            words.append(cleaned)
    return f"{title}: {', '.join(words)}" if words else title
