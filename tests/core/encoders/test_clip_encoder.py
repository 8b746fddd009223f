"""OpenClipEncoder on a tiny open_clip model loaded through the real checkpoint path."""

from __future__ import annotations

import json
import shutil
import socket
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import open_clip
import pytest
import torch
from PIL import Image

from core.config import EncoderConfig
from core.encoders.clip_encoder import OpenClipEncoder, load_encoder, resolve_device
from core.errors import ConfigError, ModelNotAvailableError
from tests.conftest import TINY_MODEL_CFG, TinyClip, save_tiny_weights


@pytest.fixture(scope="module")
def encoder(tiny_clip: TinyClip) -> OpenClipEncoder:
    return load_encoder(tiny_clip.encoder_config(batch_size=2))


def square(color: tuple[int, int, int], size: tuple[int, int] = (64, 48)) -> Image.Image:
    image = Image.new("RGB", size, (255, 255, 255))
    image.paste(color, (8, 8, 40, 40))
    return image


def assert_unit_rows(vectors: np.ndarray) -> None:
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


def test_tiny_model_loads_from_a_weights_file(
    encoder: OpenClipEncoder, tiny_clip: TinyClip
) -> None:
    assert encoder.dim == TINY_MODEL_CFG["embed_dim"]
    assert encoder.device == torch.device("cpu")
    assert encoder.model_id.startswith(f"{tiny_clip.model_name}:file:")


def test_images_encode_to_float32_unit_rows(encoder: OpenClipEncoder) -> None:
    vectors = encoder.encode_images([square((255, 0, 0)), square((0, 0, 255), (20, 90))])

    assert vectors.shape == (2, encoder.dim)
    assert vectors.dtype == np.float32
    assert_unit_rows(vectors)


def test_same_image_gives_identical_vectors_and_different_images_differ(
    encoder: OpenClipEncoder,
) -> None:
    red, blue = square((255, 0, 0)), square((0, 0, 255))

    first = encoder.encode_images([red, blue])
    again = encoder.encode_images([red.copy(), blue.copy()])

    np.testing.assert_array_equal(first, again)
    assert not np.allclose(first[0], first[1])


def test_preprocess_gives_the_model_input_without_calling_the_model(
    encoder: OpenClipEncoder,
) -> None:
    tensor = encoder.preprocess(square((0, 255, 0), (300, 200)))

    assert tensor.shape == (3, 32, 32)
    assert tensor.dtype == torch.float32


def test_batches_larger_than_batch_size_match_one_by_one_encoding(
    encoder: OpenClipEncoder,
) -> None:
    images = [square((40 * i, 255 - 40 * i, 0)) for i in range(5)]
    tensors = [encoder.preprocess(image) for image in images]

    together = encoder.encode_preprocessed(tensors)
    alone = np.concatenate([encoder.encode_preprocessed([t]) for t in tensors])

    assert together.shape == (5, encoder.dim)
    np.testing.assert_allclose(together, alone, atol=1e-5)


def test_texts_encode_including_ones_longer_than_the_context(encoder: OpenClipEncoder) -> None:
    long_caption = "a red square " * 20
    vectors = encoder.encode_texts(["a red square", "a blue circle", long_caption])

    assert vectors.shape == (3, encoder.dim)
    assert vectors.dtype == np.float32
    assert_unit_rows(vectors)
    assert not np.allclose(vectors[0], vectors[1])


def test_empty_inputs_give_empty_float32_arrays(encoder: OpenClipEncoder) -> None:
    for empty in (encoder.encode_images([]), encoder.encode_texts([])):
        assert empty.shape == (0, encoder.dim)
        assert empty.dtype == np.float32
    assert encoder.encode_preprocessed([]).shape == (0, encoder.dim)


def test_concurrent_callers_get_the_same_vectors(encoder: OpenClipEncoder) -> None:
    batch = [encoder.preprocess(square((255, 0, 0)))] * 3
    expected = encoder.encode_preprocessed(batch)
    results: list[np.ndarray] = []

    def work() -> None:
        results.append(encoder.encode_preprocessed(batch))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(results) == 4
    for result in results:
        np.testing.assert_array_equal(result, expected)


def test_model_id_is_stable_and_follows_the_weights_not_the_path(
    tmp_path: Path, encoder: OpenClipEncoder, tiny_clip: TinyClip
) -> None:
    moved = shutil.copy(tiny_clip.weights_path, tmp_path / "moved.pt")
    other = save_tiny_weights(tiny_clip.config_path, tiny_clip.model_name, tmp_path / "o.pt", 1)
    red = [square((255, 0, 0))]

    again = load_encoder(tiny_clip.encoder_config())
    from_moved = load_encoder(tiny_clip.encoder_config(pretrained=str(moved)))
    from_other = load_encoder(tiny_clip.encoder_config(pretrained=str(other)))

    assert again.model_id == from_moved.model_id == encoder.model_id
    np.testing.assert_array_equal(from_moved.encode_images(red), encoder.encode_images(red))
    assert from_other.model_id != encoder.model_id
    assert not np.allclose(from_other.encode_images(red), encoder.encode_images(red))


