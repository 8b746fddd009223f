"""Icon sets in the ``@iconify-json`` format whose metadata files each icon in a category.

Added in session 16 as two more never-tuned-on single-label sets, to test session 15's
explanation of why HPsEH ties BATCH on Tabler and Remix (docs/benchmarks.md):

* ``iconpark``: ``@iconify-json/icon-park-outline`` (ByteDance IconPark, outline style),
  39 categories;
* ``unicons``: ``@iconify-json/uil`` (IconScout Unicons, line style), 27 categories.

An ``@iconify-json`` package holds every drawing in ``icons.json`` (``icons``: name →
SVG body, with the set's default ``width``/``height``; ``aliases``: other names of a
drawing) and, for some sets, ``metadata.json`` with ``categories``: category → icon
names. The category is the label (single label; an icon filed in two categories
carries both). Aliases are not icons and are skipped; icons without a category are
left out and counted. Text per image: the icon name with ``-`` as spaces (these
packages carry no tags). Each icon is drawn once; the split groups by icon name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, TypeGuard

from core.errors import DatasetError
from hashlens_bench.catalogue import Artwork, Catalogue, icon_catalogue, read_package_json
from hashlens_bench.npm_packages import NpmPackage, PackageFetcher

IconifySource = Literal["iconpark", "unicons"]
ICONPARK = NpmPackage(
    "@iconify-json/icon-park-outline",
    "1.2.4",
    "sha512-NyZxXe2gD2TbTOyoRRMdtEJhr6i2KQCdDlYYoOn5oZLndQjwpIhw79hzeFhXvP38/o40D3gQ+l+IaSJgbB+0TQ==",
    "Apache-2.0 (ByteDance IconPark)",
)
UNICONS = NpmPackage(
    "@iconify-json/uil",
    "1.2.3",
    "sha512-if91+UBhDQc6glPsIaXecGIcXnbQZfEO4Gdv89TV2xQ+V5e9GWbY5rNl2fsKZd8COsRQ5lRQAKimVQVL0CZZVg==",
    "Apache-2.0 (IconScout Unicons)",
)
#: Each source's package and the one style its icons are drawn in.
ICON_SETS: dict[IconifySource, tuple[NpmPackage, str]] = {
    "iconpark": (ICONPARK, "outline"),
    "unicons": (UNICONS, "line"),
}


def is_iconify_source(source: str) -> TypeGuard[IconifySource]:
    """Whether ``source`` is read by :func:`load_iconify_catalogue`."""
    return source in ICON_SETS


def load_iconify_catalogue(source: IconifySource, fetch: PackageFetcher) -> Catalogue:
    """Every categorised icon of ``source``'s package, labelled by its categories."""
    package, style = ICON_SETS[source]
    root = fetch(package)
    icons = read_package_json(root / "icons.json")
    metadata = read_package_json(root / "metadata.json")
    if not isinstance(icons, dict) or not isinstance(icons.get("icons"), dict):
        raise DatasetError(f"{package.spec} is not an @iconify-json icon set (no icons).")
    categories = metadata.get("categories") if isinstance(metadata, dict) else None
    if not isinstance(categories, dict):
        raise DatasetError(f"{package.spec} files no icon in a category (metadata.json).")
    filed = _categories_by_icon(categories)
    artworks = [
        Artwork(name, style, iconify_svg(icons, name), name.replace("-", " ").strip(), filed[name])
        for name in sorted(icons["icons"])
        if name in filed
    ]
    uncategorised = len(icons["icons"]) - len(artworks)
    return icon_catalogue(source, artworks, package, (style,), "category", uncategorised)


def iconify_svg(icons: Mapping[str, Any], name: str) -> bytes:
    """The complete SVG document of icon ``name`` (not an alias) of an iconify set."""
    icon = icons["icons"][name]
    width = icon.get("width", icons.get("width", 16))
    height = icon.get("height", icons.get("height", 16))
    box = f"{icon.get('left', 0)} {icon.get('top', 0)} {width} {height}"
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'viewBox="{box}">{icon["body"]}</svg>'
    ).encode()


def _categories_by_icon(categories: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    filed: dict[str, set[str]] = {}
    for category, names in categories.items():
        if not isinstance(names, list):
            raise DatasetError(f"The icon category {category!r} is not a list of icon names.")
        for name in names:
            filed.setdefault(str(name), set()).add(str(category))
    return {name: tuple(sorted(labels)) for name, labels in filed.items()}
