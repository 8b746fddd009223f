"""The held-out IconPark and Unicons sets (iconify JSON with categories) on fixture packages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.errors import DatasetError
from hashlens_bench.builder import BuildOptions, build_dataset
from hashlens_bench.dataset import load_features
from hashlens_bench.iconify_source import ICONPARK, UNICONS, iconify_svg, load_iconify_catalogue
from hashlens_bench.image_descriptors import DescriptorSettings, render_svg
from tests.hashlens_bench.conftest import build_with_cli, serve

SMALL = DescriptorSettings(size_px=32, hog_cell_px=8)
_BODIES = {
    "circle": '<circle cx="24" cy="24" r="18" fill="currentColor"/>',
    "bar": '<path fill="none" stroke="currentColor" stroke-width="4" d="M4 24h40"/>',
    "square": '<rect x="8" y="8" width="32" height="32" fill="currentColor"/>',
}
ICONS = {
    "add-one": "circle",
    "add-three": "circle",
    "arrow-left": "bar",
    "arrow-up": "bar",
    "home": "square",
    "home-two": "square",
    "lonely": "circle",  # in no category
    "pin": "bar",
}
CATEGORIES = {
    "Arrows": ["arrow-left", "arrow-up", "pin"],
    "Base": ["add-one", "add-three", "pin"],
    "Build": ["home", "home-two", "add-alias"],  # add-alias is an alias, not an icon
}


def write_iconify(root: Path, categories: object = CATEGORIES) -> Path:
    """A fixture ``@iconify-json`` package: icons.json (48-px default box) and metadata.json."""
    root.mkdir(parents=True)
    icons = {name: {"body": _BODIES[shape]} for name, shape in ICONS.items()}
    icons["pin"]["width"] = 24  # an icon may override the set's box
    document = {"prefix": "x", "icons": icons, "width": 48, "height": 48}
    document["aliases"] = {"add-alias": {"parent": "add-one"}}
    (root / "icons.json").write_text(json.dumps(document), encoding="utf-8")
    (root / "metadata.json").write_text(json.dumps({"categories": categories}), encoding="utf-8")
    return root


@pytest.fixture
def iconpark_root(tmp_path: Path) -> Path:
    return write_iconify(tmp_path / "iconpark" / "package")


def test_catalogue_labels_each_icon_by_its_categories_and_leaves_the_rest_out(
    iconpark_root: Path,
) -> None:
    catalogue = load_iconify_catalogue("iconpark", serve(ICONPARK, iconpark_root))

    assert [a.key for a in catalogue.artworks] == [
        "add-one", "add-three", "arrow-left", "arrow-up", "home", "home-two", "pin",
    ]  # fmt: skip
    labels = {a.key: a.labels for a in catalogue.artworks}
    assert labels["home"] == ("Build",)
    assert labels["pin"] == ("Arrows", "Base")  # filed twice
    assert catalogue.label_names == ("Arrows", "Base", "Build")
    assert catalogue.notes["items_without_category"] == 1  # "lonely"; the alias is no icon
    assert {a.style for a in catalogue.artworks} == {"outline"}
    assert {a.text for a in catalogue.artworks if a.key == "home-two"} == {"home two"}


def test_drawings_get_the_set_box_or_their_own_and_render(iconpark_root: Path) -> None:
    icons = json.loads((iconpark_root / "icons.json").read_text(encoding="utf-8"))

    home = iconify_svg(icons, "home")
    assert b'viewBox="0 0 48 48"' in home
    assert b'viewBox="0 0 24 48"' in iconify_svg(icons, "pin")
    pixels = render_svg(home, 32)
    assert pixels.min() < 128  # the currentColor fill is drawn dark on white
    assert pixels.max() > 128


def test_a_set_without_categories_is_a_dataset_error(tmp_path: Path) -> None:
    root = write_iconify(tmp_path / "bare" / "package", categories=None)

    with pytest.raises(DatasetError, match="files no icon in a category"):
        load_iconify_catalogue("unicons", serve(UNICONS, root))


def test_a_malformed_category_is_a_dataset_error(tmp_path: Path) -> None:
    root = write_iconify(tmp_path / "odd" / "package", categories={"Arrows": "arrow-up"})

    with pytest.raises(DatasetError, match="not a list of icon names"):
        load_iconify_catalogue("unicons", serve(UNICONS, root))


def test_a_package_that_is_not_an_icon_set_is_a_dataset_error(tmp_path: Path) -> None:
    root = tmp_path / "broken" / "package"
    root.mkdir(parents=True)
    (root / "icons.json").write_text("[]", encoding="utf-8")
    (root / "metadata.json").write_text("{}", encoding="utf-8")

    with pytest.raises(DatasetError, match="not an @iconify-json icon set"):
        load_iconify_catalogue("iconpark", serve(ICONPARK, root))


def test_a_set_whose_categories_name_no_icon_is_a_dataset_error(tmp_path: Path) -> None:
    root = write_iconify(tmp_path / "empty" / "package", categories={"Arrows": ["gone"]})

    with pytest.raises(DatasetError, match="no categorised icons"):
        load_iconify_catalogue("iconpark", serve(ICONPARK, root))


def test_build_records_the_unicons_package(tmp_path: Path) -> None:
    root = write_iconify(tmp_path / "unicons" / "package")
    options = BuildOptions("unicons", text="tfidf", query_fraction=0.3, descriptors=SMALL)

    data = build_dataset(options, cache=tmp_path / "cache", fetch=serve(UNICONS, root))

    assert data.n_items == 7
    assert data.label_names == ("Arrows", "Base", "Build")
    assert data.meta["source"]["licences"] == [f"{UNICONS.spec}: {UNICONS.licence}"]
    assert data.query.size
    assert data.query.size + data.database.size == 7


def test_cli_builds_the_held_out_iconpark_set(
    iconpark_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "iconpark.npz"

    printed = build_with_cli(ICONPARK, iconpark_root, "iconpark", out, capsys)

    assert "iconpark-tfidf: 7 items drawn from 7 source items" in printed
    assert load_features(out).meta["source"]["packages"][0]["name"] == ICONPARK.name
