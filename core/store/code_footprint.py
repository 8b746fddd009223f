"""How much room a trained hasher's codes take in the library (read-only)."""

from __future__ import annotations

from dataclasses import dataclass

from core.store.database import Store


@dataclass(frozen=True, slots=True)
class CodeFootprint:
    """Stored codes of one hasher.

    Attributes:
        images: Photo codes.
        texts: Caption codes.
        n_bytes: Bytes of code data (without SQLite's per-row overhead).
    """

    images: int
    texts: int
    n_bytes: int

    @property
    def codes(self) -> int:
        """Photo and caption codes together."""
        return self.images + self.texts


def code_footprint(store: Store, hasher_id: int) -> CodeFootprint:
    """Count the codes of ``hasher_id`` and their bytes, per modality."""
    rows = store.db.execute(
        "SELECT modality, COUNT(*), COALESCE(SUM(LENGTH(code)), 0) FROM codes"
        " WHERE hasher_id = ? GROUP BY modality",
        [hasher_id],
    ).fetchall()
    counts = {str(m): (int(n), int(b)) for m, n, b in rows}
    images, image_bytes = counts.get("image", (0, 0))
    texts, text_bytes = counts.get("text", (0, 0))
    return CodeFootprint(images, texts, image_bytes + text_bytes)
