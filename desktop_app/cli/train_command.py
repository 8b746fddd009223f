"""``train``: fit a hashing method on the library's stored features and switch search to it."""

from __future__ import annotations

import argparse
import sys

from core.config import AppConfig
from core.errors import ConfigError
from core.hashing.registry import get_spec
from core.indexing.trainer import Trainer, TrainOptions, TrainReport
from core.store.database import Store
from desktop_app.cli.progress_bar import ProgressBars
from desktop_app.cli.runtime import effective_encoder_config, encoder_config_key, lazy_encoder
from desktop_app.hashing_text import pair_words


def cmd_train(store: Store, config: AppConfig, args: argparse.Namespace) -> int:
    """Train, write every code, activate, and say what was used."""
    encoder_config = effective_encoder_config(config, store, args)
    key = encoder_config_key(encoder_config)
    encoder = store.known_encoder(key)
    if encoder is None:
        raise ConfigError(
            "This library has no features from that model yet. Run `hashlens index` first."
        )
    options = TrainOptions(args.method, args.bits, seed=args.seed, albums=args.albums)
    show = sys.stderr.isatty() and not args.no_progress
    with ProgressBars(enabled=show) as bars:
        # the CLIP model loads only if the method embeds concept prompts (fpo-cmh)
        trainer = Trainer(store, encoder, text_encoder=lazy_encoder(encoder_config))
        report = trainer.train(options, progress=bars)
    print(describe(report))
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
