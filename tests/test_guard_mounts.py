"""Removable media: the mount table parser, and a real mount under a media root (root only)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from cleanroom.guard.mounts import Mount, is_media, media_changes, parse_mountinfo
from tests.guardkit import build, of

MOUNTINFO = """\
22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw
35 22 0:30 / /run rw,nosuid shared:5 - tmpfs tmpfs rw
"""
USB = "88 35 8:17 / /run/media/ada/MY\\040STICK rw,nosuid shared:40 - vfat /dev/sdb1 rw\n"
ISO = "89 22 7:0 / /srv/iso ro shared:41 master:2 - iso9660 /dev/loop0 ro\n"
ROOTS = ("/media", "/run/media", "/mnt")


def test_parse_mountinfo_with_escaped_names_and_optional_fields():
    mounts = parse_mountinfo(MOUNTINFO + USB + ISO + "garbage line\n")
    assert [m.mount_id for m in mounts] == [22, 35, 88, 89]
    usb = mounts[2]
    assert usb == Mount(88, "/run/media/ada/MY STICK", "vfat", "/dev/sdb1")
    assert usb.describe() == "/dev/sdb1 (vfat) on /run/media/ada/MY STICK"


def test_media_is_a_mount_under_a_root_or_a_removable_filesystem_anywhere():
    root, run, usb, iso = parse_mountinfo(MOUNTINFO + USB + ISO)
    assert is_media(usb, ROOTS) and is_media(iso, ROOTS)
    assert not is_media(root, ROOTS) and not is_media(run, ROOTS)
    assert is_media(Mount(90, "/mnt", "ext4", "/dev/sdc1"), ROOTS)  # mount /dev/sdc1 /mnt


def test_changes_report_new_and_gone_media_mounts_only():
    before = parse_mountinfo(MOUNTINFO + ISO)
    after = parse_mountinfo(MOUNTINFO + USB + "36 22 0:31 / /tmp rw - tmpfs tmpfs rw\n")
    added, gone = media_changes(before, after, ROOTS)
    assert [m.point for m in added] == ["/run/media/ada/MY STICK"]
    assert [m.point for m in gone] == ["/srv/iso"]


@pytest.fixture
def mounted(tmp_path: Path):
    if os.geteuid() != 0:
        pytest.skip("mounting needs root")
    points: list[Path] = []

    def mount(point: Path) -> None:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "stick", str(point)],
                              capture_output=True, text=True)  # fmt: skip
        if done.returncode != 0:
            pytest.skip(f"cannot mount here: {done.stderr.strip()}")
        points.append(point)

    yield mount
    for p in reversed(points):
        subprocess.run(["umount", "-l", str(p)], capture_output=True)


def test_a_real_mount_under_a_media_root_is_caught_and_then_watched(tmp_path: Path, mounted):
    room = build(tmp_path)
    try:
        point = room.media / "stick"
        point.mkdir()
        room.wait(lambda a: of("media", a) != [])  # the mkdir, seen by inotify
        mounted(point)
        room.wait(lambda a: "mounted" in " ".join(x.detail for x in of("media", a)), timeout=3)
        (point / "loot.txt").write_text("copied")  # a file written onto the medium
        room.wait(lambda a: "loot.txt" in " ".join(x.detail for x in of("media", a)), timeout=3)
        subprocess.run(["umount", str(point)], check=True)
        room.wait(lambda a: "unmounted" in " ".join(x.detail for x in of("media", a)), timeout=3)
        assert of("guard_failure", room.quiet(1.5)) == []  # an unmount is not a lost watch
    finally:
        room.close()
