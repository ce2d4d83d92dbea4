"""Outside attack review (issue 10 §2): two shapes that the schema gate and the
seq-order check let through, now bounded by the file's size.

- Rows whose cells all share one overflow chain: a 2 MB ledger with the exact
  schema handed back 20,000 bodies of 1 MB (20 GB to hash; `report` kept them).
- A sparse `-wal`: a few KB on disk, 3 GB long, copied byte for byte into the
  private directory (a terabyte fills the disk, or RAM on a tmpfs /tmp).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from cleanroom.ledger.load import load_path
from cleanroom.ledger.verify import verify_path
from tests.attack import shared_overflow
from tests.ledgerkit import Kit

KIT = Kit("attack-bounds")
SPARSE = 3 << 30


def test_rows_sharing_one_overflow_chain_end_the_read(tmp_path: Path) -> None:
    ledger = shared_overflow.build(tmp_path / "x.ledger", rows=400)  # 400 MB of bodies
    size = ledger.stat().st_size
    image = load_path(ledger)
    held = sum(len(r[1] or b"") + len(r[2] or b"") for r in image.rows)
    assert held <= size, f"{held} bytes of rows read from a {size}-byte file"
    assert any("more than the file" in f.message for f in image.problems), image.problems


@pytest.mark.parametrize("workers", [1, 2])
def test_verify_refuses_rows_sharing_one_overflow_chain(tmp_path: Path, workers: int) -> None:
    ledger = shared_overflow.build(tmp_path / "x.ledger", rows=3000)  # 3 GB of bodies
    verdict = verify_path(ledger, KIT.trust, workers=workers)
    assert verdict.status.value == "TAMPERED"
    cut = [f for f in verdict.findings if f.code == "CORRUPT" and "more than the file" in f.message]
    assert cut, "the rows were all read: each worker hashed 1 MB per row"


def _sparse_supported(directory: Path) -> bool:
    probe = directory / "probe"
    with open(probe, "wb") as f:
        f.truncate(1 << 30)
    sparse = probe.stat().st_blocks * 512 < 1 << 20
    probe.unlink()
    return sparse


def test_a_sparse_wal_is_not_written_out_in_full(tmp_path: Path, monkeypatch) -> None:
    if not _sparse_supported(tmp_path):
        pytest.skip("this file system has no sparse files")
    (tmp_path / "live").mkdir()
    ledger = KIT.new_ledger(tmp_path / "live", views=3)
    crash = tmp_path / "crash"
    crash.mkdir()
    for p in ledger.path.parent.iterdir():  # an unsealed ledger with its -wal
        shutil.copyfile(p, crash / p.name)
    ledger.close()
    path = crash / ledger.path.name
    wal = Path(f"{path}-wal")
    assert wal.exists()
    with open(wal, "r+b") as f:
        f.truncate(SPARSE)
    private = tmp_path / "private"
    private.mkdir()
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr("tempfile.tempdir", None)
    used: list[int] = []
    real_read = __import__("cleanroom.ledger.load", fromlist=["read_into"]).read_into

    def spy(image, source, *args):
        used.append(_disk_used(private))
        return real_read(image, source, *args)

    monkeypatch.setattr("cleanroom.ledger.verify.read_into", spy)
    verdict = verify_path(path, KIT.trust, workers=1)
    assert used and max(used) < 64 << 20, f"{max(used)} bytes written to the private directory"
    assert {"TORN_WRITE", "UNSEALED"} <= {f.code for f in verdict.findings}
    assert list(private.iterdir()) == []


def _disk_used(root: Path) -> int:
    return sum(
        os.lstat(os.path.join(d, n)).st_blocks * 512 for d, _, names in os.walk(root) for n in names
    )
