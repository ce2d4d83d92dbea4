"""New mounts of removable media, from /proc/self/mountinfo. Pure apart from `read_mounts`.

A watch on /media sees udisks create /media/user/LABEL, but not a mount on a
directory that already exists (`mount /dev/sdb1 /mnt`): the new filesystem
covers the watched directory without an event. So the guard also compares the
mount table at each poll. A mount counts as media when its mount point is
under a media root or its filesystem type is one that removable media use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .places import under

REMOVABLE_FS = frozenset(
    {"vfat", "msdos", "exfat", "ntfs", "ntfs3", "fuseblk", "iso9660", "udf", "hfs", "hfsplus"}
)
_OCTAL = re.compile(r"\\([0-7]{3})")


@dataclass(frozen=True)
class Mount:
    mount_id: int
    point: str
    fstype: str
    source: str

    def describe(self) -> str:
        return f"{self.source} ({self.fstype}) on {self.point}"


def parse_mountinfo(text: str) -> list[Mount]:
    """The mounts in a /proc/<pid>/mountinfo text (proc(5)); malformed lines are skipped."""
    mounts = []
    for line in text.splitlines():
        fields = line.split(" ")
        try:
            sep = fields.index("-", 6)
            point, fstype, source = _unescape(fields[4]), fields[sep + 1], fields[sep + 2]
            mounts.append(Mount(int(fields[0]), point, fstype, _unescape(source)))
        except (ValueError, IndexError):
            continue
    return mounts


def is_media(mount: Mount, roots: tuple[str, ...]) -> bool:
    return mount.fstype in REMOVABLE_FS or any(under(mount.point, r) for r in roots)


def media_changes(
    before: list[Mount], after: list[Mount], roots: tuple[str, ...]
) -> tuple[list[Mount], list[Mount]]:
    """(mounted, unmounted): media mounts in `after` but not `before`, and the reverse."""
    old = {m.mount_id: m for m in before}
    new = {m.mount_id: m for m in after}
    added = [m for i, m in new.items() if i not in old and is_media(m, roots)]
    gone = [m for i, m in old.items() if i not in new and is_media(m, roots)]
    return added, gone


def read_mounts(path: Path = Path("/proc/self/mountinfo")) -> list[Mount]:
    return parse_mountinfo(path.read_text(encoding="utf-8", errors="backslashreplace"))


def _unescape(field: str) -> str:
    return _OCTAL.sub(lambda m: chr(int(m.group(1), 8)), field)
