"""Closing a snapshot while `prepare`'s thread still reads what follows its high
bytes (cleanroom/snapshot/high_bytes.py) must not crash the process.

The thread reads on a connection of its own. Python's sqlite3 frees a
connection's database handle when `close()` is called from another thread, even
under a statement that thread is running: the next call into SQLite dereferences
NULL (SIGSEGV). That is how CI lost a test worker: the suite's teardown
(conftest `_no_leaked_connections`) closed every connection a test had opened,
the reader's among them, while the reader still read. The contract now:
once `Snapshot.close()` returns, no thread of that snapshot reads, so whoever
holds the process's connections may close them all. Run in a child process, so
that a crash is a failing exit status (the signal) rather than a lost worker."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from tests.searchkit import build

ROUNDS = 12
CHILD = r"""
import sqlite3, sys, threading
from cleanroom.snapshot.search import prepare
from cleanroom.snapshot.store import Snapshot
from tests.snapshotkit import TRUST

opened = []
real = sqlite3.connect
def tracking(*a, **k):
    conn = real(*a, **k)
    opened.append(conn)
    return conn
sqlite3.connect = tracking
alive = 0
for _ in range(int(sys.argv[2])):
    snapshot = Snapshot.open(sys.argv[1], TRUST)
    prepare(snapshot)  # starts the reader; returns at once
    alive += any(t.name == "after-high" for t in threading.enumerate())
    snapshot.close()
    for conn in opened:  # as the teardown did: every connection opened, closed
        conn.close()
    opened.clear()
print(f"reader running at close in {alive} rounds")
"""


def _incomplete_tree() -> dict[bytes, bytes]:
    """Files the index cannot read byte by byte (an accent), large enough that
    reading them all takes the reader a while."""
    line = "int é = malloc(1); /* ünïcödé */\n".encode()
    return {b"d/%03d.c" % i: line * 2000 for i in range(60)}


def test_closing_a_snapshot_while_its_high_bytes_are_read_does_not_crash(tmp_path: Path) -> None:
    path = build(tmp_path, _incomplete_tree())
    done = subprocess.run(
        [sys.executable, "-X", "faulthandler", "-c", CHILD, str(path), str(ROUNDS)],
        capture_output=True, text=True, timeout=300, cwd=Path(__file__).parent.parent,
    )  # fmt: skip
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        raise AssertionError(f"the process died of {name}:\n{done.stderr[-3000:]}")
    assert done.returncode == 0, done.stderr[-3000:]
    assert "reader running at close in" in done.stdout
    # The race was there to lose: the reader was still running when close was called.
    running = int(done.stdout.split("close in ")[1].split()[0])
    assert running > 0, done.stdout
