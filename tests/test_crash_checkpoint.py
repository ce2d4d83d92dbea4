"""A writer killed (SIGKILL) while it checkpoints, then its `-wal` deleted.

A crash alone keeps the `-wal`: the ledger is INCOMPLETE, always. Deleting the
`-wal` afterwards is not a crash. If a checkpoint was running, the main file is
half-written and SQLite cannot read it without the log: TAMPERED, with only the
codes docs/verdict.md names for that shape (CORRUPT, SCHEMA or EMPTY), each
saying the `-wal` is missing. Otherwise it is an older, shorter ledger:
INCOMPLETE, as the threat model says.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cleanroom.ledger.findings import Severity
from cleanroom.ledger.verdict import Status
from cleanroom.ledger.verify import verify_path
from tests.ledgerkit import Kit

KIT_NAME = "checkpoint"

REPO = Path(__file__).resolve().parent.parent
HALF_WRITTEN = {"CORRUPT", "SCHEMA", "EMPTY"}
DELAYS = [round(random.Random(1109).uniform(0.0, 0.006), 4) for _ in range(20)]


# Fills the -wal (no automatic checkpoint), then checkpoints it into the main
# file, announcing the moment so the parent can kill it inside the checkpoint.
# The fill skips the writer's fsyncs (a SIGKILL keeps what was written either way,
# and 20 runs of 400 fsyncs were most of this test's minute) and makes the -wal
# durable with one fsync before the checkpoint, so the checkpoint starts from the
# same durable -wal as a session's and runs with the writer's synchronous = FULL
# (without that fsync it spent its first milliseconds flushing the -wal, and most
# kills landed before it wrote a page of the main file).
CHECKPOINTER = r"""
import os, sys
from pathlib import Path
from tests.ledgerkit import Alert, Kit

kit = Kit(sys.argv[2])
ledger = kit.new_ledger(Path(sys.argv[1]))
ledger._conn.execute("PRAGMA wal_autocheckpoint = 0")
ledger._conn.execute("PRAGMA synchronous = OFF")
for i in range(400):
    ledger.append(Alert("test", "x" * 8000))
ledger._conn.execute("PRAGMA synchronous = FULL")
wal = os.open(f"{ledger.path}-wal", os.O_RDONLY)
os.fsync(wal)
os.close(wal)
print("checkpointing", flush=True)
ledger._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
print("done", flush=True)
sys.stdin.read()
"""


def kill_in_checkpoint(directory: Path, delay: float) -> Path:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-c", CHECKPOINTER, str(directory), KIT_NAME],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=REPO, env=env,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line == "checkpointing\n", (line, proc.stderr.read() if proc.stderr else "")
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    assert proc.returncode == -signal.SIGKILL
    (path,) = directory.glob("*.ledger")
    return path


@pytest.mark.slow
def test_kill_during_checkpoints_then_delete_the_wal(tmp_path: Path) -> None:
    trust = Kit(KIT_NAME).trust
    shapes: list[str] = []
    for i, delay in enumerate(DELAYS):
        directory = tmp_path / f"t{i}"
        directory.mkdir()
        path = kill_in_checkpoint(directory, delay)
        wal = Path(f"{path}-wal")
        assert wal.exists(), "a killed writer leaves its -wal"
        crashed = verify_path(path, trust, workers=1)
        assert crashed.status is Status.INCOMPLETE, (delay, crashed.findings)
        assert set(crashed.codes()) <= {"UNSEALED", "TORN_WRITE"}, crashed.findings
        wal.unlink()
        gone = verify_path(path, trust, workers=1)
        tamper = [f for f in gone.findings if f.severity is Severity.TAMPER]
        if gone.status is Status.INCOMPLETE:
            assert gone.codes() == ["UNSEALED"], (delay, gone.findings)
            shapes.append(f"INCOMPLETE {gone.summary['entries']}")
            continue
        assert {f.code for f in tamper} <= HALF_WRITTEN, (delay, gone.findings)
        for f in tamper:
            assert "no -wal lies beside it" in f.message, f
        shapes.append("TAMPERED " + " ".join(sorted({f.code for f in tamper})))
    print(f"-wal deleted after a kill: {sorted(shapes)}")


def test_the_docs_name_the_shapes_a_deleted_wal_can_leave() -> None:
    verdict = (REPO / "docs" / "verdict.md").read_text()
    threat = (REPO / "docs" / "threat-model.md").read_text()
    section = verdict[verdict.index("### A missing `-wal`") :]
    for code in sorted(HALF_WRITTEN):
        assert f"`{code}`" in section[:3000], code
    row = next(line for line in threat.splitlines() if "delete the `-wal`" in line)
    assert re.search(r"checkpoint", row) and "TAMPERED" in row, row
