"""The multi-style emoji benchmark: Unicode emoji drawn by Noto, Twemoji and OpenMoji.

Items are the base emoji of ``emojibase-data`` (English) that carry a group. Skin-tone
variants are left out: they repeat their base emoji's labels and text and differ
only in skin colour, so they would add near-duplicate pairs rather than new
content (see ``docs/datasets.md``). Each item yields one image per artwork style
that draws it (Noto has no flags, so flags have two styles).

Text per image: the emojibase label, then its CLDR tags, then the emojilib keywords,
each word list once. Labels: the emojibase subgroup (99 in use); with
``label_scheme="subgroup+tags"`` also every CLDR tag carried by at least
``TAG_MIN_ITEMS`` items (a multi-label variant; those tags also occur in the text);
with ``label_scheme="group"`` the emojibase group instead (10 broad classes: a coarse
single-label variant, for diagnosing how methods behave when classes are few).
Join key across packages: uppercase hex code points without ``FE0F``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from core.errors import DatasetError
from hashlens_bench.catalogue import (
    Artwork,
    Catalogue,
    TextSource,
    frequent_labels,
    read_package_json,
)
from hashlens_bench.iconify_source import iconify_svg
from hashlens_bench.npm_packages import NpmPackage, PackageFetcher

LabelScheme = Literal["subgroup", "subgroup+tags", "group"]
TAG_MIN_ITEMS = 15
STYLES = ("noto", "twemoji", "openmoji")

EMOJIBASE = NpmPackage(
    "emojibase-data",
    "17.0.0",
    "sha512-Yvgb5AWoHViHV/gq1qr5ZAarcBip+B27/ZLRsUJkbgAEaLlZ/fof9g882LTpmEpyhBNEC0m2SEmItljHsTygjA==",
    "MIT (emoji data; CLDR annotations under the Unicode licence)",
)
EMOJILIB = NpmPackage(
    "emojilib",
    "4.0.3",
    "sha512-KbWiYre9aRSaPbHrHZIz9zmoM+21LAsK1VFJtnTh1VCtWE/rNMDviGhQTmselFl95dhqtGlY22iH0leG5BuW0g==",
    "MIT",
)
OPENMOJI = NpmPackage(
    "openmoji",
    "17.0.0",
    "sha512-EBnYrNGdcdw+OSXmENeNE1yBNRu6tOraTmoOyUbJkTmvT/+XETp8RZLSJFzD3lrPc5N9CzsyPnRTk0Vp4UaI9w==",
    "CC-BY-SA-4.0 (OpenMoji artwork)",
)
NOTO = NpmPackage(
    "@iconify-json/noto",
    "1.2.9",
    "sha512-DQiuXENbun41ch+XPSV55H9FaWKpHTyz46YIKtSaKYD4fIDDzL1tR6H4np/T38jfrTAeI3rcKF0mqHYeZVAuaw==",
    "Apache-2.0 (Google Noto Emoji artwork)",
)
TWEMOJI = NpmPackage(
    "@iconify-json/twemoji",
    "1.2.5",
    "sha512-uKpuIEV0v6K5BW3Mjdyl+XKFVAbbcPxAgifKvEMtZoUZB5+YiY5zaMm2uNNCxyXzAWU9yNLlj41WU6/mvgALsw==",
    "CC-BY-4.0 (Twitter Twemoji artwork)",
)
PACKAGES = (EMOJIBASE, EMOJILIB, OPENMOJI, NOTO, TWEMOJI)


def join_key(hexcode: str) -> str:
    """Uppercase code points joined by ``-``, without the ``FE0F`` variation selector."""
    return "-".join(p for p in hexcode.upper().replace("_", "-").split("-") if p and p != "FE0F")


def load_emoji_catalogue(
    fetch: PackageFetcher,
    label_scheme: LabelScheme = "subgroup",
    text_source: TextSource = "full",
) -> Catalogue:
    """Read the five packages (fetched by ``fetch``) into a catalogue of artworks.

    With ``text_source="name"`` each text is the CLDR label alone, without tags and
    emojilib keywords.
    """
    roots = {package.name: fetch(package) for package in PACKAGES}
    entries = _base_emoji(roots[EMOJIBASE.name])
    groups_json = read_package_json(roots[EMOJIBASE.name] / "meta" / "groups.json")
    subgroups = _names(groups_json, "subgroups")
    groups = _names(groups_json, "groups") if label_scheme == "group" else {}
    keywords = _emojilib_keywords(roots[EMOJILIB.name])
    drawings: dict[str, Mapping[str, bytes]] = {
        "noto": iconify_svgs(roots[NOTO.name]),
        "twemoji": iconify_svgs(roots[TWEMOJI.name]),
        "openmoji": _openmoji_svgs(roots[OPENMOJI.name]),
    }
    tag_labels = frozenset(
        frequent_labels([e.get("tags", []) for e in entries], TAG_MIN_ITEMS)
        if label_scheme == "subgroup+tags"
        else ()
    )
    artworks: list[Artwork] = []
    for entry in entries:
        key = join_key(entry["hexcode"])
        tags = sorted(f"tag:{t}" for t in entry.get("tags", []) if t in tag_labels)
        labels = (
            (f"group:{groups[entry['group']]}",)
            if label_scheme == "group"
            else (f"subgroup:{subgroups[entry['subgroup']]}", *tags)
        )
        text = (
            emoji_text(entry, keywords.get(_strip_fe0f(entry["emoji"]), []))
            if text_source == "full"
            else str(entry["label"])
        )
        for style in STYLES:
            svg = drawings[style].get(key)
            if svg is not None:
                artworks.append(Artwork(key, style, svg, text, labels))
    used = sorted({label for artwork in artworks for label in artwork.labels})
    notes: dict[str, Any] = {
        "styles": list(STYLES),
        "label_scheme": label_scheme,
        "text_source": text_source,
        "skin_tone_variants": "excluded",
        "items": len({a.key for a in artworks}),
        "items_without_artwork": len(entries) - len({a.key for a in artworks}),
    }
    return Catalogue("emoji", artworks, tuple(used), PACKAGES, notes)


def emoji_text(entry: Mapping[str, Any], emojilib_words: list[str]) -> str:
    """``label: tag, tag, keyword, ...`` with every word list once, in source order."""
    label = str(entry["label"])
    words: list[str] = []
    for word in [*entry.get("tags", []), *emojilib_words]:
        cleaned = str(word).replace("_", " ").strip()
        if cleaned and cleaned != label and cleaned not in words:
            words.append(cleaned)
    return f"{label}: {', '.join(words)}" if words else label


def _base_emoji(root: Path) -> list[dict[str, Any]]:
    data = read_package_json(root / "en" / "data.json")
    if not isinstance(data, list):
        raise DatasetError("emojibase-data/en/data.json is not a list of emoji.")
    return [e for e in data if isinstance(e, dict) and "group" in e and "subgroup" in e]


def _names(meta: Any, table: str) -> dict[int, str]:
    """``meta[table]`` of emojibase's ``groups.json`` (``"groups"``, ``"subgroups"``) by id."""
    try:
        return {int(k): str(v) for k, v in meta[table].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        what = table.removesuffix("s")
        raise DatasetError(f"emojibase-data/meta/groups.json has no {what} table.") from exc


def _emojilib_keywords(root: Path) -> dict[str, list[str]]:
    data = read_package_json(root / "dist" / "emoji-en-US.json")
    if not isinstance(data, dict):
        raise DatasetError("emojilib/dist/emoji-en-US.json is not a keyword table.")
    return {_strip_fe0f(char): list(words) for char, words in data.items()}


def _strip_fe0f(text: str) -> str:
    return text.replace("\ufe0f", "")


def _openmoji_svgs(root: Path) -> dict[str, bytes]:
    folder = root / "color" / "svg"
    if not folder.is_dir():
        raise DatasetError("openmoji has no color/svg folder.")
    return {join_key(path.stem): path.read_bytes() for path in sorted(folder.glob("*.svg"))}


def iconify_svgs(root: Path) -> dict[str, bytes]:
    """Complete SVG documents from an ``@iconify-json`` set, keyed by emoji join key."""
    icons = read_package_json(root / "icons.json")
    chars = read_package_json(root / "chars.json")
    if not isinstance(icons, dict) or not isinstance(chars, dict) or "icons" not in icons:
        raise DatasetError(f"{root} is not an @iconify-json icon set.")
    result: dict[str, bytes] = {}
    for hexcode, name in chars.items():
        svg = _iconify_svg(icons, str(name))
        if svg is not None:
            result.setdefault(join_key(hexcode), svg)
    return result


def _iconify_svg(icons: Mapping[str, Any], name: str) -> bytes | None:
    aliases = icons.get("aliases", {})
    for _ in range(8):  # alias chains are short; a cycle ends here
        if name in icons["icons"]:
            return iconify_svg(icons, name)
        parent = aliases.get(name, {}).get("parent")
        if parent is None:
            return None
        name = str(parent)
    return None
