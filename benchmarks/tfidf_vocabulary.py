"""How much of the TF-IDF vocabulary scikit-learn's ``max_features`` cut leaves to chance.

For each icon source, on the unique training texts of its default split: the terms'
total counts, the count at the 2,000-term cut, how many terms share it, how many of
those the cut keeps, and how many terms numpy's default (unstable) argsort keeps on
this machine that the builder's rule (``hashlens_bench.text_features.most_frequent_terms``:
by count, ties broken by the term) does not. A non-zero last column
means scikit-learn's own cut depends on the sort routine numpy picks for the CPU.

Usage (the sources must be fetched, e.g. by one ``hashlens dataset build``):
    .venv/bin/python benchmarks/tfidf_vocabulary.py emoji phosphor tabler mdi
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from hashlens_bench.builder import BuildOptions, bench_cache_dir, read_catalogue
from hashlens_bench.npm_packages import NpmPackage, fetch_package
from hashlens_bench.splits import group_split
from hashlens_bench.text_features import TFIDF_MAX_FEATURES, most_frequent_terms, term_counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+")
    args = parser.parse_args()
    print(f"numpy {np.__version__}; cut at {TFIDF_MAX_FEATURES} terms")
    print("| source | terms | count at the cut | terms with it | kept | unstable-only |")
    print("|---|---:|---:|---:|---:|---:|")

    def fetch(package: NpmPackage) -> Path:
        return fetch_package(package, bench_cache_dir() / "npm")

    for source in args.sources:
        options = BuildOptions(source=source)
        catalogue = read_catalogue(options, fetch)
        split = group_split(catalogue.group_ids(), seed=options.seed)
        texts = np.array([a.text for a in catalogue.artworks], dtype=np.str_)
        unique, inverse = np.unique(texts, return_inverse=True)
        training = unique[np.unique(inverse[split.train])].tolist()
        terms, counts = term_counts(training)
        limit = min(TFIDF_MAX_FEATURES, counts.size)
        kept = np.isin(terms, most_frequent_terms(terms, counts, limit))
        unstable = np.zeros_like(kept)
        unstable[np.argsort(-counts)[:limit]] = True  # scikit-learn's cut
        at_cut = counts[kept].min()
        tied = int((counts == at_cut).sum())
        kept_at_cut = int((counts[kept] == at_cut).sum())
        differ = int((unstable & ~kept).sum())
        print(f"| {source} | {counts.size:,} | {at_cut} | {tied:,} | {kept_at_cut:,} | {differ} |")


if __name__ == "__main__":
    main()
