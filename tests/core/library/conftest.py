from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from core.config import IndexingConfig
from core.encoders.encoder import LazyEncoder
from core.library.indexing.indexer import Indexer
from core.store.database import Store
from core.types import FloatArray, IndexReport


class FakeEncoder:
    """Deterministic vectors from pixel statistics and text hashes; counts every call."""

    model_id = "fake:1"
    dim = 8

    def __init__(self, fail_on_batch: int | None = None) -> None:
        self.images_encoded = 0
        self.texts_encoded = 0
        self.batches = 0
        self._fail_on_batch = fail_on_batch

    def preprocess(self, image: Image.Image) -> Any:
        small = np.asarray(image.resize((4, 2)), dtype=np.float32).reshape(-1)[: self.dim]
        return small

    def encode_preprocessed(self, batch: Sequence[Any]) -> FloatArray:
        self.batches += 1
        if self._fail_on_batch is not None and self.batches == self._fail_on_batch:
            raise KeyboardInterrupt
        self.images_encoded += len(batch)
        x = np.stack(list(batch)).astype(np.float32) + 1.0
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)

    def encode_images(self, images: Sequence[Image.Image]) -> FloatArray:
        return self.encode_preprocessed([self.preprocess(i) for i in images])

    def encode_texts(self, texts: Sequence[str]) -> FloatArray:
        self.texts_encoded += len(texts)
        rows = []
        for text in texts:
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "little")
            rows.append(np.random.default_rng(seed).normal(size=self.dim))
        x = np.array(rows, dtype=np.float32).reshape(len(texts), self.dim)
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


class Harness:
    """A library, a fake encoder and a way to run the indexer."""

    def __init__(self, tmp_path: Path) -> None:
        self.store = Store.open(tmp_path / "library.sqlite")
        self.encoder = FakeEncoder()
        self.loads = 0
        self.config = IndexingConfig(decode_workers=2, missing_guard_min_files=6)

    def lazy(self) -> LazyEncoder:
        def load() -> FakeEncoder:
            self.loads += 1
            return self.encoder

        return LazyEncoder("fake-config", load)

    def add(self, folder: Path) -> None:
        with self.store.atomic():
            self.store.media.add_folder(str(folder))

    def index(self, batch_size: int = 4) -> IndexReport:
        from core.library.indexing.indexer import IndexOptions

        indexer = Indexer(self.store, self.lazy(), self.config, IndexOptions(batch_size=batch_size))
        return indexer.run()

    def captions(self, path: Path) -> list[str]:
        record = self.store.media.media_by_path(str(path))
        assert record is not None, path
        return [t for _, t, _ in self.store.media.captions_of(record.id)]


@pytest.fixture
def harness(tmp_path: Path) -> Iterator[Harness]:
    h = Harness(tmp_path)
    yield h
    h.store.close()
