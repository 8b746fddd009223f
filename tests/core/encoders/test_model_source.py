"""Where weights come from: resolving settings, fingerprints, the cache and the offline path."""

from __future__ import annotations

import json
import shutil
import socket
import time
from pathlib import Path
from typing import Any

import pytest

from core.config import EncoderConfig
from core.encoders.model_download import ensure_weights
from core.encoders.model_source import (
    ModelSource,
    resolve_model_source,
    weights_fingerprint,
)
from core.errors import ConfigError, ModelNotAvailableError
from core.progress import Progress
from tests.conftest import TINY_MODEL_CFG, TinyClip

B32_REPO_DIR = "models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K"
B32_TAG_SOURCE = ModelSource("ViT-B-32", "tag", "laion2b_s34b_b79k", "ViT-B-32:laion2b_s34b_b79k")


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail the test if anything opens a socket to the hub or calls the hub client."""

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"network touched: {args}")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr("huggingface_hub.hf_hub_download", refuse)


def write_hf_cache_file(cache_dir: Path, repo_dir: str, filename: str, data: bytes) -> Path:
    revision = "0123456789abcdef0123456789abcdef01234567"
    snapshot = cache_dir / repo_dir / "snapshots" / revision
    snapshot.mkdir(parents=True)
    (cache_dir / repo_dir / "refs").mkdir()
    (cache_dir / repo_dir / "refs" / "main").write_text(revision)
    (snapshot / filename).write_bytes(data)
    return snapshot / filename


def test_default_settings_resolve_to_a_tag_with_model_and_tag_id() -> None:
    source = resolve_model_source(EncoderConfig())

    assert source == B32_TAG_SOURCE


def test_tag_is_normalised_like_open_clip() -> None:
    source = resolve_model_source(EncoderConfig(pretrained="LAION2B-S34B-B79K"))

    assert source.model_id == "ViT-B-32:laion2b_s34b_b79k"


def test_random_weights_get_their_own_id() -> None:
    source = resolve_model_source(EncoderConfig(pretrained="random"))

    assert (source.kind, source.location, source.model_id) == ("random", "", "ViT-B-32:random")
    assert ensure_weights(source, Path("/nonexistent")) is None


def test_unknown_architecture_names_close_matches() -> None:
    with pytest.raises(ConfigError, match="Unknown model architecture 'ViT-B-33'") as info:
        resolve_model_source(EncoderConfig(model="ViT-B-33"))

    assert "ViT-B-32" in info.value.user_message


def test_unknown_tag_lists_the_valid_tags() -> None:
    with pytest.raises(ConfigError, match="Unknown pretrained tag 'laion9b'") as info:
        resolve_model_source(EncoderConfig(pretrained="laion9b"))

    assert "laion2b_s34b_b79k" in info.value.user_message


def test_missing_weights_file_is_reported_with_its_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope.pt"

    with pytest.raises(ModelNotAvailableError, match="does not exist") as info:
        resolve_model_source(EncoderConfig(pretrained=str(missing)))

    assert str(missing) in info.value.user_message


def test_empty_pretrained_setting_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="No model weights"):
        resolve_model_source(EncoderConfig(pretrained=" "))


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("broken.json", "{not json", "not valid JSON"),
        ("list.json", "[1, 2]", "JSON object"),
        ("partial.json", '{"embed_dim": 16}', "not an open_clip model config"),
        ("tiny.txt", json.dumps(TINY_MODEL_CFG), "must be a .json file"),
    ],
)
def test_bad_model_config_file_is_a_config_error(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    path = tmp_path / name
    path.write_text(text)

    with pytest.raises(ConfigError, match=message):
        resolve_model_source(EncoderConfig(model_config=str(path)))


def test_missing_model_config_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_model_source(EncoderConfig(model_config=str(tmp_path / "none.json")))


def test_model_config_folder_with_a_broken_file_is_rejected_before_registration(
    tmp_path: Path, tiny_clip: TinyClip
) -> None:
    (tmp_path / "good-arch.json").write_text(json.dumps(TINY_MODEL_CFG))
    (tmp_path / "bad-arch.json").write_text("{")

    with pytest.raises(ConfigError, match="not valid JSON"):
        resolve_model_source(EncoderConfig(model_config=str(tmp_path)))
    # open_clip rescans every registered path: a broken file must never get that far.
    assert resolve_model_source(tiny_clip.encoder_config()).kind == "file"


def test_model_config_folder_registers_its_architectures(tmp_path: Path) -> None:
    (tmp_path / "hashlens-folder-arch.json").write_text(json.dumps(TINY_MODEL_CFG))

    source = resolve_model_source(
        EncoderConfig(model="hashlens-folder-arch", pretrained="random", model_config=str(tmp_path))
    )

    assert source.model_id == "hashlens-folder-arch:random"


def test_weights_file_id_survives_a_move_and_changes_with_the_content(
    tmp_path: Path, tiny_clip: TinyClip
) -> None:
    first = resolve_model_source(tiny_clip.encoder_config())
    moved = shutil.copy(tiny_clip.weights_path, tmp_path / "renamed.bin")
    other = tmp_path / "other.pt"
    other.write_bytes(b"x" + tiny_clip.weights_path.read_bytes()[1:])

    assert first.kind == "file"
    assert first.location == str(tiny_clip.weights_path)
    assert first.model_id.startswith(f"{tiny_clip.model_name}:file:")
    assert resolve_model_source(tiny_clip.encoder_config()).model_id == first.model_id
    assert resolve_model_source(tiny_clip.encoder_config(pretrained=str(moved))) == ModelSource(
        tiny_clip.model_name, "file", str(moved), first.model_id
    )
    assert resolve_model_source(tiny_clip.encoder_config(pretrained=str(other))).model_id != (
        first.model_id
    )


def test_fingerprint_depends_on_size_and_is_short(tmp_path: Path) -> None:
    small = tmp_path / "a.bin"
    small.write_bytes(b"\0" * 10)
    longer = tmp_path / "b.bin"
    longer.write_bytes(b"\0" * 11)

    assert len(weights_fingerprint(small)) == 16
    assert weights_fingerprint(small) != weights_fingerprint(longer)


def test_folder_with_one_checkpoint_is_a_dir_source_with_the_file_id(
    tmp_path: Path, tiny_clip: TinyClip
) -> None:
    shutil.copy(tiny_clip.weights_path, tmp_path / "weights.pt")
    (tmp_path / "README.txt").write_text("not weights")
    file_id = resolve_model_source(tiny_clip.encoder_config()).model_id

    source = resolve_model_source(tiny_clip.encoder_config(pretrained=str(tmp_path)))

    assert (source.kind, source.location, source.model_id) == ("dir", str(tmp_path), file_id)
    assert ensure_weights(source, tmp_path / "cache") == tmp_path / "weights.pt"


def test_folder_without_weights_is_reported(tmp_path: Path, tiny_clip: TinyClip) -> None:
    with pytest.raises(ModelNotAvailableError, match="holds no weights file"):
        resolve_model_source(tiny_clip.encoder_config(pretrained=str(tmp_path)))


def test_folder_with_several_unnamed_checkpoints_is_ambiguous(
    tmp_path: Path, tiny_clip: TinyClip
) -> None:
    shutil.copy(tiny_clip.weights_path, tmp_path / "a.pt")
    shutil.copy(tiny_clip.weights_path, tmp_path / "b.pt")

    with pytest.raises(ModelNotAvailableError, match="several weights files"):
        resolve_model_source(tiny_clip.encoder_config(pretrained=str(tmp_path)))


def test_local_dir_config_without_model_cfg_is_a_config_error(
    tmp_path: Path, tiny_clip: TinyClip
) -> None:
    (tmp_path / "open_clip_config.json").write_text(json.dumps(TINY_MODEL_CFG))
    shutil.copy(tiny_clip.weights_path, tmp_path / "open_clip_pytorch_model.bin")

    with pytest.raises(ConfigError, match="no 'model_cfg'"):
        resolve_model_source(tiny_clip.encoder_config(pretrained=str(tmp_path)))


def test_offline_tag_fails_fast_without_touching_the_network(
    tmp_path: Path, no_network: None
) -> None:
    started_s = time.monotonic()
    with pytest.raises(ModelNotAvailableError) as info:
        ensure_weights(B32_TAG_SOURCE, tmp_path)

    assert time.monotonic() - started_s < 1.0
    message = info.value.user_message
    assert "ViT-B-32" in message
    assert "laion2b_s34b_b79k" in message
    assert "--pretrained /path/to/open_clip_pytorch_model.bin" in message
    assert str(tmp_path / "ViT-B-32" / "laion2b_s34b_b79k") in message
    assert "HF_HUB_OFFLINE" in info.value.details


def test_unreachable_hub_fails_after_one_probe_without_the_hub_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the hub client must not run when the probe fails")

    monkeypatch.setattr("huggingface_hub.hf_hub_download", refuse)
    started_s = time.monotonic()
    with pytest.raises(ModelNotAvailableError, match="cannot be reached") as info:
        ensure_weights(B32_TAG_SOURCE, tmp_path, probe_timeout_s=2.0)

    assert time.monotonic() - started_s < 5.0
    assert "127.0.0.1:9" in info.value.details


def test_cached_tag_is_found_in_the_hub_cache_layout(tmp_path: Path, no_network: None) -> None:
    cached = write_hf_cache_file(tmp_path, B32_REPO_DIR, "open_clip_pytorch_model.bin", b"w")

    assert ensure_weights(B32_TAG_SOURCE, tmp_path) == cached


def test_cached_safetensors_is_preferred_like_open_clip(tmp_path: Path, no_network: None) -> None:
    cached = write_hf_cache_file(tmp_path, B32_REPO_DIR, "open_clip_model.safetensors", b"w")
    (cached.parent / "open_clip_pytorch_model.bin").write_bytes(b"w")

    assert ensure_weights(B32_TAG_SOURCE, tmp_path) == cached


def test_weights_copied_into_the_cache_by_hand_are_used(tmp_path: Path, no_network: None) -> None:
    manual = tmp_path / "ViT-B-32" / "laion2b_s34b_b79k" / "open_clip_pytorch_model.bin"
    manual.parent.mkdir(parents=True)
    manual.write_bytes(b"w")

    assert ensure_weights(B32_TAG_SOURCE, tmp_path) == manual


class FakeHub:
    """Stands in for ``hf_hub_download``: 404 for safetensors, then a file with progress."""

    def __init__(self, cache_dir: Path, failure: Exception | None = None) -> None:
        self.cache_dir = cache_dir
        self.failure = failure
        self.calls: list[str] = []

    def __call__(self, repo_id: str, filename: str, **kwargs: Any) -> str:
        import httpx2
        from huggingface_hub.errors import RemoteEntryNotFoundError

        self.calls.append(filename)
        if self.failure is not None:
            raise self.failure
        if filename.endswith(".safetensors"):
            response = httpx2.Response(404, request=httpx2.Request("HEAD", "http://hub/x"))
            raise RemoteEntryNotFoundError("404", response=response)
        assert kwargs["cache_dir"] == self.cache_dir
        bar = kwargs["tqdm_class"](total=8, initial=0, desc=filename, unit="B", unit_scale=True)
        bar.update(5)
        bar.update(3)
        bar.close()
        path = self.cache_dir / filename
        path.write_bytes(b"8 bytes!")
        return str(path)


@pytest.fixture
def reachable_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: socket.socket())


def test_download_falls_back_to_bin_and_reports_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reachable_hub: None
) -> None:
    hub = FakeHub(tmp_path)
    monkeypatch.setattr("huggingface_hub.hf_hub_download", hub)
    seen: list[Progress] = []

    def record(progress: Progress) -> None:
        seen.append(progress)

    path = ensure_weights(B32_TAG_SOURCE, tmp_path, progress=record)

    assert path == tmp_path / "open_clip_pytorch_model.bin"
    assert hub.calls == ["open_clip_model.safetensors", "open_clip_pytorch_model.bin"]
    assert seen[0].done == 0
    assert (seen[-1].done, seen[-1].total) == (8, 8)
    assert {p.stage for p in seen} == {"download"}


def test_download_error_becomes_model_not_available(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reachable_hub: None
) -> None:
    monkeypatch.setattr("huggingface_hub.hf_hub_download", FakeHub(tmp_path, OSError("reset")))

    with pytest.raises(ModelNotAvailableError, match="Downloading the model ViT-B-32") as info:
        ensure_weights(B32_TAG_SOURCE, tmp_path)

    assert "reset" in info.value.details


def test_a_folder_named_like_a_tag_does_not_shadow_the_tag(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tiny_clip: TinyClip
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "openai").mkdir()
    (tmp_path / "weights").mkdir()
    shutil.copy(tiny_clip.weights_path, tmp_path / "weights" / "tiny.pt")

    assert resolve_model_source(EncoderConfig(pretrained="openai")).kind == "tag"
    assert resolve_model_source(tiny_clip.encoder_config(pretrained="weights")).kind == "dir"
