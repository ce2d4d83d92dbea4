"""A copy of a live ledger that reads as damaged is taken again only while the live
pair moves: `private_copy.moved` tells a writer caught between two moments from a
file whose damage is its own (which must be reported the same way every time)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cleanroom.ledger import load
from cleanroom.ledger.private_copy import copy_pair, moved


def wal_db(directory: Path) -> tuple[Path, sqlite3.Connection]:
    path = directory / "x.ledger"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")
    conn.execute("CREATE TABLE t (x)")
    conn.execute("INSERT INTO t VALUES (1)")
    return path, conn


def test_a_pair_that_holds_still_has_not_moved(tmp_path: Path) -> None:
    path, conn = wal_db(tmp_path)
    (tmp_path / "c").mkdir()
    size, state = copy_pair(path, Path(f"{path}-wal"), tmp_path / "c" / "copy")
    assert state is not None and size > 0
    assert not moved(path, Path(f"{path}-wal"), state)
    conn.close()


def test_a_restarted_wal_has_moved(tmp_path: Path) -> None:
    path, conn = wal_db(tmp_path)
    (tmp_path / "c").mkdir()
    _, state = copy_pair(path, Path(f"{path}-wal"), tmp_path / "c" / "copy")
    conn.execute("PRAGMA wal_checkpoint(RESTART)")
    conn.execute("INSERT INTO t VALUES (2)")  # the -wal starts again under new salts
    assert moved(path, Path(f"{path}-wal"), state)
    conn.close()


def test_a_checkpoint_into_the_main_file_has_moved(tmp_path: Path) -> None:
    """A checkpoint writes the main file without restarting the -wal: its header
    holds still, but a copy taken across it may be damaged, so it has moved."""
    import os
    import time

    path, conn = wal_db(tmp_path)
    (tmp_path / "c").mkdir()
    _, state = copy_pair(path, Path(f"{path}-wal"), tmp_path / "c" / "copy")
    header = (Path(f"{path}-wal").read_bytes()[:32], os.stat(path).st_size)
    time.sleep(0.02)  # past the file system's clock tick
    conn.execute("PRAGMA wal_checkpoint(PASSIVE)")
    assert (Path(f"{path}-wal").read_bytes()[:32], os.stat(path).st_size)[0] == header[0]
    assert moved(path, Path(f"{path}-wal"), state)
    assert moved(path, Path(f"{path}-wal"), None)  # never held still: always worth a retry
    conn.close()


def test_damage_is_read_again_only_while_the_pair_moves(tmp_path: Path, monkeypatch) -> None:
    """load_path reads a damaged copy again while `moved` says the writer went on,
    at most LIVE_RETRIES more times, and reports what the last read found."""
    path, conn = wal_db(tmp_path)  # not the ledger schema: damage
    reads = []
    real = load._read

    def counting(image, source):
        reads.append(source.uri)
        return real(image, source)

    monkeypatch.setattr(load, "_read", counting)
    load.load_path(path)
    assert len(reads) == 1  # held still: read once, damage and all
    monkeypatch.setattr(load.Source, "moved", lambda self: True)
    reads.clear()
    load.load_path(path)
    assert len(reads) == 1 + load.LIVE_RETRIES
    conn.close()
