"""Read the camera of photos indexed before the library stored cameras (migration m004).

Such photos are not decoded again (their features are current), so their camera is read
once from the file's header: Pillow parses the EXIF block without decoding any pixel. A
file that cannot be opened now is marked as naming no camera (''), so it is not retried on
every run; it gets its camera when it changes and is indexed again.
"""

from __future__ import annotations

import logging

from PIL import Image

from core.errors import TaskCancelled
from core.media.image_io import register_openers
from core.media.metadata import read_camera
from core.progress import CancelToken
from core.store.database import Store

logger = logging.getLogger(__name__)

BATCH = 200
"""Photos read between two writes (and two cancellation checks)."""


def backfill_cameras(store: Store, cancel: CancelToken | None = None) -> int:
    """Store the camera of every ready photo whose camera was never read.

    Returns:
        How many photos were read.

    Raises:
        TaskCancelled: ``cancel`` was set; the batches read so far are kept.
    """
    register_openers()
    done = 0
    while batch := store.media.without_camera_read(BATCH):
        if cancel is not None and cancel.is_cancelled:
            raise TaskCancelled("Indexing was cancelled.")
        found = [(media_id, _camera_of(path)) for media_id, path in batch]
        with store.atomic():
            store.media.set_cameras(found)
        done += len(found)
    if done:
        logger.info("Read the camera of %d photos indexed before cameras were stored", done)
    return done


def _camera_of(path: str) -> str:
    try:
        with Image.open(path) as image:
            return read_camera(image) or ""
    except Exception as exc:  # Pillow raises many types on odd files; '' is "names none"
        logger.debug("No camera read from %s: %r", path, exc)
        return ""
