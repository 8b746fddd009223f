"""The Tabler icon set, held out of every sweep: 5,233 icons, 41 single-label categories.

``@tabler/icons`` ships ``icons.json`` (name -> ``category``, ``tags``, ``styles``) and
the drawings as ``icons/outline/NAME.svg`` and, for about a fifth of the icons,
``icons/filled/NAME.svg``. Each icon yields one image per style it is drawn in.
Text per image: the icon name with ``-`` as spaces, then its tags, each once.
Labels: the category (single label). Items (the split's groups) are icon names, so
the outline and filled drawings of one icon stay on one side of the split.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.errors import DatasetError
from hashlens_bench.catalogue import Artwork, Catalogue, icon_catalogue, read_package_json
from hashlens_bench.npm_packages import NpmPackage, PackageFetcher

STYLES = ("outline", "filled")
TABLER = NpmPackage(
    "@tabler/icons",
    "3.51.0",
    "sha512-0pinvPZz7YeX+OSfxuEAbnEPWbocVXW5iU8h5lh41pYG8sZuQfpWECC980lxOT0clGIcNGn8xsBr+zKaRGdA/g==",
    "MIT",
)


def load_tabler_catalogue(fetch: PackageFetcher) -> Catalogue:
    """Every categorised icon of ``@tabler/icons`` in each style whose SVG exists."""
    root = fetch(TABLER)
    icons = read_package_json(root / "icons.json")
    if not isinstance(icons, dict):
        raise DatasetError("@tabler/icons/icons.json is not a table of icons.")
    artworks: list[Artwork] = []
    uncategorised = 0
    for name in sorted(icons):
        icon = icons[name]
        category = str(icon.get("category") or "").strip() if isinstance(icon, dict) else ""
        if not category:
            uncategorised += 1
            continue
        text = icon_text(name, icon.get("tags", []))
        for style in STYLES:
            path = root / "icons" / style / f"{name}.svg"
            if path.is_file():
                artworks.append(Artwork(name, style, path.read_bytes(), text, (category,)))
    return icon_catalogue("tabler", artworks, TABLER, STYLES, "category", uncategorised)


def icon_text(name: str, tags: Sequence[Any], extra: Sequence[Any] = ()) -> str:
    """``name words: word, word`` from tags (and ``extra`` words), each once, in order."""
    title = name.replace("-", " ").strip()
    words: list[str] = []
    for word in [*tags, *extra]:
        cleaned = str(word).replace("-", " ").replace("_", " ").strip().lower()
        if cleaned and cleaned != title and cleaned not in words:
            words.append(cleaned)
    return f"{title}: {', '.join(words)}" if words else title
