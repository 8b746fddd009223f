"""Which folders need polling: network and removable drives, judged from the mount table.

The system's file events (inotify on Linux) only see changes made through this
computer's kernel: a file added to a network share by another machine, or to a
memory card in a camera, raises none. Such folders are polled instead. The mount
table is read from ``/proc/self/mounts``; where there is none (macOS, Windows),
every folder gets file events and ``[watch] mode = "polling"`` covers the rest.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

MOUNT_TABLE = Path("/proc/self/mounts")
SYS_BLOCK = Path("/sys/class/block")

NETWORK_FILESYSTEMS = frozenset(
    {
        "nfs", "nfs4", "cifs", "smb3", "smbfs", "ncpfs", "afs", "9p", "ceph", "glusterfs",
        "lustre", "davfs", "sshfs", "afpfs", "virtiofs", "vboxsf", "vmhgfs", "drvfs",
    }
)  # fmt: skip
"""Shared or virtual-machine file systems whose other writers raise no local events."""

REMOVABLE_FILESYSTEMS = frozenset(
    {"vfat", "msdos", "exfat", "fuseblk", "ntfs", "ntfs3", "hfsplus", "udf", "iso9660"}
)
"""File systems of memory cards and USB drives (polled when the device is removable)."""

REMOVABLE_MOUNT_PREFIXES = ("/media/", "/run/media/", "/Volumes/")

_OCTAL_ESCAPE = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True, slots=True)
class MountEntry:
    """One line of the mount table."""

    device: str
    mount_point: str
    fs_type: str


def _unescape(field: str) -> str:
    r"""Undo the kernel's octal escapes: a space in a mount point is written ``\040``."""
    return _OCTAL_ESCAPE.sub(lambda m: chr(int(m.group(1), 8)), field)


def parse_mount_table(text: str) -> list[MountEntry]:
    """Entries of a ``/proc/mounts``-style table (malformed lines are skipped)."""
    entries: list[MountEntry] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) >= 3:
            device, mount_point, fs_type = (_unescape(f) for f in fields[:3])
            entries.append(MountEntry(device, mount_point, fs_type))
    return entries


def mount_of(path: str, entries: list[MountEntry]) -> MountEntry | None:
    """The mount holding ``path``: the longest mount point above it (later mounts win ties)."""
    best: MountEntry | None = None
    for entry in entries:
        point = entry.mount_point.rstrip("/") or "/"
        inside = point == "/" or path == point or path.startswith(point + "/")
        if inside and (best is None or len(point) >= len(best.mount_point.rstrip("/") or "/")):
            best = entry
    return best


def is_removable_device(device: str, sys_block: Path = SYS_BLOCK) -> bool:
    """Whether the kernel flags the disk behind ``/dev/NAME`` (or its partition) removable."""
    name = os.path.basename(device)
    if not device.startswith("/dev/") or not name:
        return False
    node = sys_block / name
    for candidate in (node / "removable", node.resolve().parent / "removable"):
        try:
            return candidate.read_text().strip() == "1"
        except OSError:
            continue
    return False


class MountTable:
    """Answers "should this folder be polled, and why?" from a mount table file."""

    def __init__(self, table: Path = MOUNT_TABLE, sys_block: Path = SYS_BLOCK) -> None:
        self._table = table
        self._sys_block = sys_block

    def polling_reason(self, path: str) -> str | None:
        """Why ``path`` needs polling (``"a network drive (nfs4)"``), or None for file events."""
        try:
            entries = parse_mount_table(self._table.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            return None  # no mount table on this system: file events everywhere
        entry = mount_of(path, entries)
        if entry is None:
            return None
        fs = entry.fs_type
        if fs in NETWORK_FILESYSTEMS or (fs.startswith("fuse.") and fs != "fuseblk"):
            return f"a network or virtual drive ({fs})"
        if fs in REMOVABLE_FILESYSTEMS and (
            entry.mount_point.startswith(REMOVABLE_MOUNT_PREFIXES)
            or is_removable_device(entry.device, self._sys_block)
        ):
            return f"a removable drive ({fs})"
        return None
