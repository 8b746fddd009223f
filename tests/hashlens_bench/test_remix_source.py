"""The held-out Remix Icon set on a fixture package, offline."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import DatasetError
from hashlens_bench.builder import BuildOptions, build_dataset
from hashlens_bench.dataset import load_features
from hashlens_bench.image_descriptors import DescriptorSettings
from hashlens_bench.remix_source import REMIX, load_remix_catalogue, split_style
from tests.hashlens_bench.conftest import build_with_cli, serve, write_svg

SMALL = DescriptorSettings(size_px=32, hog_cell_px=8)

# folder -> (file stem, shape)
FOLDERS: dict[str, list[tuple[str, str]]] = {
    "Arrows": [("arrow-left-line", "bar"), ("arrow-left-fill", "bar"), ("arrow-up-line", "bar")],
    "Buildings": [("home-line", "square"), ("home-fill", "square")],
    "Editor": [("bold", "bar"), ("ai-generate", "circle")],
    "Design": [("ai-generate-line", "circle"), ("ai-generate-fill", "circle")],
    "Health & Medical": [("heart-pulse-line", "circle"), ("heart-pulse-fill", "circle")],
}


@pytest.fixture
def remix_root(tmp_path: Path) -> Path:
    root = tmp_path / "remix" / "package"
    for folder, files in FOLDERS.items():
        for stem, shape in files:
            write_svg(root / "icons" / folder / f"{stem}.svg", shape)
    (root / "icons" / "Arrows" / "notes.txt").write_text("not a drawing", encoding="utf-8")
    return root


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("arrow-left-line", ("arrow-left", "line")),
        ("home-fill", ("home", "fill")),
        ("bold", ("bold", "single")),
        ("underline", ("underline", "single")),  # ends in "line" but not in "-line"
        ("-line", ("-line", "single")),  # nothing left without the suffix
    ],
)
def test_split_style_takes_only_a_dash_suffix(stem: str, expected: tuple[str, str]) -> None:
    assert split_style(stem) == expected


def test_catalogue_groups_the_drawings_of_an_icon_and_labels_it_by_its_folders(
    remix_root: Path,
) -> None:
    catalogue = load_remix_catalogue(serve(REMIX, remix_root))

    drawn = [(a.key, a.style) for a in catalogue.artworks]
    assert drawn == [
        ("ai-generate", "line"), ("ai-generate", "fill"), ("ai-generate", "single"),
        ("arrow-left", "line"), ("arrow-left", "fill"), ("arrow-up", "line"),
        ("bold", "single"), ("heart-pulse", "line"), ("heart-pulse", "fill"),
        ("home", "line"), ("home", "fill"),
    ]  # fmt: skip
    labels = {a.key: a.labels for a in catalogue.artworks}
    assert labels["arrow-left"] == ("Arrows",)
    assert labels["heart-pulse"] == ("Health & Medical",)
    assert labels["ai-generate"] == ("Design", "Editor")  # filed in two folders
    assert catalogue.label_names == ("Arrows", "Buildings", "Design", "Editor", "Health & Medical")
    assert catalogue.notes["items"] == 6
    texts = {a.key: a.text for a in catalogue.artworks}
    assert texts["heart-pulse"] == "heart pulse"


def test_a_package_without_an_icons_folder_is_a_dataset_error(tmp_path: Path) -> None:
    root = tmp_path / "empty" / "package"
    root.mkdir(parents=True)

    with pytest.raises(DatasetError, match="no icons folder"):
        load_remix_catalogue(serve(REMIX, root))


def test_a_package_without_drawings_is_a_dataset_error(tmp_path: Path) -> None:
    root = tmp_path / "bare" / "package"
    (root / "icons" / "Arrows").mkdir(parents=True)

    with pytest.raises(DatasetError, match="no categorised icons"):
        load_remix_catalogue(serve(REMIX, root))


def test_build_keeps_the_drawings_of_an_icon_on_one_side(remix_root: Path, tmp_path: Path) -> None:
    options = BuildOptions("remix", text="tfidf", query_fraction=0.34, descriptors=SMALL)

    data = build_dataset(options, cache=tmp_path / "cache", fetch=serve(REMIX, remix_root))

    assert data.n_items == 11
    assert data.groups is not None
    query_icons = set(data.groups[data.query].tolist())
    assert query_icons
    assert not query_icons & set(data.groups[data.database].tolist())
    assert data.meta["source"]["licences"] == [f"{REMIX.spec}: {REMIX.licence}"]


def test_cli_builds_the_held_out_remix_set(
    remix_root: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "remix.npz"

    printed = build_with_cli(REMIX, remix_root, "remix", out, capsys)

    assert "remix-tfidf: 11 items drawn from 6 source items" in printed
    data = load_features(out)
    assert data.meta["source"]["packages"][0]["name"] == "remixicon"
