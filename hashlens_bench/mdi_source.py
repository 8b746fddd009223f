"""The Material Design Icons set, held out of every sweep: 5,129 icons, 59 multi-label tags.

``@mdi/svg`` ships ``meta.json`` (one entry per icon: ``name``, ``aliases``, ``tags``,
``baseIconId``, ``deprecated``) and one drawing per icon, ``svg/NAME.svg``.
Deprecated icons and icons without a tag are left out. Text per image: the icon name
with ``-`` as spaces, then its aliases (other names of the same drawing), each once.
Labels: the tags (``"Account / User"``, ``"Home Automation"``...; 59 in use by current
icons; a quarter of the icons carry two or more).

Many icons are variants of a base icon (``account``, ``account-outline``,
``account-network-outline``...); ``baseIconId`` names the base. The variants share
words and labels and often most of the drawing, so **the split groups by icon family**
(the base icon), never by single icon: a family lies wholly among the queries or
wholly in the database. The catalogue's item key is the family's base icon name and
the artwork's style is the icon's own name.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import DatasetError
from hashlens_bench.catalogue import Artwork, Catalogue, read_package_json
from hashlens_bench.npm_packages import NpmPackage, PackageFetcher
from hashlens_bench.tabler_source import icon_text

MDI = NpmPackage(
    "@mdi/svg",
    "7.4.47",
    "sha512-WQ2gDll12T9WD34fdRFgQVgO8bag3gavrAgJ0frN4phlwdJARpE6gO1YvLEMJR0KKgoc+/Ea/A0Pp11I00xBvw==",
    "Apache-2.0 (Pictogrammers Material Design Icons)",
)


def load_mdi_catalogue(fetch: PackageFetcher) -> Catalogue:
    """Every tagged, current icon of ``@mdi/svg``, keyed by icon family."""
    root = fetch(MDI)
    meta = read_package_json(root / "meta.json")
    if not isinstance(meta, list):
        raise DatasetError("@mdi/svg/meta.json is not a list of icons.")
    entries = [e for e in meta if isinstance(e, dict) and "name" in e]
    names_by_id = {str(e.get("id")): str(e["name"]) for e in entries}
    artworks: list[Artwork] = []
    skipped = {"deprecated": 0, "untagged": 0, "no_drawing": 0}
    for entry in sorted(entries, key=lambda e: str(e["name"])):
        name = str(entry["name"])
        labels = tuple(sorted({str(t).strip() for t in entry.get("tags", []) if str(t).strip()}))
        path = root / "svg" / f"{name}.svg"
        reason = (
            "deprecated"
            if entry.get("deprecated")
            else "untagged"
            if not labels
            else "no_drawing"
            if not path.is_file()
            else None
        )
        if reason is not None:
            skipped[reason] += 1
            continue
        family = _family(entry, names_by_id)
        text = icon_text(name, [], entry.get("aliases", []))
        artworks.append(Artwork(family, name, path.read_bytes(), text, labels))
    if not artworks:
        raise DatasetError("The @mdi/svg package holds no tagged icons.")
    artworks.sort(key=lambda a: (a.key, a.style))
    used = tuple(sorted({label for artwork in artworks for label in artwork.labels}))
    notes: dict[str, Any] = {
        "styles": "one drawing per icon; variants of a base icon form one item",
        "label_scheme": "tags",
        "items": len({a.key for a in artworks}),
        "icons": len(artworks),
        "skipped": skipped,
        "grouped_by": "icon family (baseIconId)",
    }
    return Catalogue("mdi", artworks, used, (MDI,), notes)


def _family(entry: Mapping[str, Any], names_by_id: Mapping[str, str]) -> str:
    """The base icon's name (the icon's own name when it is a base or its base is unknown)."""
    base = str(entry.get("baseIconId") or entry.get("id") or "")
    return names_by_id.get(base, str(entry["name"]))