def test_local_dir_folder_loads_like_the_file(
    tmp_path: Path, encoder: OpenClipEncoder, tiny_clip: TinyClip
) -> None:
    config = {"model_cfg": TINY_MODEL_CFG, "preprocess_cfg": {}}
    (tmp_path / "open_clip_config.json").write_text(json.dumps(config))
    shutil.copy(tiny_clip.weights_path, tmp_path / "open_clip_pytorch_model.bin")
    texts = ["a red square"]

    from_dir = load_encoder(EncoderConfig(model="my-tiny", pretrained=str(tmp_path), device="cpu"))

    assert from_dir.model_id == encoder.model_id.replace(tiny_clip.model_name, "my-tiny")
    assert from_dir.dim == encoder.dim
    np.testing.assert_allclose(from_dir.encode_texts(texts), encoder.encode_texts(texts), atol=1e-6)


def test_folder_with_a_single_checkpoint_loads(tmp_path: Path, tiny_clip: TinyClip) -> None:
    shutil.copy(tiny_clip.weights_path, tmp_path / "weights.pt")

    loaded = load_encoder(tiny_clip.encoder_config(pretrained=str(tmp_path)))

    assert loaded.encode_texts(["x"]).shape == (1, loaded.dim)


def test_cached_tag_loads_from_the_cache_without_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_clip: TinyClip
) -> None:
    tag_cfg = {"hf_hub": "hashlens/tiny-test/", "mean": (0.5,) * 3, "std": (0.5,) * 3}
    monkeypatch.setitem(open_clip.pretrained._PRETRAINED, tiny_clip.model_name, {"tiny": tag_cfg})
    snapshot = tmp_path / "models--hashlens--tiny-test" / "snapshots" / "abc"
    snapshot.mkdir(parents=True)
    (snapshot.parents[1] / "refs").mkdir()
    (snapshot.parents[1] / "refs" / "main").write_text("abc")
    shutil.copy(tiny_clip.weights_path, snapshot / "open_clip_pytorch_model.bin")

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("network touched")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.delenv("HF_HUB_OFFLINE")

    loaded = load_encoder(tiny_clip.encoder_config(pretrained="tiny"), cache_dir=tmp_path)

    assert loaded.model_id == f"{tiny_clip.model_name}:tiny"
    assert loaded.preprocess(square((0, 0, 0))).min() == pytest.approx(-1.0)  # the tag's mean/std


@pytest.mark.parametrize("offline_mode", ["HF_HUB_OFFLINE=1", "unreachable host"])
def test_offline_tag_fails_fast_and_says_how_to_import_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, offline_mode: str
) -> None:
    if offline_mode == "unreachable host":
        monkeypatch.delenv("HF_HUB_OFFLINE")
        monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    started_s = time.monotonic()

    with pytest.raises(ModelNotAvailableError) as info:
        load_encoder(EncoderConfig(model="ViT-B-32", pretrained="laion2b_s34b_b79k"))

    assert time.monotonic() - started_s < 10.0
    message = info.value.user_message
    assert "ViT-B-32" in message
    assert "laion2b_s34b_b79k" in message
    assert "--pretrained /path/to/open_clip_pytorch_model.bin" in message
    assert "copy" in message


@pytest.mark.parametrize("damage", ["truncated", "garbage"])
def test_damaged_checkpoint_is_model_not_available(
    tmp_path: Path, tiny_clip: TinyClip, damage: str
) -> None:
    data = tiny_clip.weights_path.read_bytes()
    bad = tmp_path / "bad.pt"
    bad.write_bytes(data[: len(data) // 2] if damage == "truncated" else b"\x00not a checkpoint")

    with pytest.raises(ModelNotAvailableError, match="damaged or incomplete") as info:
        load_encoder(tiny_clip.encoder_config(pretrained=str(bad)))

    assert str(bad) in info.value.user_message
    assert info.value.details


def test_weights_of_another_architecture_are_reported_as_a_mismatch(
    tmp_path: Path, tiny_clip: TinyClip
) -> None:
    wider = {**TINY_MODEL_CFG, "embed_dim": 24}
    config = tmp_path / "hashlens-tiny-wider.json"
    config.write_text(json.dumps(wider))
    cfg = EncoderConfig(
        model="hashlens-tiny-wider",
        pretrained=str(tiny_clip.weights_path),
        model_config=str(config),
        device="cpu",
    )

    with pytest.raises(ModelNotAvailableError, match="do not fit the model architecture") as info:
        load_encoder(cfg)

    assert "size mismatch" in info.value.details


def test_random_weights_are_reproducible_and_leave_the_global_rng_alone(
    tiny_clip: TinyClip,
) -> None:
    cfg = tiny_clip.encoder_config(pretrained="random")
    rng_before = torch.random.get_rng_state()

    first, second = load_encoder(cfg), load_encoder(cfg)

    assert torch.equal(torch.random.get_rng_state(), rng_before)
    assert first.model_id == f"{tiny_clip.model_name}:random"
    np.testing.assert_array_equal(first.encode_texts(["a"]), second.encode_texts(["a"]))


def test_cuda_requested_without_a_gpu_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch, tiny_clip: TinyClip
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)

    with pytest.raises(ConfigError, match="no CUDA GPU is available"):
        load_encoder(tiny_clip.encoder_config(device="cuda"))


@pytest.mark.parametrize("value", ["tpu", "gpu", "meta"])
def test_unknown_devices_are_config_errors(value: str) -> None:
    with pytest.raises(ConfigError, match="auto, cpu, cuda"):
        resolve_device(value)


def test_auto_device_falls_back_to_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)

    assert resolve_device("auto") == torch.device("cpu")


def test_zero_batch_size_is_a_config_error(tiny_clip: TinyClip) -> None:
    with pytest.raises(ConfigError, match="batch_size"):
        load_encoder(tiny_clip.encoder_config(batch_size=0))
