"""Length-prefixed pickled messages over a pair of pipes (the model process's stdin/stdout).

Both ends are HashLens' own processes and the pipes belong to them alone, so pickle is
safe here; no message ever comes from a file or the network. A message is a tuple whose
first item names it (``("texts", [...])``, ``("vectors", array)``...).
"""

from __future__ import annotations

import pickle
import struct
import threading
from dataclasses import dataclass
from typing import IO, Any

from PIL import Image

_HEADER = struct.Struct("<Q")
MAX_MESSAGE_BYTES = 8 << 30
"""A larger length prefix means the stream is out of step: the peer is not a model process."""


class ChannelClosed(Exception):  # noqa: N818 - an end of stream, not an error condition
    """The other end closed its pipe (it exited, crashed or was killed)."""


class Channel:
    """Sends and receives whole messages; each direction may be used from several threads."""

    def __init__(self, reader: IO[bytes], writer: IO[bytes]) -> None:
        self._reader = reader
        self._writer = writer
        self._send_lock = threading.Lock()
        self._recv_lock = threading.Lock()

    def send(self, message: tuple[Any, ...]) -> None:
        """Write one message.

        Raises:
            ChannelClosed: The other end has gone.
        """
        data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
        with self._send_lock:
            try:
                self._writer.write(_HEADER.pack(len(data)))
                self._writer.write(data)
                self._writer.flush()
            except (BrokenPipeError, ConnectionResetError, ValueError, OSError) as exc:
                raise ChannelClosed(str(exc)) from exc

    def recv(self) -> tuple[Any, ...]:
        """Read one message (blocks; the GIL is released while waiting).

        Raises:
            ChannelClosed: The other end has gone, or the stream is not ours.
        """
        with self._recv_lock:
            (size,) = _HEADER.unpack(self._read_exactly(_HEADER.size))
            if size > MAX_MESSAGE_BYTES:
                raise ChannelClosed(f"message of {size} bytes: the stream is out of step")
            message = pickle.loads(self._read_exactly(size))
        if not isinstance(message, tuple) or not message:
            raise ChannelClosed(f"unexpected message {type(message).__name__}")
        return message

    def _read_exactly(self, size: int) -> bytes:
        chunks, left = [], size
        while left:
            try:
                chunk = self._reader.read(left)
            except (OSError, ValueError) as exc:
                raise ChannelClosed(str(exc)) from exc
            if not chunk:
                raise ChannelClosed("end of stream")
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)


@dataclass(frozen=True, slots=True)
class ImagePayload:
    """A decoded image as raw pixels, so it can cross to the model process unchanged."""

    mode: str
    size: tuple[int, int]
    pixels: bytes

    @classmethod
    def of(cls, image: Image.Image) -> ImagePayload:
        """Copy the pixels of a decoded image."""
        return cls(image.mode, image.size, image.tobytes())

    def image(self) -> Image.Image:
        """The same image again, pixel for pixel."""
        return Image.frombytes(self.mode, self.size, self.pixels)
