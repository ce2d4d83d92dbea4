"""Verifying a session that is still running (docs/verdict.md: `UNSEALED`).

A real writer process appends and checkpoints in a loop while the verifier
copies the ledger and its `-wal` again and again. The two files change at
different moments; the verifier must take a consistent pair, never report
damage that the writer did not leave.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cleanroom.ledger.load import load_path
from cleanroom.ledger.verdict import Status
from cleanroom.ledger.verify import verify_path
from tests.ledgerkit import Kit

REPO = Path(__file__).resolve().parent.parent
KIT_NAME = "live"
READS, VERDICTS = 300, 15  # what the loop takes before it stops (see below)

# Appends for ever; checkpoints every few commits, so the main file and the -wal
# keep changing under the verifier. Prints "ready" once the ledger exists.
WRITER = r"""
import sys, time
from pathlib import Path
from tests.ledgerkit import Alert, Kit

kit = Kit(sys.argv[2])
ledger = kit.new_ledger(Path(sys.argv[1]))
ledger._conn.execute("PRAGMA wal_autocheckpoint = 8")  # a checkpoint every ~3 commits
print("ready", flush=True)
i = 0
while True:
    i += 1
    ledger.append(Alert("test", "x" * 8000))  # several pages: a checkpoint takes a while
    if i % 10 == 0:  # and the -wal is emptied
        ledger._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    time.sleep(0.002)  # a busy session records tens of entries a second, not thousands
"""


def start_writer(directory: Path) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(directory), KIT_NAME],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env,
    )  # fmt: skip
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line == "ready\n", (line, proc.stderr.read() if proc.stderr else "")
    return proc


def copy_is_whole(path: Path) -> str | None:
    """What is wrong with one read of `path` (as the verifier copies it), or None."""
    image = load_path(path)
    seqs = [r[0] for r in image.rows]
    if [f.code for f in image.problems] == ["LIVE_COPY"]:
        return None  # said honestly: no copy held still (the writer here never pauses)
    if image.problems or image.torn_wal or not seqs or seqs != list(range(len(seqs))):
        return f"{[f.code for f in image.problems]} torn={image.torn_wal} rows={len(seqs)}"
    return None


@pytest.mark.slow
def test_a_running_session_verifies_as_unsealed_every_time(tmp_path: Path) -> None:
    directory = tmp_path / "ledgers"
    directory.mkdir()
    proc = start_writer(directory)
    verdicts: list[tuple[Status, list[str]]] = []
    reads: list[str | None] = []
    try:
        (path,) = directory.glob("*.ledger")
        deadline = time.monotonic() + 20
        # Before copies were made consistent, about 1 read in 6 of this writer's
        # ledger was damaged (and 2 verdicts in 25 of a real session's). A copy
        # broken on purpose (one naive copy, no retry) damaged 16 and 21 of about 200
        # reads in 15 s, 0 to 9 of 150: the loop stops at READS reads. It used to
        # aim at 600, which it never reached: the ledger grows all the while and
        # each read costs more than the one before, so it ran to its deadline every
        # time. The deadline only bounds a slow machine.
        while (len(reads) < READS or len(verdicts) < VERDICTS) and time.monotonic() < deadline:
            if len(reads) % 20 == 0:
                v = verify_path(path, Kit(KIT_NAME).trust, workers=1)
                verdicts.append((v.status, v.codes()))
            reads.append(copy_is_whole(path))
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
    finally:
        proc.kill()
        proc.wait()
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()
    assert len(reads) >= 100 and len(verdicts) >= 5, (len(reads), len(verdicts))
    bad_reads = [r for r in reads if r is not None]
    assert bad_reads == [], f"{len(bad_reads)} of {len(reads)} reads: {bad_reads[:5]}"
    # LIVE_COPY is said honestly when the writer never held still across a copy
    # (as copy_is_whole accepts it); anything else, or LIVE_COPY most of the time, is
    # wrong. CI saw it once in 22 verdicts at load 2.
    live = (Status.INCOMPLETE, ["LIVE_COPY", "UNSEALED"])
    wrong = [s for s in verdicts if s not in ((Status.INCOMPLETE, ["UNSEALED"]), live)]
    assert wrong == [], f"{len(wrong)} of {len(verdicts)} verdicts: {wrong[:5]}"
    assert verdicts.count(live) * 4 <= len(verdicts), verdicts
