"""The Font Awesome Free icon set, held out of every sweep: 1,475 icons, 68 multi-label categories.

Added in session 14 as a never-tuned-on set nobody had looked at: Tabler and MDI had
been run in several sessions by then. ``@fortawesome/fontawesome-free`` ships
``metadata/icons.yml`` (icon name -> ``label``, ``search.terms``, ``aliases.names``,
``styles``), ``metadata/categories.yml`` (category -> ``label``, ``icons``) and the
drawings as ``svgs/STYLE/NAME.svg`` (styles ``solid``, ``regular``, ``brands``).
Each categorised icon yields one image per style it is drawn in. Text per image: the
icon name with ``-`` as spaces, then its search terms and its older names (aliases),
each once. Labels: the categories listing the icon (about two per icon). Items (the
split's groups) are icon names, so the solid and regular drawings of one icon stay on
one side of the split. Icons that no category lists are left out (they have no label).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from core.errors import DatasetError
from hashlens_bench.catalogue import Artwork, Catalogue, icon_catalogue
from hashlens_bench.npm_packages import NpmPackage, PackageFetcher
from hashlens_bench.tabler_source import icon_text

STYLES = ("solid", "regular", "brands")
#: PyYAML's safe loader, in its C build where PyYAML has one (icons.yml is 1.5 MB).
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
FONTAWESOME = NpmPackage(
    "@fortawesome/fontawesome-free",
    "7.3.1",
    "sha512-wmglKKPDIkgV3aWlZzWECCPoGIkYCulzBwxG9+w7rc5BGapZ6cPMpoPOT8k36J0Ni7PPX6c/rsoMWfS4d1MUMg==",
    "CC-BY-4.0 (Font Awesome Free icons by Fonticons, Inc., https://fontawesome.com)",
)


def load_fontawesome_catalogue(fetch: PackageFetcher) -> Catalogue:
    """Every categorised icon of Font Awesome Free in each style whose SVG exists."""
    root = fetch(FONTAWESOME)
    icons = _read_table(root / "metadata" / "icons.yml")
    categories = _read_table(root / "metadata" / "categories.yml")
    labels_of = _labels_by_icon(categories)
    artworks: list[Artwork] = []
    uncategorised = 0
    for name in sorted(icons, key=str):
        icon = icons[name]
        labels = tuple(sorted(labels_of.get(str(name), ())))
        if not labels or not isinstance(icon, Mapping):
            uncategorised += 1
            continue
        terms, older = _words(icon, "search", "terms"), _words(icon, "aliases", "names")
        text = icon_text(str(name), terms, older)
        for style in STYLES:
            path = root / "svgs" / style / f"{name}.svg"
            if path.is_file():
                artworks.append(Artwork(str(name), style, path.read_bytes(), text, labels))
    return icon_catalogue("fontawesome", artworks, FONTAWESOME, STYLES, "categories", uncategorised)


def _read_table(path: Path) -> Mapping[Any, Any]:
    """A YAML mapping from the package, or a DatasetError naming the file."""
    try:
        table = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise DatasetError(
            f"Could not read {path.name} from the Font Awesome package.", str(exc)
        ) from exc
    if not isinstance(table, Mapping):
        raise DatasetError(f"Font Awesome's {path.name} is not a table.")
    return table


def _labels_by_icon(categories: Mapping[Any, Any]) -> dict[str, set[str]]:
    """Icon name -> the display labels of the categories that list it."""
    labels: dict[str, set[str]] = {}
    for key, category in categories.items():
        if not isinstance(category, Mapping):
            continue
        label = str(category.get("label") or key).strip()
        for icon in category.get("icons") or ():
            labels.setdefault(str(icon), set()).add(label)
    return labels


def _words(icon: Mapping[str, Any], section: str, field: str) -> list[Any]:
    """``icon[section][field]`` as a list, or nothing when the entry lacks it."""
    block = icon.get(section)
    words = block.get(field) if isinstance(block, Mapping) else None
    return list(words) if isinstance(words, list) else []
