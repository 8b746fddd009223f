"""Keep reads inside the library folders: a link may not lead to a file outside them.

A symlinked photo, sidecar or caption file (or a symlinked folder holding them) that
points outside every registered folder is refused, so a hostile or careless link
(``notes.txt -> /etc/passwd``) never turns private files into captions.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path


def real_roots(roots: Iterable[str]) -> tuple[str, ...]:
    """The folders as the file system resolves them (links followed)."""
    return tuple(os.path.realpath(root) for root in roots)


def outside_roots(path: str | Path, roots: Sequence[str]) -> str | None:
    """Where ``path`` really is, when that is outside every one of ``roots``; else ``None``.

    Args:
        path: A file or folder (it need not exist).
        roots: Allowed folders, already resolved with :func:`real_roots`.
    """
    real = os.path.realpath(path)
    if any(real == root or real.startswith(root.rstrip(os.sep) + os.sep) for root in roots):
        return None
    return real


def refusal(real: str) -> str:
    """The reason shown for a refused link."""
    return f"a link to {real}, outside the library folders: not read"
