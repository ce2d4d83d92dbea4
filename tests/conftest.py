import os
import shutil
import sqlite3
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest
import textual._wait as textual_wait

from tests.ledgerkit import Kit

# The workstation tests' fixtures (room, room_sources) live with their kit; the
# long tests start first on each xdist worker (tests/longfirst.py).
pytest_plugins = ["tests.workstationkit", "tests.longfirst"]
THREADS_GRACE = 2.0  # seconds a test's own threads get to end before its connections close

# Hermetic: the per-user directories the code writes by default (the forensics
# cache, and its key in the state directory: forensics/cache.py) are this run's
# own, never the real home's. Set before any test, so subprocesses inherit them.
_USER_DIRS = tempfile.mkdtemp(prefix="cleanroom-tests-user-")
os.environ["XDG_CACHE_HOME"] = os.path.join(_USER_DIRS, "cache")
os.environ["XDG_STATE_HOME"] = os.path.join(_USER_DIRS, "state")


def pytest_unconfigure(config):
    shutil.rmtree(_USER_DIRS, ignore_errors=True)
    kit = sys.modules.get("tests.recorderkit")  # only if this process used it
    if kit is not None:
        kit.remove_short_dirs()


@pytest.fixture(autouse=True)
def _pilot_idle_check(monkeypatch):
    """Pilot's idle check (textual._wait: a key press waits until a sleep passes
    with the process using under 5 % of a CPU) sleeps 5 ms a round, not 20: at
    least 40 ms a key became 10. The same 5 % threshold, so "idle" means what it
    did, checked more often. tests/test_tui_notes.py + test_tui_review.py, -n 0 at
    load ~5: blocked 19.4 -> 10.6 s, wall 73.5 -> 59.1 s, CPU 25.0 -> 24.0 s."""
    monkeypatch.setattr(textual_wait, "SLEEP_GRANULARITY", 0.005)
    monkeypatch.setattr(textual_wait, "SLEEP_IDLE", 0.005 / 20)


@pytest.fixture
def kit() -> Kit:
    return Kit()


@pytest.fixture
def ledger_dir(tmp_path: Path) -> Path:
    d = tmp_path / "ledgers"
    d.mkdir()
    return d


@pytest.fixture(autouse=True)
def _no_leaked_connections(monkeypatch):
    """Close every SQLite connection a test opened (as sqlite-utils' conftest does),
    once the threads the test started have ended: Python's sqlite3 frees a
    connection's handle under a statement another thread is running (a segfault:
    a snapshot's high-bytes reader, tests/test_high_bytes_close.py). Threads still
    running after THREADS_GRACE keep their connections open (garbage collected)."""
    before = set(threading.enumerate())
    opened: list[sqlite3.Connection] = []
    real = sqlite3.connect

    def tracking(*args, **kwargs):
        conn = real(*args, **kwargs)
        opened.append(conn)
        return conn

    monkeypatch.setattr(sqlite3, "connect", tracking)
    yield
    deadline = time.monotonic() + THREADS_GRACE
    for thread in set(threading.enumerate()) - before:
        thread.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() for t in set(threading.enumerate()) - before):
        return  # closing under a running statement would crash the process
    for conn in opened:
        try:
            conn.close()
        except sqlite3.Error:
            pass
