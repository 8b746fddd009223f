"""OnnxEncoder: the Encoder protocol on ONNX Runtime (CPU), without torch or open_clip.

It runs the towers that :mod:`core.encoders.onnx_export` exported from the open_clip
model, with :class:`~core.encoders.clip_tokenizer.ClipTokenizer` and
:class:`~core.encoders.image_preprocess.ImagePreprocessor` in place of open_clip's
tokenizer and transform (both give the same inputs, bit for bit). Sessions open on first
use, so a text search never loads the vision tower.

Like the torch path, texts run over the used prefix of the context only (the text
transformer is causal; see :mod:`core.encoders.text_tower`), and rows come back
L2-normalised float32.

An int8 tower runs one item per session call. Dynamic quantisation scales the
activations by the range of the whole input tensor, so in a batch a photo's vector
would depend on the photos beside it (cosine 0.9998 between batched and alone on
ViT-B-32): a photo searched for would then not find itself at Hamming distance 0, and
the same caption would get another vector as a query. Alone, every vector is a function
of its own input; this costs about a fifth of int8's batched throughput
(``docs/benchmarks.md``, issue 16). fp32 towers run whole batches.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.encoders.clip_tokenizer import ClipTokenizer
from core.encoders.image_preprocess import ImagePreprocessor, PreprocessSpec
from core.encoders.onnx_cache import EXPORT_FORMAT, MANIFEST_NAME, read_json
from core.errors import EncoderCacheError
from core.media.file_fingerprint import weights_fingerprint
from core.types import FloatArray

logger = logging.getLogger(__name__)

TOWERS = ("vision", "text")
PRECISIONS = ("fp32", "int8")
_TRIM_POOLING = ("argmax", "eos")
# onnxruntime session option: may idle intra-op threads busy-wait for work ("1") or not.
SPINNING_ENTRY = "session.intra_op.allow_spinning"


def tower_file(tower: str, precision: str) -> str:
    """The file name of one tower at one precision."""
    return f"{tower}.onnx" if precision == "fp32" else f"{tower}.{precision}.onnx"


@dataclass(frozen=True, slots=True)
class Manifest:
    """What an export folder holds (``manifest.json``).

    Attributes:
        folder: The export folder.
        model_id: The model's stable id.
        dim: Embedding length.
        context_length: Tokens per text.
        clean: The tokenizer's clean function.
        extra_special_tokens: Special tokens beyond start and end.
        pooling: ``argmax``, ``eos`` or another (then texts are never trimmed).
        preprocess: The image transform.
        files: File name -> ``{"size": n, "fingerprint": hex}``.
    """

    folder: Path
    model_id: str
    dim: int
    context_length: int
    clean: str
    extra_special_tokens: tuple[str, ...]
    pooling: str
    preprocess: PreprocessSpec
    files: dict[str, dict[str, Any]]

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        """Read and check ``folder/manifest.json``.

        Raises:
            EncoderCacheError: Missing, malformed, or from another export format.
        """
        data = read_json(folder / MANIFEST_NAME)
        if data is None:
            raise EncoderCacheError(
                f"The exported model in {folder} has no readable manifest; it is exported again.",
            )
        try:
            if int(data["format"]) != EXPORT_FORMAT:
                raise EncoderCacheError(
                    f"The exported model in {folder} has another export format; "
                    "it is exported again."
                )
            tokenizer = data["tokenizer"]
            return cls(
                folder,
                str(data["model_id"]),
                int(data["dim"]),
                int(tokenizer["context_length"]),
                str(tokenizer["clean"]),
                tuple(str(t) for t in tokenizer["extra_special_tokens"]),
                str(tokenizer["pooling"]),
                PreprocessSpec.from_json(data["preprocess"]),
                {str(k): dict(v) for k, v in data["files"].items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise EncoderCacheError(
                f"The manifest of the exported model in {folder} is damaged; it is exported again.",
                str(exc),
            ) from exc

    def has(self, name: str) -> bool:
        """Whether the export lists ``name`` (int8 towers may be missing)."""
        return name in self.files

    def verified_path(self, name: str) -> Path:
        """The path of a listed file after checking its size and fingerprint.

        Raises:
            EncoderCacheError: The file is missing, truncated or changed.
        """
        path = self.folder / name
        expected = self.files.get(name)
        try:
            if expected is None:
                raise FileNotFoundError(name)
            ok = (
                path.stat().st_size == int(expected["size"])
                and weights_fingerprint(path) == expected["fingerprint"]
            )
        except (OSError, KeyError, TypeError, ValueError) as exc:
            raise EncoderCacheError(
                f"The exported model file {path} is missing or unreadable; it is exported again.",
                str(exc),
            ) from exc
        if not ok:
            raise EncoderCacheError(
                f"The exported model file {path} is damaged (its size or content changed); "
                "it is exported again."
            )
        return path


class OnnxEncoder:
    """An exported open_clip model on ONNX Runtime, behind the Encoder protocol.

    Args:
        manifest: The export to run.
        precision: ``{"vision": "fp32"|"int8", "text": ...}``.
        batch_size: Items per session run.
        num_threads: Intra-op threads (0: onnxruntime's default, one per core).
    """

    def __init__(
        self,
        manifest: Manifest,
        precision: dict[str, str],
        *,
        batch_size: int = 32,
        num_threads: int = 0,
    ) -> None:
        self._manifest = manifest
        self._precision = {t: precision.get(t, "fp32") for t in TOWERS}
        self._batch_size = max(1, batch_size)
        self._num_threads = num_threads
        self._sessions: dict[str, Any] = {}
        self._session_lock = threading.Lock()
        self._run_lock = threading.Lock()
        self._preprocessor = ImagePreprocessor(manifest.preprocess)
        self._tokenizer = ClipTokenizer(
            manifest.verified_path("vocab.txt.gz"),
            context_length=manifest.context_length,
            clean=manifest.clean,
            extra_special_tokens=manifest.extra_special_tokens,
        )
        for tower in TOWERS:  # fail now on a missing or damaged file, not mid-index
            manifest.verified_path(tower_file(tower, self._precision[tower]))

    @property
    def model_id(self) -> str:
        """Stable id of the weights the export came from."""
        return self._manifest.model_id

    @property
    def dim(self) -> int:
        """Length of every feature vector."""
        return self._manifest.dim

    @property
    def precision(self) -> dict[str, str]:
        """The precision of each tower."""
        return dict(self._precision)

    def preprocess(self, image: Any) -> FloatArray:
        """open_clip's eval transform in NumPy: ``(3, size, size)`` float32 (thread-safe)."""
        return self._preprocessor(image)

    def encode_preprocessed(self, batch: Sequence[Any]) -> FloatArray:
        """Encode preprocessed images: ``(len(batch), dim)`` float32, rows L2-normalised."""
        session = self._session("vision")
        chunks = [
            self._run(session, np.stack([np.asarray(x, dtype=np.float32) for x in part]))
            for part in self._chunks(batch, "vision")
        ]
        return self._concat(chunks)

    def encode_images(self, images: Sequence[Any]) -> FloatArray:
        """Preprocess and encode decoded RGB images."""
        return self.encode_preprocessed([self.preprocess(image) for image in images])

    def encode_texts(self, texts: Sequence[str]) -> FloatArray:
        """Encode texts: ``(len(texts), dim)`` float32, rows L2-normalised."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        session = self._session("text")
        chunks = [
            self._run(session, self._trim(self._tokenizer(list(part))))
            for part in self._chunks(texts, "text")
        ]
        return self._concat(chunks)

    def ignored_text(self, text: str) -> str:
        """The end of ``text`` past the context, as text ('' when it all fits)."""
        return self._tokenizer.ignored_text(text)

    def tokenize(self, texts: Sequence[str]) -> np.ndarray[Any, np.dtype[np.int64]]:
        """The token ids the text tower gets (before trimming), as open_clip gives them."""
        return self._tokenizer(list(texts))

    def _trim(self, tokens: np.ndarray[Any, np.dtype[np.int64]]) -> np.ndarray[Any, Any]:
        pooling = self._manifest.pooling
        if pooling not in _TRIM_POOLING or tokens.size == 0:
            return tokens
        if pooling == "eos":
            ends = (tokens == self._tokenizer.eot_token_id).argmax(axis=1)
        else:
            ends = tokens.argmax(axis=1)
        return np.ascontiguousarray(tokens[:, : int(ends.max()) + 1])

    def _session(self, tower: str) -> Any:
        with self._session_lock:
            session = self._sessions.get(tower)
            if session is None:
                name = tower_file(tower, self._precision[tower])
                session = open_session(self._manifest.verified_path(name), self._num_threads)
                self._sessions[tower] = session
            return session

    def _run(self, session: Any, inputs: np.ndarray[Any, Any]) -> FloatArray:
        with self._run_lock:
            (out,) = session.run(None, {session.get_inputs()[0].name: inputs})
        rows = np.asarray(out, dtype=np.float32)
        norms = np.linalg.norm(rows, axis=1, keepdims=True)
        normalised: FloatArray = rows / np.maximum(norms, 1e-12)
        return normalised.astype(np.float32, copy=False)

    def _chunks(self, items: Sequence[Any], tower: str) -> Iterator[Sequence[Any]]:
        size = 1 if self._precision[tower] == "int8" else self._batch_size
        for start in range(0, len(items), size):
            yield items[start : start + size]

    def _concat(self, chunks: list[FloatArray]) -> FloatArray:
        if not chunks:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.concatenate(chunks).astype(np.float32, copy=False)


def open_session(path: Path, num_threads: int = 0) -> Any:
    """An onnxruntime CPU session for one tower file.

    Raises:
        EncoderCacheError: onnxruntime cannot load the file (damaged, or from another version).
    """
    import onnxruntime as ort  # deferred: only a command that encodes pays for it

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    if num_threads > 0:
        options.intra_op_num_threads = num_threads
    # Idle intra-op threads sleep instead of spinning: while indexing, the decode threads
    # share the cores, and a spinning thread burns CPU that they need (issue 16;
    # docs/benchmarks.md, "Decode and thread tuning").
    options.add_session_config_entry(SPINNING_ENTRY, "0")
    options.log_severity_level = 3
    try:
        return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    except Exception as exc:  # onnxruntime raises its own untyped errors for bad files
        raise EncoderCacheError(
            f"ONNX Runtime cannot load the exported model file {path}; it is exported again.",
            f"{type(exc).__name__}: {exc}",
        ) from exc
