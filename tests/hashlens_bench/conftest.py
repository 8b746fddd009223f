"""Tiny stand-ins for the npm packages the benchmark builders read (same file layout)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from core import paths
from desktop_app.cli.main import run
from hashlens_bench import emoji_source
from hashlens_bench.npm_packages import NpmPackage
from hashlens_bench.phosphor_source import PHOSPHOR

Fetch = Callable[[NpmPackage], Path]

_SHAPES = {
    "circle": '<circle cx="16" cy="16" r="12" fill="{c}"/>',
    "square": '<rect x="4" y="4" width="24" height="24" fill="{c}"/>',
    "bar": '<rect x="2" y="12" width="28" height="8" fill="{c}"/>',
}


def svg(shape: str, colour: str, size: int = 32) -> str:
    """A small SVG document with one filled shape."""
    body = _SHAPES[shape].format(c=colour)
    return f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}">{body}</svg>'


def write_svg(path: Path, shape: str, colour: str = "#000") -> None:
    """Write :func:`svg` to ``path``, making its folders."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(svg(shape, colour), encoding="utf-8")


def serve(package: NpmPackage, root: Path) -> Fetch:
    """A fetcher that serves the fixture folder ``root`` for ``package`` only."""

    def fetch(asked: NpmPackage) -> Path:
        assert asked == package
        return root

    return fetch


def install_in_cache(package: NpmPackage, root: Path) -> None:
    """Move the fixture folder where the CLI's npm fetch finds an unpacked ``package``."""
    target = paths.cache_dir() / "bench" / "npm" / package.tarball_name.removesuffix(".tgz")
    target.mkdir(parents=True)
    root.rename(target / "package")
    (target / ".hashlens-unpacked").write_text("fixture", encoding="utf-8")


def build_with_cli(
    package: NpmPackage, root: Path, source: str, out: Path, capsys: pytest.CaptureFixture[str]
) -> str:
    """Serve ``root`` as ``package`` from the cache, run ``dataset build SOURCE --text tfidf``
    into ``out`` through the CLI and return what it printed (the build must succeed)."""
    install_in_cache(package, root)
    code = run(["dataset", "build", source, "--text", "tfidf", "--out", str(out),
                "--no-progress", "--query-fraction", "0.34"])  # fmt: skip
    assert code == 0
    return capsys.readouterr().out


# (hexcode, emoji, label, tags, subgroup id, shape, colour)
EMOJI = [
    ("1F600", "\U0001f600", "grinning face", ["face", "grin"], 0, "circle", "#fc0"),
    ("1F603", "\U0001f603", "grinning face with big eyes", ["face", "smile"], 0, "circle", "#fd2"),
    ("1F44B", "\U0001f44b", "waving hand", ["hand", "wave"], 1, "bar", "#fa8"),
    ("1F44D", "\U0001f44d", "thumbs up", ["hand", "yes"], 1, "bar", "#f96"),
    ("1F436", "\U0001f436", "dog face", ["dog", "face"], 2, "square", "#a52"),
    ("1F431", "\U0001f431", "cat face", ["cat", "face"], 2, "square", "#b63"),
    ("2764-FE0F", "\u2764\ufe0f", "red heart", ["heart", "love"], 3, "circle", "#e00"),
    ("1F1EB-1F1F7", "\U0001f1eb\U0001f1f7", "flag: France", ["flag"], 4, "bar", "#00f"),
]
SUBGROUPS = {0: "face-smiling", 1: "hand-fingers-open", 2: "animal-mammal", 3: "heart", 4: "flag"}
GROUPS = {0: "smileys-emotion", 1: "people-body", 3: "animals-nature", 9: "flags"}
GROUP_OF_SUBGROUP = {0: 0, 1: 1, 2: 3, 3: 0, 4: 9}  # as emojibase files them


