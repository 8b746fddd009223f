from __future__ import annotations

import base64
import hashlib
import io
import sys
import tarfile
from pathlib import Path

import pytest

from core.errors import DatasetError
from hashlens_bench.npm_packages import NpmPackage, fetch_package


def _tarball(path: Path, members: dict[str, bytes]) -> str:
    with tarfile.open(path, "w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def _fake_npm(tmp_path: Path, tarball: Path) -> list[str]:
    """An 'npm' that copies a prepared tarball into the working folder, as npm pack does."""
    script = tmp_path / "fake_npm.py"
    script.write_text(
        "import shutil, sys\n"
        f"shutil.copy({str(tarball)!r}, {tarball.name!r})\n"
        "sys.stdout.write('ok')\n",
        encoding="utf-8",
    )
    return [sys.executable, str(script)]


def test_fetch_runs_npm_pack_checks_integrity_unpacks_and_then_reuses(tmp_path: Path) -> None:
    source = tmp_path / "source" / "demo-pkg-1.0.0.tgz"
    source.parent.mkdir()
    integrity = _tarball(source, {"package/data.json": b"{}", "package/sub/a.txt": b"a"})
    package = NpmPackage("@demo/pkg", "1.0.0", integrity)
    cache = tmp_path / "cache"

    root = fetch_package(package, cache, npm=_fake_npm(tmp_path, source))

    assert (root / "data.json").read_bytes() == b"{}"
    assert (root / "sub" / "a.txt").read_bytes() == b"a"
    again = fetch_package(package, cache, npm=["/nonexistent/npm"])  # no npm call the 2nd time
    assert again == root


def test_a_tarball_with_the_wrong_checksum_is_refused(tmp_path: Path) -> None:
    source = tmp_path / "demo-1.0.0.tgz"
    _tarball(source, {"package/x": b"x"})
    package = NpmPackage("demo", "1.0.0", "sha512-" + base64.b64encode(b"0" * 64).decode())
    with pytest.raises(DatasetError, match="does not match its published checksum"):
        fetch_package(package, tmp_path / "cache", npm=_fake_npm(tmp_path, source))


@pytest.mark.parametrize("name", ["package/../../escape.txt", "/etc/evil", "other/file"])
def test_tarball_entries_outside_the_package_folder_are_refused(tmp_path: Path, name: str) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    integrity = _tarball(cache / "demo-1.0.0.tgz", {"package/ok": b"1", name: b"2"})
    with pytest.raises(DatasetError, match="refusing to unpack"):
        fetch_package(NpmPackage("demo", "1.0.0", integrity), cache, npm=["/nonexistent/npm"])
    assert not (tmp_path / "escape.txt").exists()
    assert not (cache / "demo-1.0.0").exists()


def test_missing_npm_is_a_clear_dataset_error(tmp_path: Path) -> None:
    package = NpmPackage("demo", "1.0.0", "sha512-AAAA")
    with pytest.raises(DatasetError, match="npm is needed") as info:
        fetch_package(package, tmp_path, npm=["/nonexistent/npm"])
    assert "Node.js" in info.value.user_message


def test_npm_failure_reports_the_registry(tmp_path: Path) -> None:
    failing = [sys.executable, "-c", "import sys; sys.stderr.write('E404'); sys.exit(1)"]
    with pytest.raises(DatasetError, match="check the network") as info:
        fetch_package(NpmPackage("demo", "1.0.0", "sha512-AAAA"), tmp_path, npm=failing)
    assert "E404" in info.value.details
