"""Schema migrations, one function per change, applied in order.

Applied migration names are recorded by sqlite-utils in ``_sqlite_migrations``.
A library holding a name this version does not know was written by a newer
HashLens, and is refused before anything is changed (see ``database.py``).
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

MIGRATIONS = Migrations("hashlens")

_INITIAL_SCHEMA = """
CREATE TABLE folders (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    added_at TEXT NOT NULL,
    is_watched INTEGER NOT NULL DEFAULT 1,
    is_album_source INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    path TEXT NOT NULL UNIQUE,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    content_hash TEXT NOT NULL,
    width INTEGER,
    height INTEGER,
    taken_at TEXT,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'ready', 'error')),
    error TEXT,
    sidecar_sig TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX media_folder ON media(folder_id);
CREATE INDEX media_content_hash ON media(content_hash);
CREATE INDEX media_status ON media(status);
CREATE TABLE captions (
    id INTEGER PRIMARY KEY,
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    text TEXT NOT NULL,
    source TEXT NOT NULL
);
CREATE INDEX captions_media ON captions(media_id);
CREATE TABLE labels (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE COLLATE NOCASE
);
CREATE TABLE media_labels (
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,
    origin TEXT NOT NULL,
    confidence REAL NOT NULL DEFAULT 1.0,
    PRIMARY KEY (media_id, label_id, origin)
) WITHOUT ROWID;
CREATE INDEX media_labels_label ON media_labels(label_id);
CREATE TABLE encoders (
    id INTEGER PRIMARY KEY,
    model_id TEXT NOT NULL UNIQUE,
    dim INTEGER NOT NULL
);
CREATE TABLE image_features (
    media_id INTEGER NOT NULL REFERENCES media(id) ON DELETE CASCADE,
    encoder_id INTEGER NOT NULL REFERENCES encoders(id) ON DELETE CASCADE,
    vector BLOB NOT NULL,
    UNIQUE (encoder_id, media_id)
);
CREATE INDEX image_features_media ON image_features(media_id);
CREATE TABLE caption_features (
    caption_id INTEGER NOT NULL REFERENCES captions(id) ON DELETE CASCADE,
    encoder_id INTEGER NOT NULL REFERENCES encoders(id) ON DELETE CASCADE,
    vector BLOB NOT NULL,
    UNIQUE (encoder_id, caption_id)
);
CREATE INDEX caption_features_caption ON caption_features(caption_id);
CREATE TABLE hashers (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    version INTEGER NOT NULL,
    encoder_id INTEGER NOT NULL REFERENCES encoders(id) ON DELETE CASCADE,
    n_bits INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    is_active INTEGER NOT NULL DEFAULT 0,
    UNIQUE (name, version, encoder_id)
);
CREATE TABLE codes (
    hasher_id INTEGER NOT NULL REFERENCES hashers(id) ON DELETE CASCADE,
    modality TEXT NOT NULL CHECK (modality IN ('image', 'text')),
    item_id INTEGER NOT NULL,
    code BLOB NOT NULL,
    PRIMARY KEY (hasher_id, modality, item_id)
) WITHOUT ROWID;
CREATE TABLE scan_problems (
    id INTEGER PRIMARY KEY,
    folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,
    path TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX scan_problems_folder ON scan_problems(folder_id);
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""


@MIGRATIONS(name="m001_initial")
def m001_initial(db: Database) -> None:
    """Create the first schema: folders, media, captions, labels, features, codes."""
    for statement in _INITIAL_SCHEMA.split(";"):
        if statement.strip():
            db.execute(statement)


@MIGRATIONS(name="m002_hasher_models")
def m002_hasher_models(db: Database) -> None:
    """Keep each trained hasher's model file and training summary beside its codes."""
    db.execute("ALTER TABLE hashers ADD COLUMN model BLOB")
    db.execute("ALTER TABLE hashers ADD COLUMN details TEXT NOT NULL DEFAULT '{}'")
    db.execute("CREATE INDEX hashers_encoder ON hashers(encoder_id, is_active)")
    # codes.item_id points at media (image) or captions (text), so no foreign key can
    # cascade; these triggers do, seeking the primary key once per stored hasher.
    for table, modality in (("media", "image"), ("captions", "text")):
        db.execute(
            f"CREATE TRIGGER {table}_codes_cleanup AFTER DELETE ON {table} BEGIN"
            " DELETE FROM codes WHERE hasher_id IN (SELECT id FROM hashers)"
            f" AND modality = '{modality}' AND item_id = OLD.id; END"
        )
    # a re-encoded photo or caption invalidates its codes; the indexer re-hashes it
    for table, key, modality in (
        ("image_features", "media_id", "image"),
        ("caption_features", "caption_id", "text"),
    ):
        db.execute(
            f"CREATE TRIGGER {table}_codes_stale AFTER INSERT ON {table} BEGIN"
            " DELETE FROM codes WHERE hasher_id IN"
            " (SELECT id FROM hashers WHERE encoder_id = NEW.encoder_id)"
            f" AND modality = '{modality}' AND item_id = NEW.{key}; END"
        )


@MIGRATIONS(name="m003_retry_and_unsupported")
def m003_retry_and_unsupported(db: Database) -> None:
    """Retryable errors, and counts of the files a folder holds that are not indexed yet.

    ``media.error_retry`` = 1: the photo failed for a passing reason (moved, no
    permission) and the scan tries it again. Errors recorded before this column existed
    did not say which kind they were, so each is tried once more; a corrupt file fails
    again and is then kept as a lasting error until it changes.
    ``unsupported_files``: RAW photos and videos per folder and kind, for ``status``.
    """
    db.execute("ALTER TABLE media ADD COLUMN error_retry INTEGER NOT NULL DEFAULT 0")
    db.execute("UPDATE media SET error_retry = 1 WHERE status = 'error'")
    db.execute(
        "CREATE TABLE unsupported_files ("
        " folder_id INTEGER NOT NULL REFERENCES folders(id) ON DELETE CASCADE,"
        " kind TEXT NOT NULL, count INTEGER NOT NULL, PRIMARY KEY (folder_id, kind))"
        " WITHOUT ROWID"
    )


@MIGRATIONS(name="m004_camera")
def m004_camera(db: Database) -> None:
    """The camera (EXIF make and model) of each photo, for the camera filter.

    NULL: not read yet (photos indexed before this column existed; indexing reads their
    camera once, see ``core.library.indexing.camera_backfill``); '': the photo names no camera.
    """
    db.execute("ALTER TABLE media ADD COLUMN camera TEXT")


@MIGRATIONS(name="m005_media_kind")
def m005_media_kind(db: Database) -> None:
    """What each item is: ``photo``, ``raw`` (a camera RAW file) or ``video``.

    Libraries written before RAW photos and videos were indexed hold only photos, so the
    default is right for every existing row. Their counts of RAW photos and videos "not
    supported yet" are dropped: the next scan indexes those files.
    """
    db.execute(
        "ALTER TABLE media ADD COLUMN kind TEXT NOT NULL DEFAULT 'photo'"
        " CHECK (kind IN ('photo', 'raw', 'video'))"
    )
    db.execute("DELETE FROM unsupported_files WHERE kind IN ('raw', 'video')")


def known_migration_names() -> frozenset[str]:
    """Names of every migration this version of HashLens knows."""
    return frozenset(m.name for m in MIGRATIONS._migrations)
