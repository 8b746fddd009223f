"""Peak memory of reading a large UTF-16 XMP sidecar, valid and with a DTD (issue 13).

A UTF-16 sidecar with a DTD once slipped past the DOCTYPE check and its entities were
expanded (15.6 MB file, 2 GB peak). Each case runs in a fresh process so that peak RSS
growth (``ru_maxrss``) belongs to that one read.

Usage: python benchmarks/xmp_sidecar_memory.py --items 235000
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.media.metadata import read_xmp_sidecar

_DTD = '<!DOCTYPE x:xmpmeta [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'


def write_sidecar(folder: Path, items: int, with_dtd: bool) -> Path:
    entity = "&b;" * 64 if with_dtd else ""
    body = f"<rdf:li>{entity}</rdf:li>" + "".join(
        f"<rdf:li>d {i} 0.5 0.25</rdf:li>" for i in range(items)
    )
    text = (
        f'{_DTD if with_dtd else ""}<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<dc:subject><rdf:Bag>{body}</rdf:Bag></dc:subject>"
        "</rdf:Description></rdf:RDF></x:xmpmeta>"
    )
    path = folder / f"{'dtd' if with_dtd else 'valid'}.xmp"
    path.write_bytes(text.encode("utf-16"))
    return path


def measure(path: Path) -> None:
    before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    meta = read_xmp_sidecar(path)
    growth_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before_kb) / 1e3
    outcome = "refused" if meta is None else f"{len(meta.keywords)} keywords"
    size_mb = path.stat().st_size / 1e6
    print(f"{path.name}: {size_mb:.1f} MB, peak RSS +{growth_mb:.0f} MB, {outcome}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", type=int, default=235_000)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        measure(args.measure)
        return
    with tempfile.TemporaryDirectory() as folder:
        for with_dtd in (False, True):
            path = write_sidecar(Path(folder), args.items, with_dtd)
            subprocess.run([sys.executable, __file__, "--measure", str(path)], check=True)


if __name__ == "__main__":
    main()
