import sqlite3
from pathlib import Path

import pytest

from tests.ledgerkit import Kit

# The workstation tests' fixtures (room, room_sources) live with their kit; the
# long tests start first on each xdist worker (tests/longfirst.py).
pytest_plugins = ["tests.workstationkit", "tests.longfirst"]


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
    """Close every SQLite connection a test opened (as sqlite-utils' conftest does)."""
    opened: list[sqlite3.Connection] = []
    real = sqlite3.connect

    def tracking(*args, **kwargs):
        conn = real(*args, **kwargs)
        opened.append(conn)
        return conn

    monkeypatch.setattr(sqlite3, "connect", tracking)
    yield
    for conn in opened:
        try:
            conn.close()
        except sqlite3.Error:
            pass
