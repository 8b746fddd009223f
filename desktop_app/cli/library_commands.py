"""``add``, ``remove`` and ``status``."""

from __future__ import annotations

import argparse
import sys
from dataclasses import asdict
from pathlib import Path

from core import paths
from core.config import EncoderConfig
from core.encoders.encoder_key import EncoderKey
from core.encoders.onnx_cache import read_config_record
from core.errors import FolderNotFoundError
from core.library.folders import FolderRegistration, register_folder
from core.library.indexing.file_walk import describe_not_indexed
from core.library.training.online_progress import describe_online, online_progress
from core.library.training.training_summary import TrainingSummary
from core.store.database import ACTIVE_ENCODER_SETTING, Store
from core.store.records import HasherRecord, printable
from desktop_app.application.hashing_text import pair_words
from desktop_app.application.log_setup import LOG_FILENAME
from desktop_app.application.terminal_text import for_terminal, json_for_terminal, one_line


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
    """Register folders; with ``--[no-]album-labels``, opt them in or out as album sources."""
    status = 0
    for raw in args.dirs:
        registration = register_folder(store, resolve_folder(raw))
        print(describe_registration(registration))
        if args.album_labels is not None:
            status = max(status, _set_album_labels(store, registration, args.album_labels))
    print("Run `hashlens index` to scan them.")
    return status


def _set_album_labels(store: Store, registration: FolderRegistration, is_on: bool) -> int:
    folder = registration.folder
    path = for_terminal(folder.path)
    if registration.covered_by_existing:
        print(
            f"hashlens: album labels are set for a whole library folder ({path}): its "
            f"first-level sub-folders are the albums. Run `hashlens add {path} "
            f"--{'' if is_on else 'no-'}album-labels` to change it.",
            file=sys.stderr,
        )
        return 1
    with store.atomic():
        store.media.set_album_source(folder.id, is_on)
    if is_on:
        print(f"  sub-folders of {path} count as labels (albums) when training")
    else:
        print(f"  sub-folders of {path} no longer count as labels")
    return 0


def describe_registration(result: FolderRegistration) -> str:
    """One line telling the user what registering a folder did."""
    path = for_terminal(result.folder.path)
    if result.covered_by_existing:
        return f"Already in the library as part of {path}"
    merged = "".join(f"\n  (now includes {for_terminal(p)})" for p in result.absorbed)
    return f"Added {path}{merged}"


def cmd_remove(store: Store, args: argparse.Namespace) -> int:
    """Forget folders and what was indexed from them."""
    status = 0
    for raw in args.dirs:
        path = str(raw.expanduser().resolve())
        folder = store.media.folder_by_path(path)
        if folder is None:
            print(f"{for_terminal(path)} is not in the library.")
            status = 1
            continue
        with store.atomic():
            store.media.remove_folder(folder.id)
        print(f"Removed {for_terminal(path)} from the library (your files were not touched).")
    return status


def status_payload(store: Store) -> dict[str, object]:
    """Everything ``status`` reports, as plain data."""
    stats = store.stats()
    active = store.get_setting(ACTIVE_ENCODER_SETTING)
    return {
        "library": printable(str(store.path)),
        "log": printable(str(paths.log_dir() / LOG_FILENAME)),
        **asdict(stats),
        "model": _model_json(active),
        "encoder_runtime": _runtime_json(active),
        "hashers": [_hasher_json(h) for h in store.codes.hashers()],
        "folders_list": [printable(f.path) for f in store.media.folders()],
        "album_folders": [printable(f.path) for f in store.media.folders() if f.is_album_source],
        "errors": [{"path": printable(p), "reason": r} for p, r in store.media.errors()],
        "problems": [{"path": printable(p), "message": m} for p, m in store.media.problems()],
        "not_indexed": _unsupported_totals(store),
    }


def _pseudo_pairs(hasher: HasherRecord) -> int:
    """Training rows that were pseudo-pairs (a library without captions), 0 if unknown."""
    try:
        return TrainingSummary.from_json(hasher.details).pseudo_pairs
    except ValueError:
        return 0


