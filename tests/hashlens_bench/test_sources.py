from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

from core.errors import DatasetError
from hashlens_bench.emoji_source import iconify_svgs, join_key, load_emoji_catalogue
from hashlens_bench.phosphor_source import load_phosphor_catalogue, read_icons_with_node
from tests.hashlens_bench.conftest import ICONS, Fetch, phosphor_icons


def test_join_key_drops_fe0f_and_uppercases() -> None:
    assert join_key("2764-fe0f") == "2764"
    assert join_key("1f1eb-1f1f7") == "1F1EB-1F1F7"


def test_emoji_catalogue_joins_styles_by_code_point_and_skips_skin_tones(
    emoji_fetch: Fetch,
) -> None:
    catalogue = load_emoji_catalogue(emoji_fetch)

    keys = {a.key for a in catalogue.artworks}
    assert len(keys) == 8  # the regional indicator (no group) and the skin tone are left out
    assert "1F44B-1F3FF" not in keys
    styles = {k: sorted(a.style for a in catalogue.artworks if a.key == k) for k in keys}
    assert styles["1F1EB-1F1F7"] == ["openmoji", "twemoji"]  # Noto draws no flags
    assert styles["2764"] == ["noto", "openmoji", "twemoji"]  # FE0F dropped in every source
    assert styles["1F603"] == ["noto", "openmoji", "twemoji"]  # reached through an alias
    assert catalogue.notes["skin_tone_variants"] == "excluded"
    assert len(catalogue.label_names) == 5


def test_emoji_text_joins_label_tags_and_emojilib_keywords_once(emoji_fetch: Fetch) -> None:
    catalogue = load_emoji_catalogue(emoji_fetch)
    heart = next(a for a in catalogue.artworks if a.key == "2764")

    assert heart.text == "red heart: heart, love, extra"
    assert heart.labels == ("subgroup:heart",)


def test_name_only_emoji_text_is_the_cldr_label_without_tags_or_keywords(
    emoji_fetch: Fetch,
) -> None:
    full = load_emoji_catalogue(emoji_fetch)
    names = load_emoji_catalogue(emoji_fetch, text_source="name")

    heart = next(a for a in names.artworks if a.key == "2764")
    assert heart.text == "red heart"
    assert names.notes["text_source"] == "name"
    assert [(a.key, a.style, a.labels) for a in names.artworks] == [
        (a.key, a.style, a.labels) for a in full.artworks
    ]
    pairs = zip(full.artworks, names.artworks, strict=True)
    assert all(f.text.startswith(n.text) for f, n in pairs)


def test_emoji_multilabel_scheme_adds_frequent_tags(
    emoji_fetch: Fetch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("hashlens_bench.emoji_source.TAG_MIN_ITEMS", 2)
    catalogue = load_emoji_catalogue(emoji_fetch, "subgroup+tags")

    assert "tag:face" in catalogue.label_names
    assert "tag:hand" in catalogue.label_names
    assert "tag:love" not in catalogue.label_names  # only one emoji carries it
    dog = next(a for a in catalogue.artworks if a.key == "1F436")
    assert dog.labels == ("subgroup:animal-mammal", "tag:face")
    matrix = catalogue.label_matrix()
    assert matrix.dtype == np.uint8
    assert matrix.sum(axis=1).min() >= 1


def test_emoji_group_scheme_labels_each_emoji_by_its_broad_group_only(emoji_fetch: Fetch) -> None:
    catalogue = load_emoji_catalogue(emoji_fetch, "group")

    labels = {a.key: a.labels for a in catalogue.artworks}
    assert labels["1F436"] == ("group:animals-nature",)
    assert labels["2764"] == ("group:smileys-emotion",)  # another subgroup, the same group
    assert labels["1F600"] == labels["2764"]
    assert catalogue.label_names == (
        "group:animals-nature", "group:flags", "group:people-body", "group:smileys-emotion",
    )  # fmt: skip
    assert catalogue.notes["label_scheme"] == "group"


def test_iconify_set_without_chars_is_a_dataset_error(tmp_path: Path) -> None:
    (tmp_path / "icons.json").write_text("[]", encoding="utf-8")
    (tmp_path / "chars.json").write_text("{}", encoding="utf-8")
    with pytest.raises(DatasetError, match="not an @iconify-json icon set"):
        iconify_svgs(tmp_path)


def test_phosphor_catalogue_has_six_weights_and_multi_label_categories(
    phosphor_fetch: Fetch,
) -> None:
    catalogue = load_phosphor_catalogue(phosphor_fetch, read_icons=phosphor_icons)

    assert len(catalogue.artworks) == len(ICONS) * 6
    acorn = [a for a in catalogue.artworks if a.key == "acorn"]
    assert {a.style for a in acorn} == {"regular", "bold", "fill", "light", "thin", "duotone"}
    assert acorn[0].labels == ("finances", "nature")
    assert acorn[0].text == "acorn: nut, savings"  # the *new* release marker is dropped
    assert catalogue.label_matrix().sum() == 6 * sum(len(c) for _, c, _, _ in ICONS)


def test_name_only_phosphor_text_drops_the_tags(phosphor_fetch: Fetch) -> None:
    catalogue = load_phosphor_catalogue(phosphor_fetch, phosphor_icons, text_source="name")

    texts = {a.key: a.text for a in catalogue.artworks}
    assert texts == {name: name.replace("-", " ") for name, *_ in ICONS}
    assert catalogue.notes["text_source"] == "name"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs Node.js")
def test_phosphor_catalogue_is_read_from_the_umd_bundle_with_node(phosphor_root: Path) -> None:
    icons = read_icons_with_node(phosphor_root)

    assert [i["name"] for i in icons] == [name for name, *_ in ICONS]


def test_phosphor_catalogue_that_node_cannot_run_is_a_dataset_error(tmp_path: Path) -> None:
    (tmp_path / "dist").mkdir()
    (tmp_path / "dist" / "index.umd.js").write_text("this is not javascript(", encoding="utf-8")
    with pytest.raises(DatasetError):
        read_icons_with_node(tmp_path)
