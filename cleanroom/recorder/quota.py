"""`LedgerQuota`: the recorder stops a session before its ledger fills the disk.

Every request a terminal sends is recorded, so a reviewer can grow the ledger
with valid requests within the rate limit until the ledger's filesystem is full;
then nothing can be recorded, not even why, and the seal itself may not fit.
So the recorder checks, before each request, two limits (protocol.md §8a):

- the session's ledger (its file and SQLite's `-wal` and `-journal` beside it)
  may hold at most `max_bytes`;
- the ledger's filesystem must keep `reserve_bytes` free (what this account may
  write: `f_bavail`).

Past either, the request is refused (reason `quota`, the figures in the
entry's detail) and the session is sealed (reason `quota`) while there is room
for both; and no new session starts while the reserve is not free.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

MIB = 1 << 20
DEFAULT_MAX_MB = 1024  # a day of steady reading records a few tens of MiB
DEFAULT_RESERVE_MB = 64  # room for the refusal, the seal, and the guard's last alerts
_BESIDE = ("-wal", "-journal")


@dataclass(frozen=True)
class LedgerQuota:
    max_bytes: int
    reserve_bytes: int

    @classmethod
    def of_mib(cls, max_mb: float, reserve_mb: float) -> LedgerQuota:
        return cls(int(max_mb * MIB), int(reserve_mb * MIB))

    def exceeded(self, ledger: Path) -> str | None:
        """Why `ledger` may take no more entries, or None. A size or free space
        that cannot be read counts as exceeded (fail closed)."""
        try:
            size = sum(_size(Path(f"{ledger}{suffix}")) for suffix in ("", *_BESIDE))
        except OSError as exc:
            return f"the ledger's size cannot be read ({exc.strerror or exc})"
        if size >= self.max_bytes:
            return f"the ledger holds {_mib(size)}, its quota is {_mib(self.max_bytes)}"
        return self.short_of_reserve(ledger.parent)

    def short_of_reserve(self, directory: Path) -> str | None:
        """Why no more may be written under `directory`'s filesystem, or None."""
        try:
            fs = os.statvfs(directory)
        except OSError as exc:
            return f"the ledger's free space cannot be read ({exc.strerror or exc})"
        free = fs.f_bavail * fs.f_frsize
        if free < self.reserve_bytes:
            return (f"the ledger's filesystem has {_mib(free)} free, below the reserve "
                    f"of {_mib(self.reserve_bytes)}")  # fmt: skip
        return None


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _mib(n: int) -> str:
    return f"{n / MIB:.1f} MiB"