def _unsupported_totals(store: Store) -> dict[str, int]:
    """Kind (``hidden``) -> files of that kind in the folders, not indexed."""
    totals: dict[str, int] = {}
    for counts in store.media.unsupported().values():
        for kind, n in counts.items():
            totals[kind] = totals.get(kind, 0) + n
    return totals


def _model_json(active: str | None) -> dict[str, str] | None:
    """The library's model key as its fields (``None``: none yet, or unreadable)."""
    try:
        return EncoderKey.parse(active).as_dict() if active else None
    except ValueError:
        return None


def _runtime_json(active: str | None) -> dict[str, str] | None:
    """The runtime the library's model last ran on here, and why (``None``: not loaded yet)."""
    if not active:
        return None
    try:
        cfg = EncoderKey.parse(active).apply(EncoderConfig())
    except ValueError:
        return None
    record = read_config_record(cfg)
    if record is None:
        return None
    choice = record.choice
    return {"runtime": choice.runtime, "precision": choice.precision, "reason": choice.reason}


def _hasher_json(record: HasherRecord) -> dict[str, object]:
    progress = online_progress(record.details)
    try:
        details: dict[str, object] | None = TrainingSummary.from_json(record.details).to_dict()
    except ValueError:
        details = None
    return {
        **asdict(record),
        "details": details,
        "online": progress.to_json() if progress is not None else None,
    }


def cmd_status(store: Store, args: argparse.Namespace) -> int:
    """Print library counts, skipped files and problems."""
    if args.json:
        print(json_for_terminal(status_payload(store)))
        return 0
    stats = store.stats()
    read_only = " (read-only)" if store.read_only else ""
    print(f"Library: {for_terminal(str(store.path))} ({_mb(stats.file_bytes)}){read_only}")
    active = store.get_setting(ACTIVE_ENCODER_SETTING)
    model = _model_json(active)
    if active:
        name, weights = (model or {}).get("model"), (model or {}).get("pretrained")
        print(f"Model: {for_terminal(str(name))} (weights: {for_terminal(str(weights))})")
        runtime = _runtime_json(active)
        if runtime is None:
            print("Encoder runtime: chosen when the model is next loaded")
        else:
            kind = f"{runtime['runtime']}, {runtime['precision']}"
            print(f"Encoder runtime: {kind} ({for_terminal(runtime['reason'])})")
    print(
        f"Photos: {stats.photos} ({stats.photos_ready} indexed, "
        f"{stats.photos_pending} pending, {stats.photos_error} skipped)"
    )
    if stats.raw_photos or stats.videos:
        print(f"  of which {stats.raw_photos} RAW photos and {stats.videos} videos")
    print(f"Captions: {stats.captions}   Labels: {stats.labels}")
    for hasher in store.codes.hashers():
        state = "active" if hasher.is_active else "inactive"
        print(
            f"Hashing: {hasher.name}, {hasher.n_bits} bits, version {hasher.version} "
            f"({state}, trained {hasher.created_at})"
        )
        pseudo = _pseudo_pairs(hasher)
        if pseudo:
            print(f"  trained on {pseudo:,} {pair_words(pseudo)}")
        progress = online_progress(hasher.details)
        if progress is not None:
            print(f"  {describe_online(progress)}")
    for folder in store.media.folders():
        albums = " (sub-folders are album labels)" if folder.is_album_source else ""
        print(f"  folder: {for_terminal(folder.path)}{albums}")
    _print_list("Skipped files", store.media.errors())
    _print_list("Problems", store.media.problems())
    not_indexed = describe_not_indexed(_unsupported_totals(store))
    if not_indexed:
        print(f"Not indexed: {not_indexed}")
    print(f"Log: {for_terminal(str(paths.log_dir() / LOG_FILENAME))}")
    return 0


def _print_list(title: str, rows: list[tuple[str, str]]) -> None:
    if not rows:
        return
    print(f"{title} ({len(rows)}):")
    for path, reason in rows[:50]:
        print(f"  {for_terminal(path)}: {one_line(reason)}")
    if len(rows) > 50:
        print(f"  ... and {len(rows) - 50} more (see `hashlens status --json`)")


def _mb(n: int) -> str:
    return f"{n / 1e6:.1f} MB"
