"""Encoders and their float features, keyed by encoder so a model change never wipes data."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt
from sqlite_utils import Database

from core.errors import IncompatibleCodesError
from core.store.records import EncoderRecord, blobs_to_matrix, path_from_db, vector_to_blob
from core.types import FloatArray

IdArray = npt.NDArray[np.int64]


class VectorRepository:
    """Typed access to ``encoders``, ``image_features`` and ``caption_features``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def encoder(self, model_id: str, dim: int) -> EncoderRecord:
        """Get or register the encoder ``model_id`` with output size ``dim``.

        Raises:
            IncompatibleCodesError: The id is known with a different dimension.
        """
        self._db.execute(
            "INSERT INTO encoders(model_id, dim) VALUES (?, ?) ON CONFLICT DO NOTHING",
            [model_id, dim],
        )
        row = self._db.execute(
            "SELECT id, dim FROM encoders WHERE model_id = ?", [model_id]
        ).fetchone()
        if int(row[1]) != dim:
            raise IncompatibleCodesError(
                f"The model {model_id} produced {dim}-d vectors but the library holds "
                f"{row[1]}-d vectors under the same name.",
            )
        return EncoderRecord(int(row[0]), model_id, dim)

    def find_encoder(self, model_id: str) -> EncoderRecord | None:
        """The registered encoder with this id, if any."""
        row = self._db.execute(
            "SELECT id, dim FROM encoders WHERE model_id = ?", [model_id]
        ).fetchone()
        return None if row is None else EncoderRecord(int(row[0]), model_id, int(row[1]))

    def media_to_encode(self, encoder_id: int) -> list[tuple[int, str]]:
        """(id, path) of usable photos with no image vector from this encoder."""
        rows = self._db.execute(
            "SELECT m.id, m.path FROM media m WHERE m.status != 'error' AND NOT EXISTS"
            " (SELECT 1 FROM image_features f WHERE f.media_id = m.id AND f.encoder_id = ?)"
            " ORDER BY m.id",
            [encoder_id],
        ).fetchall()
        return [(int(r[0]), path_from_db(r[1])) for r in rows]

    def captions_to_encode(self, encoder_id: int) -> list[tuple[int, str]]:
        """(id, text) of captions with no text vector from this encoder."""
        rows = self._db.execute(
            "SELECT c.id, c.text FROM captions c WHERE NOT EXISTS"
            " (SELECT 1 FROM caption_features f WHERE f.caption_id = c.id AND f.encoder_id = ?)"
            " ORDER BY c.id",
            [encoder_id],
        ).fetchall()
        return [(int(r[0]), str(r[1])) for r in rows]

    def copy_image_features(self, source_id: int, target_id: int) -> int:
        """Give a photo the image vectors (all encoders) of an identical one; returns how many."""
        cursor = self._db.execute(
            "INSERT OR REPLACE INTO image_features(media_id, encoder_id, vector)"
            " SELECT ?, encoder_id, vector FROM image_features WHERE media_id = ?",
            [target_id, source_id],
        )
        return int(cursor.rowcount)

    def put_image_features(self, encoder_id: int, media_ids: Sequence[int], x: FloatArray) -> None:
        """Store one image vector per photo (float16), replacing older ones."""
        self._put("image_features", "media_id", encoder_id, media_ids, x)

    def put_caption_features(
        self, encoder_id: int, caption_ids: Sequence[int], x: FloatArray
    ) -> None:
        """Store one text vector per caption (float16), replacing older ones."""
        self._put("caption_features", "caption_id", encoder_id, caption_ids, x)

    def _put(
        self, table: str, key: str, encoder_id: int, ids: Sequence[int], x: FloatArray
    ) -> None:
        if len(ids) != len(x):
            raise ValueError(f"{len(ids)} ids but {len(x)} vectors")
        self._db.conn.executemany(
            f"INSERT OR REPLACE INTO {table}({key}, encoder_id, vector) VALUES (?, ?, ?)",
            [(int(i), encoder_id, vector_to_blob(v)) for i, v in zip(ids, x, strict=True)],
        )

    def image_matrix(self, encoder: EncoderRecord) -> tuple[IdArray, FloatArray]:
        """All image vectors of an encoder: (media ids, ``(n, dim)`` float32)."""
        rows = self._db.execute(
            "SELECT media_id, vector FROM image_features WHERE encoder_id = ? ORDER BY media_id",
            [encoder.id],
        ).fetchall()
        ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        return ids, blobs_to_matrix([r[1] for r in rows], encoder.dim)

    def caption_matrix(self, encoder: EncoderRecord) -> tuple[IdArray, IdArray, FloatArray]:
        """All caption vectors of an encoder: (caption ids, media ids, ``(n, dim)`` float32)."""
        rows = self._db.execute(
            "SELECT f.caption_id, c.media_id, f.vector FROM caption_features f"
            " JOIN captions c ON c.id = f.caption_id WHERE f.encoder_id = ? ORDER BY f.caption_id",
            [encoder.id],
        ).fetchall()
        n = len(rows)
        caption_ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=n)
        media_ids = np.fromiter((r[1] for r in rows), dtype=np.int64, count=n)
        return caption_ids, media_ids, blobs_to_matrix([r[2] for r in rows], encoder.dim)

    def vectors_of(
        self, encoder: EncoderRecord, modality: Literal["image", "text"], ids: Sequence[int]
    ) -> FloatArray:
        """Vectors of the given photos (image) or captions (text), in the order of ``ids``."""
        table, key = (
            ("image_features", "media_id")
            if modality == "image"
            else ("caption_features", "caption_id")
        )
        by_id: dict[int, bytes] = {}
        for start in range(0, len(ids), 8192):
            chunk = [int(i) for i in ids[start : start + 8192]]
            rows = self._db.execute(
                f"SELECT {key}, vector FROM {table} WHERE encoder_id = ?"
                f" AND {key} IN ({','.join('?' * len(chunk))})",
                [encoder.id, *chunk],
            ).fetchall()
            by_id.update((int(r[0]), r[1]) for r in rows)
        missing = [i for i in ids if int(i) not in by_id]
        if missing:
            raise KeyError(f"no {modality} vectors for {missing[:5]}")
        return blobs_to_matrix([by_id[int(i)] for i in ids], encoder.dim)

    def has_vectors(self, modality: Literal["image", "text"]) -> bool:
        """Whether any photo (image) or caption (text) has a vector, from any encoder."""
        table = "image_features" if modality == "image" else "caption_features"
        return self._db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone() is not None

    def counts(self) -> dict[str, int]:
        """How many image and caption vectors are stored (all encoders)."""
        q = self._db.execute
        return {
            "image_vectors": int(q("SELECT COUNT(*) FROM image_features").fetchone()[0]),
            "caption_vectors": int(q("SELECT COUNT(*) FROM caption_features").fetchone()[0]),
        }
