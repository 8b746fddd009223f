"""The ONNX runtime: same vectors and rankings as torch, the fast path, and every bad cache."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import open_clip
import pytest
import torch

from core.config import EncoderConfig
from core.encoders import onnx_export
from core.encoders.clip_encoder import OpenClipEncoder, load_encoder
from core.encoders.encoder_runtime import load_runtime_encoder
from core.encoders.fast_encoder import load_exported
from core.encoders.image_preprocess import ImagePreprocessor
from core.encoders.int8_check import (
    MIN_COSINE,
    MIN_MEAN_COSINE,
    MIN_TOP_K_AGREEMENT,
    remembered_verdicts,
    sample_photos,
)
from core.encoders.onnx_cache import FIDELITY_NAME, export_dir_name, read_config_record
from core.encoders.onnx_encoder import SPINNING_ENTRY, OnnxEncoder
from core.errors import ConfigError
from core.progress import Progress
from tests.conftest import TINY_MODEL_CFG, TinyClip
from tests.corpus import copy_real_photos

TEXTS = ["Chelsea the cat.", "a rocket launch", "coffee cup on a table", "", "moon " * 40]


def notices(log: list[Progress]) -> str:
    return " ".join(p.message for p in log if p.stage == "notice")


@pytest.fixture(scope="module")
def onnx_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("onnx")


@pytest.fixture(scope="module")
def exported(tiny_clip: TinyClip, onnx_root: Path) -> OnnxEncoder:
    encoder = load_runtime_encoder(tiny_clip.encoder_config(precision="fp32"), onnx_root=onnx_root)
    assert isinstance(encoder, OnnxEncoder)
    return encoder


def test_numpy_transform_matches_open_clip_on_real_photos(tmp_path: Path) -> None:
    transform = open_clip.image_transform(224, is_train=False)
    spec = onnx_export.describe_transform(transform)
    ours = ImagePreprocessor(spec)
    photos = copy_real_photos(tmp_path, as_jpeg=False)
    from PIL import Image

    for path in photos:
        with Image.open(path) as image:
            assert np.array_equal(ours(image), transform(image).numpy()), path.name


def test_normalisation_table_matches_open_clip_on_every_level() -> None:
    # The transform normalises through a per-channel table of the 256 uint8 levels; each
    # level in each channel must give open_clip's float32 value bit for bit. A 224 square
    # skips resize and crop, so only the scaling and normalisation are compared.
    from PIL import Image

    transform = open_clip.image_transform(224, is_train=False)
    ours = ImagePreprocessor(onnx_export.describe_transform(transform))
    levels = np.arange(224 * 224, dtype=np.int64).reshape(224, 224)
    pixels = np.stack([levels % 256, (levels * 7 + 3) % 256, 255 - levels % 256], axis=-1)
    image = Image.fromarray(pixels.astype(np.uint8), "RGB")
    got, want = ours(image), transform(image).numpy()
    assert got.dtype == np.float32
    assert got.flags.c_contiguous
    for channel in range(3):
        assert len(np.unique(pixels[:, :, channel])) == 256
    assert np.array_equal(got, want)


def test_same_vectors_and_rankings_as_torch(tiny_clip: TinyClip, exported: OnnxEncoder) -> None:
    reference = load_encoder(tiny_clip.encoder_config())
    photos = sample_photos()
    want_images, got_images = reference.encode_images(photos), exported.encode_images(photos)
    want_texts, got_texts = reference.encode_texts(TEXTS), exported.encode_texts(TEXTS)
    assert exported.model_id == reference.model_id
    assert exported.dim == reference.dim
    assert np.abs(got_images - want_images).max() < 1e-5
    assert np.abs(got_texts - want_texts).max() < 1e-5
    want_rank = np.argsort(-(want_texts @ want_images.T), axis=1, kind="stable")
    got_rank = np.argsort(-(got_texts @ got_images.T), axis=1, kind="stable")
    assert np.array_equal(got_rank, want_rank)


def test_sessions_do_not_spin_while_idle(exported: OnnxEncoder) -> None:
    # Indexing shares the cores with the decode threads: idle ONNX Runtime threads must
    # sleep, not busy-wait (onnxruntime spins by default).
    exported.encode_texts(TEXTS[:1])
    session = exported._session("text")
    assert session.get_session_options().get_session_config_entry(SPINNING_ENTRY) == "0"


def test_int8_vectors_do_not_depend_on_the_batch(
    tiny_clip: TinyClip, exported: OnnxEncoder, onnx_root: Path
) -> None:
    """Dynamic int8 scales activations per input tensor: each item must run alone."""
    assert exported.precision == {"vision": "fp32", "text": "fp32"}
    cfg = tiny_clip.encoder_config(precision="int8", batch_size=32)
    int8 = load_exported(cfg, onnx_root=onnx_root)
    assert isinstance(int8, OnnxEncoder)
    assert int8.precision == {"vision": "int8", "text": "int8"}
    photos = sample_photos()
    batched, alone = int8.encode_images(photos), [int8.encode_images([p])[0] for p in photos]
    assert np.array_equal(batched, np.stack(alone))
    texts = int8.encode_texts(TEXTS)
    assert np.array_equal(texts, np.stack([int8.encode_texts([t])[0] for t in TEXTS]))


def test_tokens_are_open_clips(tiny_clip: TinyClip, exported: OnnxEncoder) -> None:
    reference = load_encoder(tiny_clip.encoder_config())
    _, _, tokenizer = reference.parts()
    assert np.array_equal(exported.tokenize(TEXTS), tokenizer(TEXTS).numpy())


def test_export_is_reused_without_torch_loader_until_weights_change(
    tiny_clip: TinyClip, exported: OnnxEncoder, onnx_root: Path, tmp_path: Path
) -> None:
    cfg = tiny_clip.encoder_config(precision="fp32")
    again = load_exported(cfg, onnx_root=onnx_root)
    assert isinstance(again, OnnxEncoder)
    assert np.array_equal(again.encode_texts(TEXTS), exported.encode_texts(TEXTS))
    copy = tmp_path / "tiny.pt"
    shutil.copyfile(tiny_clip.weights_path, copy)
    moved = tiny_clip.encoder_config(pretrained=str(copy), precision="fp32")
    assert load_exported(moved, onnx_root=onnx_root) is None  # never resolved: full loader
    assert load_exported(tiny_clip.encoder_config(runtime="torch"), onnx_root=onnx_root) is None


def test_int8_check_runs_once_and_is_remembered(tiny_clip: TinyClip, tmp_path: Path) -> None:
    root = tmp_path / "onnx"
    cfg = tiny_clip.encoder_config()  # precision auto
    encoder = load_runtime_encoder(cfg, onnx_root=root)
    assert isinstance(encoder, OnnxEncoder)
    record = read_config_record(cfg, root)
    assert record is not None
    assert record.choice.runtime == "onnx"
    verdicts = remembered_verdicts(root / record.export)
    assert verdicts is not None
    assert set(verdicts) == {"vision", "text"}
    for tower, verdict in verdicts.items():
        expected = (
            verdict.min_cosine >= MIN_COSINE
            and verdict.mean_cosine >= MIN_MEAN_COSINE
            and verdict.top_k_agreement >= MIN_TOP_K_AGREEMENT
        )
        assert verdict.passed == expected
        assert encoder.precision[tower] == ("int8" if expected else "fp32")
    assert "int8 check" in record.choice.reason
    stamp = (root / record.export / FIDELITY_NAME).stat().st_mtime_ns
    log: list[Progress] = []
    load_runtime_encoder(cfg, onnx_root=root, progress=log.append)
    assert (root / record.export / FIDELITY_NAME).stat().st_mtime_ns == stamp
    assert "Checking the int8" not in notices(log)


def test_torch_runtime_setting_keeps_torch(tiny_clip: TinyClip, tmp_path: Path) -> None:
    cfg = tiny_clip.encoder_config(runtime="torch")
    encoder = load_runtime_encoder(cfg, onnx_root=tmp_path)
    assert isinstance(encoder, OpenClipEncoder)
    record = read_config_record(cfg, tmp_path)
    assert record is not None
    assert record.choice.runtime == "torch"
    assert "encoder.runtime" in record.choice.reason


def test_bad_runtime_settings_are_refused() -> None:
    with pytest.raises(ConfigError, match=r"encoder\.runtime"):
        EncoderConfig(runtime="tensorrt")
    with pytest.raises(ConfigError, match=r"encoder\.precision"):
        EncoderConfig(precision="int4")


def test_model_whose_export_fails_falls_back_to_torch_and_says_so(tmp_path: Path) -> None:
    folder = tmp_path / "squash-model"
    folder.mkdir()
    config = {"model_cfg": TINY_MODEL_CFG, "preprocess_cfg": {"resize_mode": "squash"}}
    (folder / "open_clip_config.json").write_text(json.dumps(config), encoding="utf-8")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        model = open_clip.create_model(f"local-dir:{folder}", pretrained=None, load_weights=False)
    torch.save(model.state_dict(), folder / "open_clip_pytorch_model.bin")
    cfg = EncoderConfig(model="squash", pretrained=str(folder), device="cpu")
    log: list[Progress] = []
    encoder = load_runtime_encoder(cfg, onnx_root=tmp_path / "onnx", progress=log.append)
    assert isinstance(encoder, OpenClipEncoder)
    assert "using the torch runtime" in notices(log)
    assert encoder.encode_texts(["still works"]).shape == (1, TINY_MODEL_CFG["embed_dim"])
    record = read_config_record(cfg, tmp_path / "onnx")
    assert record is not None
    assert record.choice.runtime == "torch"
    assert record.choice.reason.startswith("fallback:")
    again: list[Progress] = []  # the same failure is not retried on every load
    assert isinstance(
        load_runtime_encoder(cfg, onnx_root=tmp_path / "onnx", progress=again.append),
        OpenClipEncoder,
    )
    assert "failed before" in notices(again)


def test_cache_from_another_onnxruntime_is_replaced(tiny_clip: TinyClip, tmp_path: Path) -> None:
    root = tmp_path / "onnx"
    cfg = tiny_clip.encoder_config(precision="fp32")
    model_id = load_encoder(cfg).model_id
    foreign = root / export_dir_name(model_id, ort_version="1.0.0")
    foreign.mkdir(parents=True)
    (foreign / "manifest.json").write_text("{}", encoding="utf-8")
    log: list[Progress] = []
    encoder = load_runtime_encoder(cfg, onnx_root=root, progress=log.append)
    assert isinstance(encoder, OnnxEncoder)
    assert "another onnxruntime" in notices(log)
    assert not foreign.exists()
    assert (root / export_dir_name(model_id)).is_dir()


def test_damaged_export_is_detected_and_exported_again(tiny_clip: TinyClip, tmp_path: Path) -> None:
    root = tmp_path / "onnx"
    cfg = tiny_clip.encoder_config(precision="fp32")
    first = load_runtime_encoder(cfg, onnx_root=root)
    assert isinstance(first, OnnxEncoder)
    expected = first.encode_texts(TEXTS)
    text_file = root / export_dir_name(first.model_id) / "text.onnx"
    data = bytearray(text_file.read_bytes())
    data[100:200] = bytes(100)  # same size, different content
    text_file.write_bytes(bytes(data))
    assert load_exported(cfg, onnx_root=root) is None
    log: list[Progress] = []
    second = load_runtime_encoder(cfg, onnx_root=root, progress=log.append)
    assert isinstance(second, OnnxEncoder)
    assert "damaged" in notices(log)
    assert np.array_equal(second.encode_texts(TEXTS), expected)


def test_no_space_for_the_export_falls_back_to_torch(
    tiny_clip: TinyClip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    full = shutil.disk_usage(tmp_path)._replace(free=1024)
    monkeypatch.setattr(onnx_export.shutil, "disk_usage", lambda _path: full)
    root = tmp_path / "onnx"
    log: list[Progress] = []
    encoder = load_runtime_encoder(tiny_clip.encoder_config(), onnx_root=root, progress=log.append)
    assert isinstance(encoder, OpenClipEncoder)
    assert "not enough free space" in notices(log)
    assert [p.name for p in root.iterdir() if p.name != "configs"] == []


def test_write_failure_mid_export_leaves_nothing_behind(
    tiny_clip: TinyClip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def disk_full(*_args: object, **_kwargs: object) -> None:
        raise OSError(28, os.strerror(28))

    monkeypatch.setattr(onnx_export, "_quantise", disk_full)
    root = tmp_path / "onnx"
    log: list[Progress] = []
    encoder = load_runtime_encoder(tiny_clip.encoder_config(), onnx_root=root, progress=log.append)
    assert isinstance(encoder, OpenClipEncoder)
    assert "not enough free space" in notices(log)
    assert [p.name for p in root.iterdir() if p.name != "configs"] == []
