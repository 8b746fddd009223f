"""Raw OpenClipEncoder throughput with random weights (no download, no image decoding).

Usage: python benchmarks/encoder_throughput.py --model ViT-B-32 --batch 16 --repeats 5 --threads 2
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.config import EncoderConfig
from core.encoders.clip_encoder import load_encoder
from hashlens_bench.timing import median_seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="ViT-B-32")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()

    cfg = EncoderConfig(
        model=args.model,
        pretrained="random",
        device=args.device,
        batch_size=args.batch,
        num_threads=args.threads,
    )
    started_s = time.perf_counter()
    encoder = load_encoder(cfg)
    load_s = time.perf_counter() - started_s
    side = encoder.preprocess(Image.new("RGB", (8, 8))).shape[-1]  # 224 for ViT-B-32
    generator = torch.Generator().manual_seed(0)
    images = [torch.randn(3, side, side, generator=generator) for _ in range(args.batch)]
    texts = [f"a photo of a red square number {i} on a table" for i in range(args.batch)]

    image_s = median_seconds(lambda: encoder.encode_preprocessed(images), args.repeats)
    text_s = median_seconds(lambda: encoder.encode_texts(texts), args.repeats)

    print(f"model {encoder.model_id}, dim {encoder.dim}, device {encoder.device}")
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, load {load_s:.2f} s")
    print(f"images {side}x{side}, batch {args.batch}, median of {args.repeats} after a warm-up")
    print(f"encode_preprocessed: {image_s:.3f} s/batch -> {args.batch / image_s:.1f} images/s")
    print(f"encode_texts:        {text_s:.3f} s/batch -> {args.batch / text_s:.1f} texts/s")


if __name__ == "__main__":
    main()
