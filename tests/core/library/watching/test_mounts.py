"""Network and removable drives are polled, judged from a mount table."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.library.watching.mounts import MountTable, mount_of, parse_mount_table

TABLE = """\
/dev/vda1 / ext4 rw,relatime 0 0
proc /proc proc rw 0 0
server:/export/photos /mnt/nas nfs4 rw,relatime 0 0
//box/share /mnt/smb cifs rw 0 0
ann@host:/pics /home/ann/remote fuse.sshfs rw 0 0
/dev/sdb1 /media/ann/CANON\\040EOS vfat rw 0 0
/dev/sdc1 /mnt/card exfat rw 0 0
/dev/sdd1 /mnt/backup exfat rw 0 0
/dev/nvme0n1p2 /home ext4 rw 0 0
"""


@pytest.fixture
def table(tmp_path: Path) -> MountTable:
    mounts = tmp_path / "mounts"
    mounts.write_text(TABLE)
    sys_block = tmp_path / "sys_block"
    for disk, removable in (("sdc", "1"), ("sdd", "0")):  # laid out as in /sys/class/block
        devices = tmp_path / "devices" / disk
        (devices / f"{disk}1").mkdir(parents=True)
        (devices / "removable").write_text(f"{removable}\n")
        sys_block.mkdir(exist_ok=True)
        (sys_block / f"{disk}1").symlink_to(devices / f"{disk}1")
    return MountTable(mounts, sys_block)


def test_mount_points_are_unescaped_and_the_longest_one_wins() -> None:
    entries = parse_mount_table(TABLE)
    assert entries[5].mount_point == "/media/ann/CANON EOS"
    entry = mount_of("/home/ann/Pictures", entries)
    assert entry is not None
    assert entry.mount_point == "/home"
    remote = mount_of("/home/ann/remote/2024", entries)
    assert remote is not None
    assert remote.fs_type == "fuse.sshfs"
    other = mount_of("/mnt/nas2/x", entries)
    assert other is not None
    assert other.mount_point == "/"


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/mnt/nas/2024", "a network or virtual drive (nfs4)"),
        ("/mnt/smb", "a network or virtual drive (cifs)"),
        ("/home/ann/remote/trip", "a network or virtual drive (fuse.sshfs)"),
        ("/media/ann/CANON EOS/DCIM", "a removable drive (vfat)"),
        ("/mnt/card/DCIM", "a removable drive (exfat)"),
    ],
)
def test_network_and_removable_drives_are_polled(table: MountTable, path: str, reason: str) -> None:
    assert table.polling_reason(path) == reason


@pytest.mark.parametrize("path", ["/home/ann/Pictures", "/srv/photos", "/mnt/backup/photos"])
def test_local_disks_get_file_events(table: MountTable, path: str) -> None:
    assert table.polling_reason(path) is None  # /mnt/backup: exFAT on a fixed disk


def test_without_a_mount_table_every_folder_gets_file_events(tmp_path: Path) -> None:
    assert MountTable(tmp_path / "absent").polling_reason("/mnt/nas") is None
