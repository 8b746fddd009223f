"""EncoderProcess: the tiny open_clip model served by a real model process."""

from __future__ import annotations

import logging
import os
import signal
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from core.encoders.encoder import Encoder, LazyEncoder
from core.encoders.encoder_channel import ImagePayload
from core.encoders.encoder_process import EncoderProcess
from core.encoders.fast_encoder import load_encoder
from core.errors import EncoderProcessError, ModelNotAvailableError
from core.progress import Progress
from tests.conftest import TinyClip


@pytest.fixture(scope="module")
def inline(tiny_clip: TinyClip) -> Encoder:
    """The in-process encoder the command line builds (the ONNX export, once it exists)."""
    return load_encoder(tiny_clip.encoder_config(batch_size=2))


@pytest.fixture(scope="module")
def served(tiny_clip: TinyClip) -> Iterator[EncoderProcess]:
    encoder = EncoderProcess.start(tiny_clip.encoder_config(batch_size=2))
    yield encoder
    encoder.close()


def photos() -> list[Image.Image]:
    rng = np.random.default_rng(0)
    sizes = [(64, 48), (33, 101), (300, 200)]
    return [Image.fromarray(rng.integers(0, 256, (h, w, 3), dtype=np.uint8)) for w, h in sizes]


def test_served_vectors_equal_the_in_process_ones(served: EncoderProcess, inline: Encoder) -> None:
    texts = ["a dog on the beach", "", "réunion de famille " * 30]
    assert served.model_id == inline.model_id
    assert served.dim == inline.dim
    np.testing.assert_array_equal(served.encode_texts(texts), inline.encode_texts(texts))
    np.testing.assert_array_equal(served.encode_images(photos()), inline.encode_images(photos()))


def test_preprocessed_batches_are_pixels_until_the_model_process(served: EncoderProcess) -> None:
    image = photos()[1]
    payload = served.preprocess(image)
    assert isinstance(payload, ImagePayload)
    assert payload.image().tobytes() == image.tobytes()
    assert (payload.mode, payload.size) == (image.mode, image.size)
    batch = served.encode_preprocessed([payload, served.preprocess(photos()[0])])
    assert batch.shape == (2, served.dim)
    assert batch.dtype == np.float32


def test_empty_requests_give_empty_arrays(served: EncoderProcess) -> None:
    assert served.encode_texts([]).shape == (0, served.dim)
    assert served.encode_images([]).shape == (0, served.dim)


def test_a_model_process_killed_while_idle_is_started_again_and_closing_reaps_it(
    tiny_clip: TinyClip, caplog: pytest.LogCaptureFixture
) -> None:
    lazy = LazyEncoder("k", lambda: EncoderProcess.start(tiny_clip.encoder_config()))
    encoder = lazy.get()
    assert isinstance(encoder, EncoderProcess)
    try:
        before = encoder.encode_texts(["a cat"])
        first = encoder.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while encoder.pid is not None and time.monotonic() < deadline:
            time.sleep(0.05)
        with caplog.at_level(logging.INFO):
            again = encoder.encode_texts(["a cat"])
        second = encoder.pid
        assert second not in (None, first)
        np.testing.assert_array_equal(again, before)
    finally:
        lazy.close()  # what the window does when it closes
    assert encoder.pid is None
    assert not lazy.is_loaded
    with pytest.raises(ProcessLookupError):
        os.kill(second, 0)  # exited and reaped
    assert any("SIGKILL" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    # the new process's log records were forwarded here, marked as the model process's
    loaders = ("core.encoders.clip_encoder", "core.encoders.fast_encoder")
    loaded = [r for r in caplog.records if r.name in loaders]
    assert any("Loaded" in r.getMessage() for r in loaded)
    assert all(r.processName == "model process" for r in loaded)


def test_a_model_that_cannot_load_raises_the_same_error_as_in_process(
    tmp_path: Path, tiny_clip: TinyClip
) -> None:
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"\x00not a checkpoint")
    cfg = tiny_clip.encoder_config(pretrained=str(bad))
    with pytest.raises(ModelNotAvailableError) as in_process:
        load_encoder(cfg)
    with pytest.raises(ModelNotAvailableError) as served:
        EncoderProcess.start(cfg)
    assert served.value.user_message == in_process.value.user_message
    assert served.value.details


