"""The Remix Icon set, held out of every sweep: 1,689 icons, 20 single-label categories.

Added in session 15 as a second never-tuned-on set nobody had looked at, and the first
single-label one since Tabler (where HPsEH and BATCH tie). ``remixicon`` ships its
drawings as ``icons/CATEGORY/NAME-line.svg`` and ``NAME-fill.svg`` (most icons), or
``icons/CATEGORY/NAME.svg`` (the editor glyphs, drawn once). The folder is the label:
the package has no other catalogue and no tags. An icon is its name without the style
suffix, and yields one image per drawing. Text per image: the name with ``-`` as spaces
(``arrow left``). Labels: the folders holding the icon's drawings (one, except where a
drawing was filed twice). Items (the split's groups) are icon names, so the line and
fill drawings of one icon stay on one side of the split.
"""

from __future__ import annotations

from pathlib import Path

from core.errors import DatasetError
from hashlens_bench.catalogue import Artwork, Catalogue, icon_catalogue
from hashlens_bench.npm_packages import NpmPackage, PackageFetcher

#: Style of a drawing, by the suffix of its file name; ``single`` has none.
STYLES = ("line", "fill", "single")
REMIX = NpmPackage(
    "remixicon",
    "4.9.1",
    "sha512-36gLSoujkabnCFZFDyP17VNh9piuBA/rsXUb4auSJWLGsHVXtmxLj/EM5FjaEAGnk8oIAj1Azob/DZ2N+90lAQ==",
    "Apache-2.0",
)


def load_remix_catalogue(fetch: PackageFetcher) -> Catalogue:
    """Every icon of ``remixicon`` in each style it is drawn in, labelled by its folders."""
    icons_dir = fetch(REMIX) / "icons"
    if not icons_dir.is_dir():
        raise DatasetError("The remixicon package has no icons folder.")
    drawings: dict[str, dict[str, Path]] = {}
    folders: dict[str, set[str]] = {}
    for folder in sorted(p for p in icons_dir.iterdir() if p.is_dir()):
        for path in sorted(folder.glob("*.svg")):
            name, style = split_style(path.stem)
            drawings.setdefault(name, {}).setdefault(style, path)
            folders.setdefault(name, set()).add(folder.name)
    artworks: list[Artwork] = []
    for name in sorted(drawings):
        text = name.replace("-", " ").strip()
        labels = tuple(sorted(folders[name]))
        drawn = drawings[name]
        for style in STYLES:
            if style in drawn:
                artworks.append(Artwork(name, style, _read(drawn[style]), text, labels))
    return icon_catalogue("remix", artworks, REMIX, STYLES, "folder", 0)


def split_style(stem: str) -> tuple[str, str]:
    """``("arrow-left", "line")`` from ``arrow-left-line``; ``(stem, "single")`` otherwise."""
    for style in ("line", "fill"):
        suffix = f"-{style}"
        if stem.endswith(suffix) and len(stem) > len(suffix):
            return stem.removesuffix(suffix), style
    return stem, "single"


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        message = f"Could not read {path.name} from the remixicon package."
        raise DatasetError(message, str(exc)) from exc
