"""A cached folder of a few hundred distinct real photos for the indexing benchmarks.

Provenance:

* Source photos come from three Debian packages, fetched with ``apt-get download`` and
  unpacked with ``dpkg -x`` (no installation): ``mate-backgrounds`` (``mate/nature``:
  macro and landscape camera photos), ``lomiri-wallpapers-16.04`` (``*_by_<author>.jpg``:
  community camera photos, 1365-5312 px) and ``plasma-workspace-wallpapers`` (only the
  wallpapers in :data:`PLASMA_PHOTOS`, which are photographs; the rest of that package
  and the PNGs and abstract art of the others are digital renderings and are left out).
  Duplicates (symlinks, identical files) are dropped by content hash.
* Plus the eleven real photos shipped in the scikit-image wheel
  (``tests.corpus.copy_real_photos``: astronaut, cat, coffee, rocket, Hubble field,
  retina, coins, moon, ...), which are small (300-1000 px) and therefore upscaled.
* If ``apt-get`` or ``dpkg`` is unusable, only the scikit-image photos are used (this is
  reported in :attr:`PhotoSet.provenance`).

Each of the N files (default 300) is derived from one source photo (round robin) with a
seeded RNG: a random crop of 50-100% of the largest box of a random aspect ratio (4:3,
3:2, 16:9, 1:1; a quarter portrait), resized to a camera-like long side of 1600-4000 px,
mirrored half the time, and saved as JPEG (quality 70-95, EXIF capture date, every tenth
stored rotated with EXIF orientation 6), or as PNG, WebP or HEIC (4% each; HEIC with an
embedded 512 px thumbnail, as phones write a small preview; ``jpeg_only`` skips these). Every tenth
photo gets a ``.txt`` caption sidecar. So every file is a different real-photo image.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pillow_heif
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.corpus import REAL_PHOTO_CAPTIONS, copy_real_photos

DEFAULT_ROOT = Path("/tmp/hashlens-bench-photos")
DEB_PACKAGES = ("mate-backgrounds", "lomiri-wallpapers-16.04", "plasma-workspace-wallpapers")
PLASMA_PHOTOS = frozenset(
    {"BytheWater", "ColdRipple", "ColorfulCups", "DarkestHour", "EveningGlow", "FallenLeaf"}
    | {"Grey", "Kite", "OneStandsOut", "Path", "summer_1am"}
)
NOT_PHOTOS = frozenset({"umang_by_Abhishek_Mudgal"})  # a colour gradient
ASPECTS = ((4, 3), (3, 2), (16, 9), (1, 1))
VERSION = 3


@dataclass(frozen=True, slots=True)
class PhotoSet:
    """The photo folder and where its pixels came from."""

    folder: Path
    paths: list[Path]
    provenance: str


def _is_deb_photo(path: Path) -> bool:
    if path.suffix.lower() not in (".jpg", ".jpeg") or path.stem in NOT_PHOTOS:
        return False
    parts = path.parts
    if "wallpapers" in parts:
        wanted = parts[parts.index("wallpapers") + 1] in PLASMA_PHOTOS
    else:
        wanted = "nature" in parts or "_by_" in path.stem
    with Image.open(path) as image:
        return wanted and min(image.size) >= 1000  # not the 400 px previews


def fetch_deb_photos(work: Path) -> list[Path]:
    """Download and unpack the wallpaper packages; [] when apt or dpkg is unusable."""
    debs, root = work / "debs", work / "unpacked"
    debs.mkdir(parents=True, exist_ok=True)
    try:
        if not list(debs.glob("*.deb")):
            cmd = ["apt-get", "download", *DEB_PACKAGES]
            subprocess.run(cmd, cwd=debs, check=True, capture_output=True, timeout=600)
        if not root.exists():
            for deb in debs.glob("*.deb"):
                cmd = ["dpkg", "-x", str(deb), str(root)]
                subprocess.run(cmd, check=True, capture_output=True)
    except (OSError, subprocess.SubprocessError) as exc:
        print(f"apt/dpkg unusable ({exc}); falling back to scikit-image photos only")
        return []
    unique: dict[str, Path] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and _is_deb_photo(p)):
        unique.setdefault(hashlib.sha1(path.read_bytes()).hexdigest(), path)
    return sorted(unique.values())


def _caption_for(source: Path) -> str:
    if source.name in REAL_PHOTO_CAPTIONS:
        return REAL_PHOTO_CAPTIONS[source.name]
    name = source.parts[-4] if "wallpapers" in source.parts else source.stem
    return f"Photo: {name.replace('_', ' ')}."


def _derive(image: Image.Image, rng: random.Random) -> Image.Image:
    aw, ah = rng.choice(ASPECTS)
    if rng.random() < 0.25:
        aw, ah = ah, aw
    sw, sh = image.size
    scale = min(sw / aw, sh / ah) * rng.uniform(0.5, 1.0)
    cw, ch = max(1, int(aw * scale)), max(1, int(ah * scale))
    x, y = rng.randint(0, sw - cw), rng.randint(0, sh - ch)
    long_side = rng.randint(1600, 4000)
    size = (long_side, round(long_side * ch / cw)) if cw >= ch else (
        round(long_side * cw / ch), long_side
    )  # fmt: skip
    out = image.crop((x, y, x + cw, y + ch)).resize(size, Image.Resampling.BICUBIC)
    return out.transpose(Image.Transpose.FLIP_LEFT_RIGHT) if rng.random() < 0.5 else out


def _save(image: Image.Image, dest: Path, index: int, rng: random.Random, jpeg_only: bool) -> Path:
    roll = 1.0 if jpeg_only else rng.random()
    stem = dest / f"IMG_{index:04d}"
    if roll < 0.04:
        path = stem.with_suffix(".png")
        image.save(path, format="PNG", compress_level=6)
    elif roll < 0.08:
        path = stem.with_suffix(".webp")
        image.save(path, format="WEBP", quality=rng.randint(70, 90))
    elif roll < 0.12:
        path = stem.with_suffix(".heic")
        heif = pillow_heif.from_pillow(image)
        heif.save(str(path), quality=rng.randint(60, 85), thumbnails=[512])
    else:
        path = stem.with_suffix(".jpg")
        exif = Image.Exif()
        exif.get_ifd(0x8769)[0x9003] = (
            f"20{10 + index % 15}:0{1 + index % 9}:15 10:{index % 60:02d}:00"
        )
        if index % 10 == 3:
            exif[0x0112] = 6
            image = image.transpose(Image.Transpose.ROTATE_90)
        image.save(path, format="JPEG", quality=rng.randint(70, 95), exif=exif)
    return path


def _derive_from(job: tuple[str, list[int], str, int, int, bool]) -> list[str]:
    source, indices, dest, seed, caption_every, jpeg_only = job
    with Image.open(source) as opened:
        image = opened.convert("RGB")
    written = []
    for index in indices:
        rng = random.Random(seed * 1_000_003 + index)
        path = _save(_derive(image, rng), Path(dest), index, rng, jpeg_only)
        if caption_every and index % caption_every == 0:
            caption = f"{_caption_for(Path(source))} Crop {index}."
            path.with_suffix(".txt").write_text(caption + "\n", encoding="utf-8")
        written.append(str(path))
    return written


def build_photo_set(
    root: Path = DEFAULT_ROOT, n: int = 300, *, jpeg_only: bool = False
) -> PhotoSet:
    """Build (or reuse, when the manifest matches) ``root/photos`` with ``n`` photos."""
    folder, manifest = root / "photos", root / "manifest.json"
    seed, caption_every = 0, 10
    wanted = {"version": VERSION, "n": n, "jpeg_only": jpeg_only}
    saved = json.loads(manifest.read_text()) if manifest.exists() else {}
    if saved.get("params") == wanted and all(Path(p).exists() for p in saved["paths"]):
        return PhotoSet(folder, [Path(p) for p in saved["paths"]], saved["provenance"])
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    skimage = copy_real_photos(root / "sources" / "skimage", as_jpeg=False)
    debs = fetch_deb_photos(root / "sources")
    sources = sorted(debs) + skimage
    provenance = (
        f"{len(debs)} photos from Debian packages {', '.join(DEB_PACKAGES)}; " if debs else ""
    )
    provenance += f"{len(skimage)} scikit-image photos{'' if debs else ' ONLY (no apt-get)'}"
    jobs = [
        (str(src), list(range(k, n, len(sources))), str(folder), seed, caption_every, jpeg_only)
        for k, src in enumerate(sources)
    ]
    with ProcessPoolExecutor(2) as pool:
        paths = sorted(Path(p) for chunk in pool.map(_derive_from, jobs) for p in chunk)
    params = {"params": wanted, "provenance": provenance, "paths": [str(p) for p in paths]}
    manifest.write_text(json.dumps(params))
    return PhotoSet(folder, paths, provenance)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=Path, default=DEFAULT_ROOT, help="cache root")
    parser.add_argument("-n", type=int, default=300)
    parser.add_argument("--jpeg-only", action="store_true", help="no PNG/WebP/HEIC")
    args = parser.parse_args()
    started = time.perf_counter()
    photos = build_photo_set(args.photos, args.n, jpeg_only=args.jpeg_only)
    megabytes = sum(p.stat().st_size for p in photos.paths) / 1e6
    print(f"{len(photos.paths)} photos in {photos.folder} ({time.perf_counter() - started:.1f} s)")
    print(f"  from {photos.provenance}; {megabytes:.0f} MB")
    print(f"  formats {dict(Counter(p.suffix for p in photos.paths))}")


if __name__ == "__main__":
    main()
