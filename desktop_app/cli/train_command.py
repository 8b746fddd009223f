"""``train``: fit a hashing method on the stored features and switch search to it.

``train --activate`` switches to a method trained earlier without fitting anything.
"""

from __future__ import annotations

import argparse
import sys

from core.config import AppConfig
from core.errors import ConfigError
from core.hashing.registry import get_spec
from core.hashing.selection import AUTO
from core.library.training.hasher_switch import find_trained, switch_to
from core.library.training.trainer import Trainer, TrainOptions, TrainReport
from core.store.database import Store
from core.store.records import EncoderRecord
from desktop_app.application.hashing_text import pair_words
from desktop_app.cli.progress_bar import ProgressBars
from desktop_app.cli.runtime import effective_encoder_config, encoder_config_key, lazy_encoder


def cmd_train(store: Store, config: AppConfig, args: argparse.Namespace) -> int:
    """Train, write every code, activate, and say what was used."""
    encoder_config = effective_encoder_config(config, store, args)
    key = encoder_config_key(encoder_config)
    encoder = store.known_encoder(key)
    if encoder is None:
        raise ConfigError(
            "This library has no features from that model yet. Run `hashlens index` first."
        )
    if args.activate:
        return _activate(store, encoder, args)
    options = TrainOptions(args.method, args.bits, seed=args.seed, albums=args.albums)
    show = sys.stderr.isatty() and not args.no_progress
    with ProgressBars(enabled=show) as bars:
        # the CLIP model loads only if the method embeds concept prompts (fpo-cmh)
        trainer = Trainer(store, encoder, text_encoder=lazy_encoder(encoder_config))
        report = trainer.train(options, progress=bars)
    print(describe(report))
    return 0


def _activate(store: Store, encoder: EncoderRecord, args: argparse.Namespace) -> int:
    """Switch search to a hasher trained earlier; nothing is fitted."""
    if args.method == AUTO:
        raise ConfigError(
            "Name the hashing model to switch to: --method KEY --bits N "
            "(`hashlens hashers` lists the trained ones)."
        )
    record = find_trained(store, encoder, args.method, args.bits)
    if record is None:
        raise ConfigError(
            f"No {args.method} model with {args.bits}-bit codes is trained for this library's "
            f"model. `hashlens hashers` lists the trained ones; "
            f"`hashlens train --method {args.method} --bits {args.bits}` trains it."
        )
    active, written = switch_to(store, encoder, record.id)
    added = ""
    if written.images or written.texts:
        added = (
            f" Coded {written.images:,} photos and {written.texts:,} captions "
            "indexed since it was trained."
        )
    print(
        f"Search now uses {active.name} ({active.n_bits} bits, version {active.version}, "
        f"trained {active.created_at}).{added}"
    )
    return 0


def describe(report: TrainReport) -> str:
    """A few lines a person can read: what was learned from what, and what was written."""
    h = report.hasher
    lines = []
    if report.selection is not None:
        lines.append(f"Method auto: {report.selection.reason}")
    lines.append(
        f"Trained {h.name} ({h.n_bits} bits, version {h.version}) on {report.rows:,} "
        f"{pair_words(report.pseudo_pairs)} from {report.photos:,} photos "
        f"in {report.fit_seconds:.2f} s."
    )
    if report.tuning is not None and report.tuning.status != "explicit":
        lines.append(f"Settings {report.tuning.summary()}.")
    for role, nested in report.nested_tuning.items():
        lines.append(f"Settings of the {role}: {nested.summary()}.")
    if report.classes:
        origins = ", ".join(f"{n:,} {o}" for o, n in sorted(report.origin_counts.items()))
        lines.append(
            f"Labels: {report.classes:,} classes on {report.labelled_rows:,} pairs ({origins})."
        )
    if report.zero_shot is not None:
        lines.append(
            f"No photo had a label, so the CLIP model guessed everyday concepts for "
            f"{report.zero_shot.photos:,} photos (stored as zero-shot labels: "
            "`hashlens tag PATH` shows them); only the confident guesses count as labels."
        )
    if get_spec(h.name).supervision == "semi-supervised":
        lines.append(
            f"{report.unlabelled_rows:,} unlabelled pairs learn from the "
            f"{report.labelled_rows:,} labelled ones."
        )
    if report.excluded_unlabelled:
        lines.append(
            f"Left out {report.excluded_unlabelled:,} pairs without labels "
            "(a supervised method cannot learn from them)."
        )
    lines.append(
        f"Wrote {report.codes.images:,} photo codes and {report.codes.texts:,} caption codes; "
        "search now uses them."
    )
    return "\n".join(lines)
