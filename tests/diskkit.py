"""Real storage faults for fail-closed tests: a small tmpfs that can be filled to
ENOSPC and freed again, and a process that runs without root's power to ignore
file permissions (so a read-only directory really is read-only to it)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest


class SmallDisk:
    """A tmpfs of `size_kb` mounted at `path` (needs root; the test is skipped otherwise)."""

    def __init__(self, path: Path, size_kb: int = 16384) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        if os.geteuid() != 0:
            pytest.skip("mounting a small filesystem needs root")
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs",
                               str(path)], capture_output=True, timeout=30)  # fmt: skip
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace')}")
        self._filler = path / f".filler-{uuid.uuid4().hex[:6]}"

    def fill(self) -> None:
        """Take every free block: the next write that needs one fails with ENOSPC."""
        with open(self._filler, "ab", buffering=0) as f:
            for size in (1 << 16, 1 << 12, 1 << 9, 1):
                try:
                    while True:
                        f.write(b"\0" * size)
                except OSError as exc:
                    assert exc.errno == errno.ENOSPC, exc
        assert shutil.disk_usage(self.path).free < 4096

    def free(self) -> None:
        self._filler.unlink(missing_ok=True)

    def unmount(self) -> None:
        subprocess.run(["umount", "-l", str(self.path)], capture_output=True, timeout=30)


@pytest.fixture
def small_disk(tmp_path: Path):
    disk = SmallDisk(tmp_path / "ledgers")
    yield disk
    disk.unmount()


# Root without CAP_DAC_OVERRIDE obeys permission bits like any user.
WITHOUT_OVERRIDE = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]


def unprivileged(argv: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return argv
    if shutil.which("setpriv") is None:
        pytest.skip("setpriv is needed to drop root's permission override")
    return [*WITHOUT_OVERRIDE, *argv]
