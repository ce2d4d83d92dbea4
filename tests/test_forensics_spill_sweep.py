"""A report killed while it reads leaves its parts directory; the next reading removes it.

The processes that verify a ledger spill its entries to part files in a 0700
directory of the temporary directory (ADR 0310), removed by a `finally` once the
parts are gathered. SIGKILL (or the out-of-memory killer, or a power cut) runs no
`finally`: the directory, with decoded entries of the ledger, stayed for ever.
Its name now carries the reading process's pid, and each reading first removes
the directories of this user whose process is gone, and nothing else. Real
ledger, keys, verifier and a real process killed with SIGKILL.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from cleanroom.forensics.spill import parts
from cleanroom.forensics.timeline import read_evidence
from cleanroom.ledger.verify import PARALLEL_MIN_ROWS
from cleanroom.session.events import FileOpen, View
from tests.ledgerkit import Kit

ROOT = Path(__file__).resolve().parents[1]
BLOB = "cd" * 32

READER = """
import sys, tempfile
from pathlib import Path
tempfile.tempdir = sys.argv[1]
from cleanroom.forensics.timeline import read_evidence
trust = [bytes.fromhex(k) for k in sys.argv[3:]]
while True:  # killed from outside, at some moment while a reading runs
    read_evidence([Path(sys.argv[2])], trust, workers=2)
"""


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    kit = Kit("sweep")
    led = kit.new_ledger(tmp_path_factory.mktemp("ledger"))
    for i in range((PARALLEL_MIN_ROWS + 500) // 20):
        path = b"src/f%02d.c" % (i % 30)
        led.append(FileOpen(path, BLOB, 4000, 400, {}))
        for first in range(1, 20):
            led.append(View(path, BLOB, first, first + 39, 0, 100))
    led.seal(countersigner=kit.reviewer)
    led.close()
    return kit, led.path


def _parts_dirs(where: Path) -> list[Path]:
    return sorted(p for p in where.iterdir() if p.name.startswith(parts.PREFIX))


def _killed_while_reading(ledger: Path, trust: list[bytes], tmp: Path) -> int:
    """Start a reading process, SIGKILL it once its parts directory exists; its pid."""
    proc = subprocess.Popen(
        [sys.executable, "-c", READER, str(tmp), str(ledger), *(k.hex() for k in trust)],
        cwd=ROOT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300  # a guard against a hang, not a measure
        while not _parts_dirs(tmp):
            assert proc.poll() is None, "the reading process ended on its own"
            assert time.monotonic() < deadline, "no parts directory ever appeared"
            time.sleep(0.005)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # it and its forked child, no cleanup
        proc.wait()
    return proc.pid


def test_a_killed_readings_directory_is_removed_by_the_next(ledger, tmp_path, monkeypatch):
    kit, path = ledger
    dead = _killed_while_reading(path, kit.trust, tmp_path)
    left = _parts_dirs(tmp_path)
    assert [d.name.split("-")[2] for d in left] == [str(dead)], "the bug: it stays behind"
    # Beside it: a running reading's directory (its process lives) and a symlink
    # named as a dead reading's: neither is ours to remove.
    live = tmp_path / f"{parts.PREFIX}{os.getppid()}-running"
    live.mkdir(mode=0o700)
    (live / "part-00000001").write_bytes(b"x")
    target = tmp_path / "elsewhere"
    target.mkdir()
    (target / "keep").write_bytes(b"y")
    (tmp_path / f"{parts.PREFIX}{dead}-link").symlink_to(target)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    (t,) = read_evidence([path], kit.trust, workers=2).timelines
    assert t.status.value == "INTACT" and len(t.entries) > PARALLEL_MIN_ROWS
    assert not any(d.exists() for d in left)
    assert (live / "part-00000001").read_bytes() == b"x"
    assert (target / "keep").read_bytes() == b"y"
    assert [d.name for d in _parts_dirs(tmp_path)] == sorted(
        [live.name, f"{parts.PREFIX}{dead}-link"]
    )


def test_names_that_are_not_a_readings_are_left(tmp_path):
    for name in ("notapid-x", "-1-x", "99999999999-x", ""):
        (tmp_path / f"{parts.PREFIX}{name}").mkdir()
    assert parts.sweep(str(tmp_path)) == []
    assert len(_parts_dirs(tmp_path)) == 4
