"""Every document the code cites is in the repository (docs/design holds the design and specs).

The code cites specs by path (``docs/design/research/hpseh-lpih.md §2.3``,
``docs/methods/fpo-cmh.md``). A citation of a file that is not in the repository cannot be
followed by anyone who has only the repository, so each ``.md`` path cited in the
sources of ``core/``, ``desktop_app/``, ``hashlens_bench/``, ``benchmarks/`` and
``scripts/`` must exist, relative to the repository root. Absolute paths
(``/tmp/out.md``: files a script writes) are not citations.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("core", "desktop_app", "hashlens_bench", "benchmarks", "scripts")
CITATION = re.compile(r"(?<![\w/.-])((?:[\w.-]+/)*[\w.-]+\.md)(?![\w])")


def citations(text: str) -> list[str]:
    """The relative ``.md`` paths cited in ``text``."""
    return CITATION.findall(text)


def cited_paths() -> list[tuple[str, str]]:
    """(source file, cited path) for every citation in the scanned folders."""
    found = []
    for folder in SCANNED:
        for source in sorted((ROOT / folder).rglob("*")):
            if source.suffix not in {".py", ".sh", ".toml", ".json", ".md"} or not source.is_file():
                continue
            text = source.read_text(encoding="utf-8", errors="replace")
            rel = source.relative_to(ROOT).as_posix()
            found += [(rel, cited) for cited in citations(text)]
    return found


def test_the_pattern_finds_citations_and_skips_written_files() -> None:
    text = (
        "spec in docs/design/research/fpo-cmh.md §2 (see DESIGN.md), `docs/methods/lpih.md`;"
        " writes --markdown /tmp/generalisation.md; imports hashlens_bench.mdi_source"
    )
    assert citations(text) == [
        "docs/design/research/fpo-cmh.md",
        "DESIGN.md",
        "docs/methods/lpih.md",
    ]


def test_the_code_cites_documents() -> None:
    cited = {path for _, path in cited_paths()}
    assert "docs/design/research/hpseh-lpih.md" in cited
    assert "docs/design/DESIGN.md" in cited


@pytest.mark.parametrize("folder", SCANNED)
def test_every_cited_document_is_in_the_repository(folder: str) -> None:
    missing = [
        f"{source}: {cited}"
        for source, cited in cited_paths()
        if source.startswith(folder + "/") and not (ROOT / cited).is_file()
    ]
    assert missing == []
