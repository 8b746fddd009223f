"""Decode cost of a RAW photo and a video for indexing (``open_image`` at the encoder's size).

Synthetic but real files (``tests.media_files``): a DNG of ``--megapixels`` (a Bayer mosaic
of a sample photo) with and without an embedded preview of 1620 x 1080 (what many cameras
embed), and an MPEG-4 video of ``--seconds`` at 1280 x 720, 30 fps, with a keyframe every
``--gop`` frames. Each case is decoded ``--repeats`` times in one process, interleaved, and
the median is reported, with the JPEG of the same photo as the baseline (ratios, not
absolute times, are what compare across machines). Real camera files differ (compressed
sensor data, real JPEG previews, H.264/HEVC video): these figures bound the shape of the
cost, not a camera's exact one.

Usage: ``.venv/bin/python benchmarks/raw_video_decode.py [--megapixels 24] [--seconds 20]
[--gop 250] [--repeats 5]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.media.image_io import open_image
from tests.corpus import skimage_data_dir
from tests.media_files import write_dng, write_video

MAX_PIXELS = 120_000_000
MIN_SIDE = 224


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megapixels", type=float, default=24.0)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--gop", type=int, default=250)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hashlens-rawvideo-") as tmp:
        folder = Path(tmp)
        cases = build(folder, args.megapixels, args.seconds, args.gop)
        times: dict[str, list[float]] = {name: [] for name in cases}
        for _ in range(args.repeats):
            for name, decode in cases.items():
                start = time.perf_counter()
                decode()
                times[name].append(time.perf_counter() - start)
    base = statistics.median(times["jpeg (baseline)"])
    print(f"{'case':<34} {'median s':>9} {'x jpeg':>8}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:<34} {median:>9.3f} {median / base:>8.1f}")


def build(
    folder: Path, megapixels: float, seconds: int, gop: int
) -> dict[str, Callable[[], object]]:
    width = int((megapixels * 1e6 * 3 / 2) ** 0.5) // 2 * 2
    height = width * 2 // 3 // 2 * 2
    with Image.open(skimage_data_dir() / "astronaut.png") as image:
        scene = image.convert("RGB").resize((width, height))
    jpeg = folder / "same.jpg"
    scene.save(jpeg, quality=92)
    pixels = np.asarray(scene)
    preview = np.asarray(scene.resize((1620, 1080)))
    with_preview = write_dng(folder / "preview.dng", pixels, size=(width, height), preview=preview)
    sensor_only = write_dng(folder / "sensor.dng", pixels, size=(width, height))
    with Image.open(skimage_data_dir() / "rocket.jpg") as image:
        frame = np.asarray(image.convert("RGB").resize((1280, 720)))
    frames = [np.roll(frame, 8 * i, axis=1) for i in range(30 * seconds)]
    video = write_video(folder / "clip.mp4", frames, fps=30, gop=gop, size=(1280, 720))
    print(f"DNG {width} x {height} ({width * height / 1e6:.1f} MP), video {seconds} s 720p, "
          f"gop {gop}: the frame at 10 % is {3 * seconds} frames in")  # fmt: skip

    def decoder(path: Path) -> Callable[[], object]:
        return lambda: open_image(path, max_pixels=MAX_PIXELS, min_side=MIN_SIDE)

    return {
        "jpeg (baseline)": decoder(jpeg),
        "dng, embedded preview": decoder(with_preview),
        "dng, half-size development": decoder(sensor_only),
        "video frame at 10 %": decoder(video),
    }


if __name__ == "__main__":
    main()
