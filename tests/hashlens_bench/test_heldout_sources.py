"""The held-out icon sets (Tabler, Material Design Icons) on fixture packages, offline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import DatasetError
from hashlens_bench.builder import BuildOptions, build_dataset
from hashlens_bench.dataset import load_features
from hashlens_bench.image_descriptors import DescriptorSettings
from hashlens_bench.mdi_source import MDI, load_mdi_catalogue
from hashlens_bench.tabler_source import TABLER, icon_text, load_tabler_catalogue
from tests.hashlens_bench.conftest import build_with_cli, serve, write_svg

SMALL = DescriptorSettings(size_px=32, hog_cell_px=8)

# name -> (category, tags, has a filled drawing, shape)
TABLER_ICONS: dict[str, tuple[str, list[str], bool, str]] = {
    "arrow-left": ("Arrows", ["back", "previous"], True, "bar"),
    "arrow-right": ("Arrows", ["next", "forward"], False, "bar"),
    "circle": ("Shapes", ["round", "shape"], True, "circle"),
    "square": ("Shapes", ["box", "shape"], False, "square"),
    "heart": ("Health", ["love", "like"], True, "circle"),
    "first-aid-kit": ("Health", ["medical", "box"], False, "square"),
    "no-category": ("", ["orphan"], False, "bar"),
}

# name, id, baseIconId, tags, aliases, deprecated, shape
MDI_ICONS = [
    ("account", "A1", "A1", ["Account / User"], ["person", "user"], False, "circle"),
    ("account-outline", "A2", "A1", ["Account / User"], ["person-outline"], False, "circle"),
    ("account-heart", "A3", "A1", ["Account / User", "Medical / Hospital"], [], False, "square"),
    ("home", "H1", "H1", ["Home Automation", "Places"], ["house"], False, "square"),
    ("home-outline", "H2", "H1", ["Home Automation", "Places"], [], False, "square"),
    ("hospital", "P1", "P1", ["Medical / Hospital", "Places"], [], False, "bar"),
    ("hospital-box", "P2", "P1", ["Medical / Hospital"], ["hospital-building"], False, "bar"),
    ("old-thing", "O1", "O1", ["Places"], [], True, "bar"),
    ("untagged", "U1", "U1", [], [], False, "bar"),
]


@pytest.fixture
def tabler_root(tmp_path: Path) -> Path:
    root = tmp_path / "tabler" / "package"
    table = {
        name: {"name": name, "category": category, "tags": tags}
        for name, (category, tags, _, _) in TABLER_ICONS.items()
    }
    _write(root / "icons.json", table)
    for name, (_, _, filled, shape) in TABLER_ICONS.items():
        for style, colour in (("outline", "#000"), ("filled", "#333")):
            if style == "filled" and not filled:
                continue
            write_svg(root / "icons" / style / f"{name}.svg", shape, colour)
    return root


@pytest.fixture
def mdi_root(tmp_path: Path) -> Path:
    root = tmp_path / "mdi" / "package"
    meta = [
        {"name": n, "id": i, "baseIconId": b, "tags": t, "aliases": a, "deprecated": d}
        for n, i, b, t, a, d, _ in MDI_ICONS
    ]
    _write(root / "meta.json", meta)
    for name, *_, shape in MDI_ICONS:
        write_svg(root / "svg" / f"{name}.svg", shape)
    return root


def test_tabler_catalogue_draws_each_icon_in_its_styles_with_one_category(
    tabler_root: Path,
) -> None:
    catalogue = load_tabler_catalogue(serve(TABLER, tabler_root))

    keys = [a.key for a in catalogue.artworks]
    assert "no-category" not in keys  # an icon without a category has no label
    assert catalogue.notes["items_without_category"] == 1
    assert keys.count("arrow-left") == 2  # outline and filled
    assert keys.count("arrow-right") == 1  # outline only
    assert catalogue.label_names == ("Arrows", "Health", "Shapes")
    assert catalogue.label_matrix().sum(axis=1).tolist() == [1] * len(keys)
    kit = next(a for a in catalogue.artworks if a.key == "first-aid-kit")
    assert kit.text == "first aid kit: medical, box"


def test_icon_text_lists_words_once_without_repeating_the_name() -> None:
    assert icon_text("home-outline", ["Home", "house"], ["home-outline", "house_2"]) == (
        "home outline: home, house, house 2"
    )


def test_mdi_catalogue_groups_variants_by_family_and_keeps_every_tag(mdi_root: Path) -> None:
    catalogue = load_mdi_catalogue(serve(MDI, mdi_root))

    styles = {a.style: a for a in catalogue.artworks}
    assert set(styles) == {
        "account", "account-outline", "account-heart", "home", "home-outline",
        "hospital", "hospital-box",
    }  # fmt: skip
    assert catalogue.notes["skipped"] == {"deprecated": 1, "untagged": 1, "no_drawing": 0}
    assert styles["account-heart"].key == "account"  # its base icon
    assert styles["hospital-box"].key == "hospital"
    assert styles["account-heart"].labels == ("Account / User", "Medical / Hospital")
    assert styles["account"].text == "account: person, user"
    assert len(set(catalogue.group_ids().tolist())) == 3


def test_mdi_without_a_tagged_icon_is_a_dataset_error(tmp_path: Path) -> None:
    _write(tmp_path / "meta.json", [{"name": "x", "id": "1", "tags": []}])
    with pytest.raises(DatasetError, match="no tagged icons"):
        load_mdi_catalogue(serve(MDI, tmp_path))


def test_tabler_that_is_not_a_table_is_a_dataset_error(tmp_path: Path) -> None:
    _write(tmp_path / "icons.json", ["not", "a", "table"])
    with pytest.raises(DatasetError, match="not a table of icons"):
        load_tabler_catalogue(serve(TABLER, tmp_path))


def test_mdi_build_never_splits_a_family_and_records_licence(
    mdi_root: Path, tmp_path: Path
) -> None:
    options = BuildOptions("mdi", text="tfidf", query_fraction=0.34, descriptors=SMALL)

    data = build_dataset(options, cache=tmp_path / "cache", fetch=serve(MDI, mdi_root))

    assert data.n_items == 7
    assert data.groups is not None
    query_families = set(data.groups[data.query].tolist())
    assert len(query_families) == 1
    assert not query_families & set(data.groups[data.database].tolist())
    assert data.meta["split"]["grouped_by"] == "icon family (baseIconId)"
    assert (
        "@mdi/svg@7.4.47: Apache-2.0 (Pictogrammers Material Design Icons)"
        in (data.meta["source"]["licences"])
    )
    assert data.labels.sum(axis=1).max() == 2  # multi-label


def test_cli_builds_the_held_out_tabler_set(
    tabler_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "tabler-tfidf.npz"

    printed = build_with_cli(TABLER, tabler_root, "tabler", out, capsys)

    assert "tabler-tfidf: 9 items drawn from 6 source items" in printed
    data = load_features(out)
    assert data.label_names == ("Arrows", "Health", "Shapes")
    assert data.meta["source"]["packages"][0]["name"] == "@tabler/icons"


def _write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