@pytest.fixture
def emoji_fetch(tmp_path: Path) -> Fetch:
    """A fetcher returning fixture folders laid out like the five emoji packages."""
    roots = {p.name: tmp_path / p.name.replace("/", "_") / "package" for p in emoji_source.PACKAGES}
    base = roots[emoji_source.EMOJIBASE.name]
    entries: list[dict[str, object]] = [
        {"label": "regional indicator A", "hexcode": "1F1E6", "emoji": "\U0001f1e6"}
    ]
    for hexcode, char, label, tags, subgroup, _, _ in EMOJI:
        entry: dict[str, object] = {"label": label, "hexcode": hexcode.replace("-FE0F", "")}
        entry.update(emoji=char, tags=tags, group=GROUP_OF_SUBGROUP[subgroup], subgroup=subgroup)
        if hexcode == "1F44B":  # a skin-tone variant, which the builder leaves out
            entry["skins"] = [{"label": "waving hand: dark skin tone", "hexcode": "1F44B-1F3FF"}]
        entries.append(entry)
    _write(base / "en" / "data.json", entries)
    _write(base / "meta" / "groups.json", {"subgroups": SUBGROUPS, "groups": GROUPS})
    keywords = {
        char.replace("\ufe0f", ""): [label.replace(" ", "_"), "extra"]
        for _, char, label, *_ in EMOJI
    }
    _write(roots[emoji_source.EMOJILIB.name] / "dist" / "emoji-en-US.json", keywords)
    for hexcode, _, _, _, _, shape, colour in EMOJI:
        path = roots[emoji_source.OPENMOJI.name] / "color" / "svg" / f"{hexcode}.svg"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(svg(shape, colour), encoding="utf-8")
    for package, skip_flags in ((emoji_source.NOTO, True), (emoji_source.TWEMOJI, False)):
        _iconify_set(roots[package.name], skip_flags)
    return lambda package: roots[package.name]


def _iconify_set(root: Path, skip_flags: bool) -> None:
    icons: dict[str, dict[str, object]] = {}
    chars: dict[str, str] = {}
    aliases: dict[str, dict[str, str]] = {}
    for hexcode, _, label, _, _, shape, colour in EMOJI:
        if skip_flags and label.startswith("flag"):
            continue
        name = label.replace(" ", "-").replace(":", "")
        body = svg(shape, colour).split(">", 1)[1].rsplit("<", 1)[0]
        if hexcode == "1F603":  # reached through an alias, as some real icons are
            icons[f"{name}-base"] = {"body": body}
            aliases[name] = {"parent": f"{name}-base"}
        else:
            icons[name] = {"body": body}
        chars[hexcode.lower()] = name
    _write(
        root / "icons.json",
        {"prefix": "x", "icons": icons, "aliases": aliases, "width": 32, "height": 32},
    )
    _write(root / "chars.json", chars)


# (name, categories, tags, shape)
ICONS = [
    ("acorn", ["nature", "finances"], ["*new*", "nut", "savings"], "circle"),
    ("address-book", ["communications"], ["contacts"], "square"),
    ("airplane", ["maps & travel"], ["flight", "travel"], "bar"),
    ("alarm", ["system"], ["clock", "timer"], "circle"),
    ("anchor", ["maps & travel", "nature"], ["sea"], "square"),
]
WEIGHT_COLOURS = {
    "regular": "#000",
    "bold": "#111",
    "fill": "#222",
    "light": "#333",
    "thin": "#444",
    "duotone": "#555",
}


@pytest.fixture
def phosphor_root(tmp_path: Path) -> Path:
    """A folder laid out like ``@phosphor-icons/core`` (UMD catalogue + six weights)."""
    root = tmp_path / "phosphor" / "package"
    catalogue = [{"name": n, "categories": c, "tags": t} for n, c, t, _ in ICONS]
    umd = (
        "(function(t){t.icons=" + json.dumps(catalogue) + "})(typeof exports=='object'?exports:{});"
    )
    (root / "dist").mkdir(parents=True)
    (root / "dist" / "index.umd.js").write_text(umd, encoding="utf-8")
    for name, _, _, shape in ICONS:
        for weight, colour in WEIGHT_COLOURS.items():
            suffix = "" if weight == "regular" else f"-{weight}"
            path = root / "assets" / weight / f"{name}{suffix}.svg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(svg(shape, colour), encoding="utf-8")
    return root


@pytest.fixture
def phosphor_fetch(phosphor_root: Path) -> Fetch:
    """A fetcher that serves the Phosphor fixture folder."""

    def fetch(package: NpmPackage) -> Path:
        assert package == PHOSPHOR
        return phosphor_root

    return fetch


def phosphor_icons(root: Path) -> list[dict[str, object]]:
    """The fixture catalogue, read without Node.js."""
    return [{"name": n, "categories": c, "tags": t} for n, c, t, _ in ICONS]


def _write(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data), encoding="utf-8")
