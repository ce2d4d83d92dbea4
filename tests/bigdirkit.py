"""A real, vendor-signed snapshot with a directory of 100,000 files, built once
per test session (shared by the xdist workers through a lock file), and small
directories of the boring sizes around a page: empty, exactly one page, one
page and one name. Opened (its signature and manifest checked: ~0.8 CPU-s) once
per worker, `big_opened`: the tests only list it, and a listing changes nothing
in the source it is read from."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cleanroom.session.service import PAGE_NAMES
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot.create import create_snapshot
from tests.ledgerkit import Kit

BIG = 100_000  # files in big/
SIZES = {"empty": 0, "one": 1, "page": PAGE_NAMES, "page_and_one": PAGE_NAMES + 1}


def name_of(i: int) -> str:
    return f"f{i:06d}.c"


def build(base: Path, kit: Kit) -> Path:
    """The snapshot at base/big.snapshot, made if it is not there yet."""
    out = base / "big.snapshot"
    with (base / "big.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if out.exists():
            return out
        src = base / "big-src"
        big = src / "big"
        big.mkdir(parents=True, exist_ok=True)
        fd = os.open(big, os.O_RDONLY | os.O_DIRECTORY)
        try:
            for i in range(BIG):
                f = os.open(name_of(i), os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644, dir_fd=fd)
                os.write(f, f"int f{i};\n".encode())
                os.close(f)
        finally:
            os.close(fd)
        for name, n in SIZES.items():
            d = src / name
            d.mkdir(exist_ok=True)
            for i in range(n):
                (d / name_of(i)).write_bytes(b"x\n")
        (src / "README").write_bytes(b"big directories\n")
        tmp = base / "big.snapshot.tmp"
        tmp.unlink(missing_ok=True)
        create_snapshot(src, tmp, kit.vendor, name="big", version="1", created=1)
        tmp.rename(out)
        return out


@pytest.fixture(scope="session")
def big_snapshot(tmp_path_factory) -> Path:
    # The parent of the per-worker base directory is shared by all xdist workers.
    base = tmp_path_factory.getbasetemp().parent / "bigdir"
    base.mkdir(exist_ok=True)
    return build(base, Kit())


def big_source(path: Path, kit: Kit) -> SnapshotSource:
    return SnapshotSource.from_file(path, kit.trust)


@pytest.fixture(scope="session")
def big_opened(big_snapshot: Path) -> Iterator[SnapshotSource]:
    """The big snapshot opened once per worker, for tests that only list it."""
    source = big_source(big_snapshot, Kit())
    yield source
    source.snapshot.close()
