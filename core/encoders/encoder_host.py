"""The model process: loads the open_clip encoder and answers encoding requests.

Started by :class:`~core.encoders.encoder_process.EncoderProcess` as
``python -m core.encoders.encoder_host``; it talks over its stdin and stdout only
(stdout is moved aside first, so a library that prints cannot corrupt the stream), and
exits when its stdin closes, so it never outlives the window that started it.

Requests: ``("load", settings)`` once, then ``("texts", [str, ...])`` and
``("images", [ImagePayload, ...])``; closing stdin stops it. Answers: ``("progress",
Progress)`` while weights download, ``("ready", model_id, dim)``, ``("vectors",
array)``, ``("error", CoreError)``; ``("log", fields)`` forwards the log records.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import traceback
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from core.config import EncoderConfig
from core.encoders.encoder import Encoder
from core.encoders.encoder_channel import Channel, ChannelClosed, ImagePayload
from core.errors import CoreError, EncoderProcessError, ModelNotAvailableError

logger = logging.getLogger(__name__)

PREPROCESS_WORKERS = 2
LOG_FIELDS = ("name", "levelno", "levelname", "pathname", "lineno", "funcName", "created")


class _ForwardingHandler(logging.Handler):
    """Sends each record (message already formatted) to the window's process."""

    def __init__(self, channel: Channel) -> None:
        super().__init__(logging.INFO)
        self._channel = channel

    def emit(self, record: logging.LogRecord) -> None:
        fields: dict[str, Any] = {name: getattr(record, name) for name in LOG_FIELDS}
        fields["msg"] = record.getMessage()
        if record.exc_info:
            fields["msg"] += "\n" + "".join(traceback.format_exception(*record.exc_info))
        with contextlib.suppress(ChannelClosed):  # the window is gone; about to exit anyway
            self._channel.send(("log", fields))


def main() -> int:
    """Run the model process until its stdin closes."""
    writer = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    channel = Channel(sys.stdin.buffer, writer)
    root = logging.getLogger()
    root.addHandler(_ForwardingHandler(channel))
    root.setLevel(logging.INFO)
    logging.captureWarnings(True)
    try:
        request = channel.recv()
        if request[0] != "load":
            return 2
        encoder = _load(channel, EncoderConfig(**request[1]))
        if encoder is None:
            return 1
        channel.send(("ready", encoder.model_id, encoder.dim))
        _serve(channel, encoder)
    except ChannelClosed:
        return 0
    return 0


def _load(channel: Channel, cfg: EncoderConfig) -> Encoder | None:
    try:
        from core.encoders.fast_encoder import load_encoder  # torch: only in this process

        return load_encoder(cfg, progress=lambda p: channel.send(("progress", p)))
    except CoreError as exc:
        channel.send(("error", exc))
    except Exception as exc:  # anything torch raises while building the model
        logger.exception("The model could not be loaded")
        channel.send(("error", ModelNotAvailableError("The model could not be loaded.", repr(exc))))
    return None


def _serve(channel: Channel, encoder: Encoder) -> None:
    with ThreadPoolExecutor(PREPROCESS_WORKERS, thread_name_prefix="preprocess") as pool:
        while True:
            request = channel.recv()
            kind = request[0]
            try:
                if kind == "texts":
                    vectors = encoder.encode_texts(list(request[1]))
                elif kind == "images":
                    payloads: list[ImagePayload] = list(request[1])
                    batch = list(pool.map(lambda p: encoder.preprocess(p.image()), payloads))
                    vectors = encoder.encode_preprocessed(batch)
                else:
                    raise EncoderProcessError("The model process got a request it does not know.")
            except CoreError as exc:
                channel.send(("error", exc))
                continue
            except Exception as exc:  # e.g. out of memory on the GPU: report, keep serving
                logger.exception("Encoding failed")
                channel.send(("error", EncoderProcessError("Encoding failed.", repr(exc))))
                continue
            channel.send(("vectors", vectors))


if __name__ == "__main__":
    sys.exit(main())
