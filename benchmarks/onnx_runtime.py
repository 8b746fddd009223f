"""Issue 16: the ONNX encoder runtime against torch and plain open_clip, as whole processes.

ViT-B-32 with RANDOM weights (the real compute), CPU. Everything below runs as separate
processes, imports and model loading included, alternating ``--repeats`` times in one run;
medians and ratios of medians are printed:

* ``python -c "import torch, open_clip"`` vs a cold ``hashlens search "TEXT"`` (target
  search <= 0.5x the import);
* ``hashlens index`` of N fresh 1024x768 JPEGs into a new library, with
  ``precision = auto`` (int8 where the model passed the check) and ``precision = fp32``,
  vs a plain open_clip eager script that decodes, preprocesses and encodes the same photos
  (target >= 1.5x its images/s);
* the first use of the model (export + int8 check) once, before the timed runs;
* the int8 check's figures for ViT-B-32 and for the tests' tiny model.

The photos are cut from scikit-image's real sample photos (random crop, flip and scale
per file, so no two are exact copies the indexer could reuse).

Usage: ``nice -n 10 .venv/bin/python benchmarks/onnx_runtime.py [-n 96] [--repeats 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

MODEL_ARGS = ["--model", "ViT-B-32", "--pretrained", "random", "--device", "cpu"]
QUERY = "a dog on the beach at sunset"
PLAIN_SCRIPT = """
import sys, time
from pathlib import Path
import torch, open_clip
from PIL import Image
torch.manual_seed(0)
model, _, preprocess = open_clip.create_model_and_transforms("ViT-B-32", pretrained=None)
model.eval()
paths = sorted(Path(sys.argv[1]).glob("*.jpg"))
vectors = []
with torch.inference_mode():
    for start in range(0, len(paths), 32):
        batch = [preprocess(Image.open(p).convert("RGB")) for p in paths[start:start + 32]]
        features = model.encode_image(torch.stack(batch))
        vectors.append(features / features.norm(dim=-1, keepdim=True))
print(sum(len(v) for v in vectors))
"""


def make_photos(folder: Path, count: int, seed: int) -> None:
    """``count`` distinct 1024x768 JPEGs cut from scikit-image's sample photos."""
    from tests.corpus import REAL_PHOTO_CAPTIONS, skimage_data_dir

    sources = [Image.open(skimage_data_dir() / n).convert("RGB") for n in REAL_PHOTO_CAPTIONS]
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    for i in range(count):
        image = rng.choice(sources)
        w, h = image.size
        cw, ch = int(w * rng.uniform(0.6, 1.0)), int(h * rng.uniform(0.6, 1.0))
        left, top = rng.randint(0, w - cw), rng.randint(0, h - ch)
        photo = image.crop((left, top, left + cw, top + ch)).resize((1024, 768))
        if rng.random() < 0.5:
            photo = photo.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
        photo.save(folder / f"photo_{i:04d}.jpg", quality=90)


def timed(cmd: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{result.stdout}\n{result.stderr}")
    return elapsed


def tiny_fidelity(home: Path) -> dict[str, object]:
    """The int8 check of the tests' tiny model (the same config and seed as the fixture)."""
    from core.config import EncoderConfig
    from core.encoders.encoder_runtime import load_runtime_encoder
    from core.encoders.int8_check import remembered_verdicts
    from core.encoders.onnx_cache import read_config_record
    from tests.conftest import TINY_MODEL_CFG, TINY_MODEL_NAME, save_tiny_weights

    config = home / f"{TINY_MODEL_NAME}.json"
    config.write_text(json.dumps(TINY_MODEL_CFG), encoding="utf-8")
    weights = save_tiny_weights(config, TINY_MODEL_NAME, home / "tiny.pt", seed=0)
    cfg = EncoderConfig(
        model=TINY_MODEL_NAME, pretrained=str(weights), model_config=str(config), device="cpu"
    )
    root = home / "tiny_onnx"
    load_runtime_encoder(cfg, onnx_root=root)
    record = read_config_record(cfg, root)
    assert record is not None
    verdicts = remembered_verdicts(root / record.export) or {}
    return {"choice": record.choice, **{t: v.describe() for t, v in verdicts.items()}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=96, help="fresh photos per index run")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    python = sys.executable
    hashlens = [python, "-m", "desktop_app.cli.main"]
    with tempfile.TemporaryDirectory(prefix="hashlens-onnx-bench-") as tmp_name:
        tmp = Path(tmp_name)
        env = {**os.environ, "HASHLENS_HOME": str(tmp / "home"), "PYTHONPATH": str(ROOT)}
        env.pop("HASHLENS_LIBRARY", None)
        warm = tmp / "warm"
        make_photos(warm, 8, seed=999)
        library = tmp / "warm.sqlite"
        started = time.perf_counter()
        timed([*hashlens, "--library", str(library), "index", str(warm), *MODEL_ARGS], env)
        first_use = time.perf_counter() - started
        status = subprocess.run(
            [*hashlens, "--library", str(library), "status", "--json"],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        runtime = json.loads(status.stdout)["encoder_runtime"]
        print(f"first use (torch import, export, int8 check, index 8 photos): {first_use:.1f} s")
        print(f"runtime chosen: {runtime}")
        folders = []
        for r in range(args.repeats):
            folder = tmp / f"photos{r}"
            make_photos(folder, args.n, seed=r)
            folders.append(folder)
        times: dict[str, list[float]] = {
            k: [] for k in ("import", "search", "auto", "fp32", "plain")
        }
        for r, folder in enumerate(folders):
            times["import"].append(timed([python, "-c", "import torch, open_clip"], env))
            search = [*hashlens, "--library", str(library), "search", QUERY, "--k", "5"]
            times["search"].append(timed(search, env))
            for precision in ("auto", "fp32"):
                lib = tmp / f"lib-{precision}-{r}.sqlite"
                run_env = {**env, "HASHLENS_ENCODER_PRECISION": precision}
                cmd = [*hashlens, "--library", str(lib), "index", str(folder), *MODEL_ARGS]
                times[precision].append(timed([*cmd, "--no-progress"], run_env))
            times["plain"].append(timed([python, "-c", PLAIN_SCRIPT, str(folder)], env))
            load = "/".join(f"{v:.1f}" for v in os.getloadavg())
            print(
                f"repeat {r + 1}: "
                + ", ".join(f"{k} {v[-1]:.2f} s" for k, v in times.items())
                + f" (load {load})"
            )
        med = {k: statistics.median(v) for k, v in times.items()}
        print(
            f"\nmedians of {args.repeats} (s): " + ", ".join(f"{k} {v:.2f}" for k, v in med.items())
        )
        ratio = med["search"] / med["import"]
        print(f"cold search / import torch+open_clip = {ratio:.2f} (target <= 0.5)")
        for precision in ("auto", "fp32"):
            ratio = med["plain"] / med[precision]
            print(
                f"hashlens index ({precision}) {args.n / med[precision]:.2f} img/s vs plain "
                f"open_clip {args.n / med['plain']:.2f} img/s: {ratio:.2f}x (target >= 1.5)"
            )
        print(f"\ntiny model int8 check: {tiny_fidelity(tmp)}")


if __name__ == "__main__":
    main()
