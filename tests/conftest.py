import sqlite3
from pathlib import Path

import pytest

from tests.ledgerkit import Kit


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


@pytest.fixture
def room():
    """A workstation under a fresh prefix with unique real accounts
    (tests/workstationkit.py). The prefix is made outside pytest's own 0700 tree so
    that a reviewer account can reach it: their EACCES must come from the layout."""
    import shutil
    import tempfile

    from tests.workstationkit import Room, need_shadow_tools, new_prefix

    need_shadow_tools()
    base = Path(tempfile.mkdtemp(prefix="cleanroom-room-", dir="/tmp"))
    base.chmod(0o755)
    root = base / "root"
    root.mkdir(mode=0o755)
    r = Room(root, new_prefix())
    try:
        yield r
    finally:
        r.remove()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def room_sources(tmp_path_factory) -> dict[str, Path]:
    """A real vendor-signed snapshot, workstation key, certificate and vendor key."""
    from tests.snapshotkit import small_tree
    from tests.workstationkit import cleanroom

    d = tmp_path_factory.mktemp("room-sources")
    cleanroom("keys", "vendor-init", "--dir", str(d), check=True)
    cleanroom("keys", "workstation-init", "--dir", str(d), check=True)
    cleanroom(
        "keys", "certify", "--vendor-key", str(d / "vendor.key"), "--workstation-pub",
        str(d / "workstation.pub"), "--id", "ws-test", "-o", str(d / "workstation.cert"),
        check=True,
    )  # fmt: skip
    src = d / "src"
    src.mkdir()
    small_tree(src)
    snap = d / "product.snapshot"
    cleanroom(
        "snapshot", "create", str(src), "-o", str(snap), "--vendor-key", str(d / "vendor.key"),
        check=True,
    )  # fmt: skip
    return {
        "--snapshot": snap,
        "--workstation-key": d / "workstation.key",
        "--cert": d / "workstation.cert",
        "--trust": d / "vendor.pub",
    }