# ---------------------------------------------------------------- protocol faults
def fake_host(tmp_path: Path, body: str) -> list[str]:
    """A stand-in model process speaking the channel protocol, scripted by ``body``."""
    script = tmp_path / "host.py"
    script.write_text(
        textwrap.dedent(
            """
            import sys
            import numpy as np
            from core.encoders.encoder_channel import Channel
            from core.progress import Progress
            channel = Channel(sys.stdin.buffer, sys.stdout.buffer)
            request = channel.recv()
            """
        )
        + textwrap.dedent(body),
        encoding="utf-8",
    )
    return [sys.executable, str(script)]


def test_download_progress_is_forwarded_while_loading(tmp_path: Path, tiny_clip: TinyClip) -> None:
    command = fake_host(
        tmp_path,
        """
        for done in (0, 50, 100):
            channel.send(("progress", Progress("download", done, 100)))
        channel.send(("ready", "fake:1", 4))
        channel.recv()
        channel.send(("vectors", np.ones((1, 4), np.float32)))
        """,
    )
    seen: list[Progress] = []
    encoder = EncoderProcess(tiny_clip.encoder_config(), progress=seen.append, command=command)
    assert encoder.encode_texts(["x"]).shape == (1, 4)
    assert [p.done for p in seen] == [0, 50, 100]
    assert encoder.model_id == "fake:1"
    encoder.close()


def test_a_process_that_dies_while_loading_is_a_model_not_available_error(
    tmp_path: Path, tiny_clip: TinyClip
) -> None:
    command = fake_host(tmp_path, "sys.exit(3)\n")
    with pytest.raises(ModelNotAvailableError, match="exited with code 3"):
        EncoderProcess(tiny_clip.encoder_config(), command=command).encode_texts(["x"])


def test_a_process_killed_during_a_request_fails_that_request_only(
    tmp_path: Path, tiny_clip: TinyClip
) -> None:
    command = fake_host(
        tmp_path,
        """
        import os, signal
        channel.send(("ready", "fake:1", 4))
        channel.recv()
        os.kill(os.getpid(), signal.SIGKILL)
        """,
    )
    encoder = EncoderProcess(tiny_clip.encoder_config(), command=command)
    with pytest.raises(EncoderProcessError, match="SIGKILL") as info:
        encoder.encode_texts(["x"])
    assert "starts again when next needed" in info.value.user_message
    assert encoder.pid is None
    with pytest.raises(EncoderProcessError):  # the stand-in dies again: a new one was started
        encoder.encode_texts(["x"])


def test_an_answer_of_the_wrong_shape_is_refused(tmp_path: Path, tiny_clip: TinyClip) -> None:
    command = fake_host(
        tmp_path,
        """
        channel.send(("ready", "fake:1", 4))
        channel.recv()
        channel.send(("vectors", np.ones((2, 4), np.float32)))
        channel.recv()
        """,
    )
    encoder = EncoderProcess(tiny_clip.encoder_config(), command=command)
    with pytest.raises(EncoderProcessError, match="wrong number of vectors"):
        encoder.encode_texts(["only one"])
    encoder.close()


def test_garbage_on_the_stream_is_a_stopped_process_not_a_hang(
    tmp_path: Path, tiny_clip: TinyClip
) -> None:
    command = fake_host(
        tmp_path,
        """
        channel.send(("ready", "fake:1", 4))
        channel.recv()
        sys.stdout.buffer.write(b"\\xff" * 8 + b"hello")
        sys.stdout.buffer.flush()
        """,
    )
    encoder = EncoderProcess(tiny_clip.encoder_config(), command=command)
    with pytest.raises(EncoderProcessError, match="model process stopped"):
        encoder.encode_texts(["x"])
    assert encoder.pid is None


def test_a_numpy_py_in_the_working_directory_is_not_run_by_the_model_process(
    tmp_path: Path, tiny_clip: TinyClip, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``python -m`` puts the working directory first on ``sys.path``, and so does an empty
    ``PYTHONPATH`` entry (``PYTHONPATH=$PWD:$PYTHONPATH`` with the latter unset): the
    test has both, so it fails if either way in is left open."""
    planted = tmp_path / "downloads"
    planted.mkdir()
    marker = tmp_path / "planted-code-ran"
    (planted / "numpy.py").write_text(
        f"open({str(marker)!r}, 'w').write('ran')\nraise SystemExit(3)\n", encoding="utf-8"
    )
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", "") + os.pathsep)
    monkeypatch.chdir(planted)
    encoder = EncoderProcess(tiny_clip.encoder_config())
    try:
        vectors = encoder.encode_texts(["a cat"])
    finally:
        encoder.close()
    assert vectors.shape == (1, 16)
    assert not marker.exists()
