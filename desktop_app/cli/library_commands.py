"""``add``, ``remove`` and ``status``."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from core.errors import FolderNotFoundError
from core.store.database import ACTIVE_ENCODER_SETTING, Store


def resolve_folder(path: Path) -> str:
    """Absolute, symlink-resolved folder path.

    Raises:
        FolderNotFoundError: It does not exist or is not a folder.
    """
    resolved = path.expanduser().resolve()
    if not resolved.is_dir():
        raise FolderNotFoundError(f"{path} is not a folder (or it does not exist).")
    return str(resolved)


def cmd_add(store: Store, args: argparse.Namespace) -> int:
    """Register folders."""
    paths = [resolve_folder(p) for p in args.dirs]
    with store.atomic():
        for path in paths:
            store.media.add_folder(path)
    for path in paths:
        print(f"Added {path}")
    print("Run `hashlens index` to scan them.")
    return 0


def cmd_remove(store: Store, args: argparse.Namespace) -> int:
    """Forget folders and what was indexed from them."""
    status = 0
    for raw in args.dirs:
        path = str(raw.expanduser().resolve())
        folder = store.media.folder_by_path(path)
        if folder is None:
            print(f"{path} is not in the library.")
            status = 1
            continue
        with store.atomic():
            store.media.remove_folder(folder.id)
        print(f"Removed {path} from the library (your files were not touched).")
    return status


def status_payload(store: Store) -> dict[str, object]:
    """Everything ``status`` reports, as plain data."""
    stats = store.stats()
    active = store.get_setting(ACTIVE_ENCODER_SETTING)
    return {
        "library": str(store.path),
        **asdict(stats),
        "model": json.loads(active) if active else None,
        "folders_list": [f.path for f in store.media.folders()],
        "errors": [{"path": p, "reason": r} for p, r in store.media.errors()],
        "problems": [{"path": p, "message": m} for p, m in store.media.problems()],
    }


def cmd_status(store: Store, args: argparse.Namespace) -> int:
    """Print library counts, skipped files and problems."""
    payload = status_payload(store)
    if args.json:
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    print(f"Library: {payload['library']} ({_mb(int(str(payload['file_bytes'])))})")
    if payload["model"]:
        print(f"Model: {payload['model']}")
    print(
        f"Photos: {payload['photos']} ({payload['photos_ready']} indexed, "
        f"{payload['photos_pending']} pending, {payload['photos_error']} skipped)"
    )
    print(f"Captions: {payload['captions']}   Labels: {payload['labels']}")
    for folder in payload["folders_list"]:  # type: ignore[attr-defined]
        print(f"  folder: {safe(folder)}")
    _print_list("Skipped files", payload["errors"], "path", "reason")
    _print_list("Problems", payload["problems"], "path", "message")
    return 0


def _print_list(title: str, rows: object, key: str, value: str) -> None:
    items = list(rows)  # type: ignore[call-overload]
    if not items:
        return
    print(f"{title} ({len(items)}):")
    for row in items[:50]:
        print(f"  {safe(row[key])}: {row[value]}")
    if len(items) > 50:
        print(f"  ... and {len(items) - 50} more (see `hashlens status --json`)")


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"


def safe(text: str) -> str:
    """A path or caption printable on any terminal (undecodable bytes shown escaped)."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")
