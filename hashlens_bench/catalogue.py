"""What a benchmark source yields before features exist: labelled SVG artworks with text."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from core.errors import DatasetError
from hashlens_bench.dataset import IndexArray, LabelArray
from hashlens_bench.npm_packages import NpmPackage

#: What an item's text holds: ``"full"`` (its name and every word list the source gives)
#: or ``"name"`` (the name alone, as Remix, IconPark and Unicons give).
TextSource = Literal["full", "name"]


@dataclass(frozen=True, slots=True)
class Artwork:
    """One image of the benchmark: an SVG drawing of a source item in one style.

    Attributes:
        key: The source item it draws (emoji id, icon name); the split groups by it.
        style: Artwork style or weight (``"noto"``, ``"bold"``...).
        svg: The SVG document.
        text: The text paired with this image.
        labels: Label names of the item (at least one).
    """

    key: str
    style: str
    svg: bytes
    text: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    """All artworks of one source, with the label vocabulary and provenance.

    Attributes:
        name: Source name (``"emoji"``, ``"phosphor"``).
        artworks: Every image, ordered by item then style.
        label_names: The label vocabulary, in column order.
        packages: The npm packages the data came from.
        notes: JSON-able facts about how the catalogue was assembled.
    """

    name: str
    artworks: Sequence[Artwork]
    label_names: tuple[str, ...]
    packages: Sequence[NpmPackage]
    notes: Mapping[str, Any] = field(default_factory=dict)

    def label_matrix(self) -> LabelArray:
        """``(n, c)`` uint8 multi-hot labels in ``label_names`` order."""
        column = {name: i for i, name in enumerate(self.label_names)}
        matrix = np.zeros((len(self.artworks), len(self.label_names)), dtype=np.uint8)
        for row, artwork in enumerate(self.artworks):
            matrix[row, [column[name] for name in artwork.labels]] = 1
        return matrix

    def group_ids(self) -> IndexArray:
        """One int64 id per artwork, equal for artworks of the same item."""
        ids: dict[str, int] = {}
        return np.array(
            [ids.setdefault(artwork.key, len(ids)) for artwork in self.artworks], dtype=np.int64
        )

    def source_meta(self) -> dict[str, Any]:
        """Packages, versions and licence lines for dataset metadata."""
        return {
            "packages": [
                {"name": p.name, "version": p.version, "integrity": p.integrity}
                for p in self.packages
            ],
            "licences": [f"{p.spec}: {p.licence}" for p in self.packages if p.licence],
            **dict(self.notes),
        }


def frequent_labels(label_sets: Sequence[Sequence[str]], min_items: int) -> tuple[str, ...]:
    """Labels carried by at least ``min_items`` of the given sets, sorted by name."""
    counts: dict[str, int] = {}
    for labels in label_sets:
        for label in set(labels):
            counts[label] = counts.get(label, 0) + 1
    return tuple(sorted(label for label, count in counts.items() if count >= min_items))


def read_package_json(path: Path) -> Any:
    """Parse a JSON file of a fetched package; raises :class:`DatasetError` if unreadable."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise DatasetError(
            f"Could not read {path.name} from a benchmark package.", str(exc)
        ) from exc


def icon_catalogue(
    name: str,
    artworks: Sequence[Artwork],
    package: NpmPackage,
    styles: Sequence[str],
    label_scheme: str,
    uncategorised: int,
) -> Catalogue:
    """The catalogue of an icon set whose icons are drawn in ``styles`` and split by name.

    Raises:
        DatasetError: No icon carries a label.
    """
    if not artworks:
        raise DatasetError(f"The {package.name} package holds no categorised icons.")
    used = tuple(sorted({label for artwork in artworks for label in artwork.labels}))
    notes: dict[str, Any] = {
        "styles": list(styles),
        "label_scheme": label_scheme,
        "items": len({a.key for a in artworks}),
        "items_without_category": uncategorised,
        "grouped_by": "icon name",
    }
    return Catalogue(name, artworks, used, (package,), notes)
