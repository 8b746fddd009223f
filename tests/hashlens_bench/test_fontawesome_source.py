"""The held-out Font Awesome Free set on a fixture package, offline."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from core.errors import DatasetError
from hashlens_bench.builder import BuildOptions, build_dataset
from hashlens_bench.dataset import load_features
from hashlens_bench.fontawesome_source import FONTAWESOME, load_fontawesome_catalogue
from hashlens_bench.image_descriptors import DescriptorSettings
from tests.hashlens_bench.conftest import build_with_cli, serve, write_svg

SMALL = DescriptorSettings(size_px=32, hog_cell_px=8)

# name -> (search terms, older names, styles drawn, shape)
ICONS: dict[str, tuple[list[str], list[str], tuple[str, ...], str]] = {
    "house": (["home", "Building", "real-estate"], ["home-alt"], ("solid", "regular"), "square"),
    "hospital": (["clinic", "building"], [], ("solid", "regular"), "square"),
    "heart": (["love", "like"], [], ("solid",), "circle"),
    "arrow-left": (["back", "previous"], [], ("solid",), "bar"),
    "arrow-right": (["next"], ["forward"], ("solid",), "bar"),
    "github": (["octocat"], [], ("brands",), "circle"),
    "uncategorised-thing": (["orphan"], [], ("solid",), "bar"),
    "no-drawing": (["ghost"], [], (), "bar"),
}
# category key -> (display label, icons it lists)
CATEGORIES = {
    "buildings": ("Buildings", ["house", "hospital"]),
    "medical": ("Medical + Health", ["hospital", "heart"]),
    "arrows": ("Arrows", ["arrow-left", "arrow-right"]),
    "brands": ("Brands", ["github"]),
    "charity": ("Charity", ["heart", "no-drawing"]),
}


@pytest.fixture
def fa_root(tmp_path: Path) -> Path:
    root = tmp_path / "fontawesome" / "package"
    icons = {
        name: {
            "label": name.replace("-", " ").title(),
            "search": {"terms": terms},
            "aliases": {"names": aliases, "unicodes": {"primary": ["f000"]}},
            "styles": list(styles),
            "unicode": "f000",
        }
        for name, (terms, aliases, styles, _) in ICONS.items()
    }
    categories = {
        key: {"label": label, "icons": members} for key, (label, members) in CATEGORIES.items()
    }
    _write_yaml(root / "metadata" / "icons.yml", icons)
    _write_yaml(root / "metadata" / "categories.yml", categories)
    for name, (_, _, styles, shape) in ICONS.items():
        for style in styles:
            write_svg(root / "svgs" / style / f"{name}.svg", shape)
    return root


def test_catalogue_draws_each_categorised_icon_in_its_styles_with_all_its_categories(
    fa_root: Path,
) -> None:
    catalogue = load_fontawesome_catalogue(serve(FONTAWESOME, fa_root))

    drawn = [(a.key, a.style) for a in catalogue.artworks]
    assert ("house", "regular") in drawn
    assert ("house", "solid") in drawn
    assert ("github", "brands") in drawn
    assert "uncategorised-thing" not in {key for key, _ in drawn}  # no category lists it
    assert "no-drawing" not in {key for key, _ in drawn}  # listed, but no SVG in any style
    assert catalogue.notes["items_without_category"] == 1
    assert catalogue.notes["items"] == 6
    labels = {a.key: a.labels for a in catalogue.artworks}
    assert labels["hospital"] == ("Buildings", "Medical + Health")  # multi-label
    assert labels["heart"] == ("Charity", "Medical + Health")
    assert catalogue.label_names == (
        "Arrows", "Brands", "Buildings", "Charity", "Medical + Health",
    )  # fmt: skip
    house = next(a for a in catalogue.artworks if a.key == "house")
    assert house.text == "house: home, building, real estate, home alt"


def test_a_catalogue_that_is_not_a_table_is_a_dataset_error(fa_root: Path) -> None:
    (fa_root / "metadata" / "categories.yml").write_text("- just\n- a list\n", encoding="utf-8")

    with pytest.raises(DatasetError, match=r"categories\.yml is not a table"):
        load_fontawesome_catalogue(serve(FONTAWESOME, fa_root))


def test_broken_yaml_is_a_dataset_error_naming_the_file(fa_root: Path) -> None:
    (fa_root / "metadata" / "icons.yml").write_text("house: [unclosed\n", encoding="utf-8")

    with pytest.raises(DatasetError, match=r"Could not read icons\.yml"):
        load_fontawesome_catalogue(serve(FONTAWESOME, fa_root))


def test_a_package_without_categorised_icons_is_a_dataset_error(fa_root: Path) -> None:
    _write_yaml(fa_root / "metadata" / "categories.yml", {"empty": {"label": "Empty", "icons": []}})

    with pytest.raises(DatasetError, match="no categorised icons"):
        load_fontawesome_catalogue(serve(FONTAWESOME, fa_root))


def test_build_keeps_both_drawings_of_an_icon_on_one_side_and_records_the_licence(
    fa_root: Path, tmp_path: Path
) -> None:
    options = BuildOptions("fontawesome", text="tfidf", query_fraction=0.34, descriptors=SMALL)

    data = build_dataset(options, cache=tmp_path / "cache", fetch=serve(FONTAWESOME, fa_root))

    assert data.n_items == 8  # house and hospital twice, four icons once
    assert data.groups is not None
    query_icons = set(data.groups[data.query].tolist())
    assert query_icons
    assert not query_icons & set(data.groups[data.database].tolist())
    assert data.meta["source"]["licences"] == [f"{FONTAWESOME.spec}: {FONTAWESOME.licence}"]
    assert data.labels.sum(axis=1).max() == 2


def test_cli_builds_the_held_out_font_awesome_set(
    fa_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "fontawesome.npz"

    printed = build_with_cli(FONTAWESOME, fa_root, "fontawesome", out, capsys)

    assert "fontawesome-tfidf: 8 items drawn from 6 source items" in printed
    data = load_features(out)
    assert data.meta["source"]["packages"][0]["name"] == "@fortawesome/fontawesome-free"


def _write_yaml(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
