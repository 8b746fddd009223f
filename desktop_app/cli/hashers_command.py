"""``hashers``: the hashing models trained for the library's model, and which one search uses."""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from core.config import AppConfig
from core.store.database import Store
from core.store.records import HasherRecord
from desktop_app.application.hashing import short_title, trained_hasher, training_details
from desktop_app.application.terminal_text import json_for_terminal
from desktop_app.cli.runtime import effective_encoder_config, encoder_config_key

SWITCH_HINT = "Switch with: hashlens train --activate --method KEY --bits N"


def add_hashers_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> argparse.ArgumentParser:
    """The ``hashers`` sub-command (model options are added by the caller)."""
    hashers = sub.add_parser(
        "hashers", help="list the trained hashing models; the active one is marked *"
    )
    hashers.add_argument("--json", action="store_true", help="print as JSON")
    return hashers


@dataclass(frozen=True, slots=True)
class HasherRow:
    """One trained hasher as ``hashers`` shows it."""

    id: int
    method: str
    title: str
    supervision: str
    bits: int
    version: int
    trained_at: str
    active: bool
    rows: int
    photos: int
    pseudo_pairs: int


def hasher_rows(store: Store, config: AppConfig, args: argparse.Namespace) -> list[HasherRow]:
    """Hashers trained on the features of the model the command uses, newest first."""
    key = encoder_config_key(effective_encoder_config(config, store, args))
    encoder = store.known_encoder(key)
    if encoder is None:
        return []
    return [_row(h) for h in store.codes.hashers() if h.encoder_id == encoder.id]


def _row(record: HasherRecord) -> HasherRow:
    trained, details = trained_hasher(record), training_details(record)
    return HasherRow(
        record.id, record.name, short_title(trained.title), trained.supervision,
        record.n_bits, record.version, record.created_at, record.is_active,
        details.rows, details.photos, details.pseudo_pairs,
    )  # fmt: skip


def cmd_hashers(store: Store, config: AppConfig, args: argparse.Namespace) -> int:
    """Print the trained hashers (a table, or JSON with ``--json``)."""
    rows = hasher_rows(store, config, args)
    if args.json:
        print(json_for_terminal([_json(r) for r in rows]))
        return 0
    if not rows:
        print("No hashing model is trained for this library's model yet: run `hashlens train`.")
        return 0
    width = max(len(r.method) for r in rows)
    for r in rows:
        mark = "*" if r.active else " "
        pairs = f"{r.rows:,} pseudo-pairs" if r.pseudo_pairs else f"{r.rows:,} pairs"
        print(
            f"{mark} {r.method:<{width}}  {r.bits:>4} bits  version {r.version}  "
            f"trained {r.trained_at}  on {pairs}  ({r.title}, {r.supervision})"
        )
    print(SWITCH_HINT)
    return 0


def _json(row: HasherRow) -> dict[str, object]:
    return {
        "id": row.id,
        "method": row.method,
        "title": row.title,
        "supervision": row.supervision,
        "bits": row.bits,
        "version": row.version,
        "trained_at": row.trained_at,
        "active": row.active,
        "rows": row.rows,
        "photos": row.photos,
        "pseudo_pairs": row.pseudo_pairs,
    }
