"""A session start reads only the first and the last row of each earlier ledger
(attack on issue 13, F11: every entry of every ledger was read, 24-37 s for one
1M-entry ledger, past the terminal's 30 s wait). Same answers as a full read."""

from __future__ import annotations

import os
import sqlite3

from cleanroom.ledger.ends import load_ends
from cleanroom.ledger.load import load_path
from cleanroom.session import history
from cleanroom.session.history import past_sessions
from tests.ledgerkit import Kit


def make(kit: Kit, directory, views: int, seal: bool):
    ledger = kit.new_ledger(directory, views=views, ledger_id=os.urandom(16))
    if seal:
        ledger.seal("reviewer")
    else:
        ledger.close()
    return ledger.path


def test_load_ends_reads_the_first_and_last_rows_only(kit, tmp_path):
    path = make(kit, tmp_path, 300, seal=True)
    full = load_path(path).rows
    ends = load_ends(path).rows
    assert len(full) > 300 and ends == [full[0], full[-1]]


def test_a_one_entry_ledger_has_one_end(kit, tmp_path):
    path = make(kit, tmp_path, 0, seal=False)
    full = load_path(path).rows
    assert len(full) == 1 and load_ends(path).rows == full


def test_load_ends_of_what_is_not_a_ledger(tmp_path):
    for name, data in [("empty", b""), ("text", b"hello"), ("one", b"S")]:
        (tmp_path / name).write_bytes(data)
        image = load_ends(tmp_path / name)
        assert image.rows == [] and image.problems
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:  # a SQLite file of another shape: no row read
        conn.execute("CREATE TABLE entries (seq INTEGER PRIMARY KEY, body BLOB, sig BLOB, x)")
        conn.execute("INSERT INTO entries VALUES (0, x'00', x'00', 1)")
    conn.close()
    image = load_ends(other)
    assert image.rows == [] and not image.rows_read


def test_history_from_the_ends_equals_history_from_every_row(kit, tmp_path, monkeypatch):
    make(kit, tmp_path, 50, seal=True)
    make(kit, tmp_path, 20, seal=False)
    make(kit, tmp_path, 0, seal=True)
    fast = past_sessions(tmp_path, kit.workstation.cert, kit.trust)
    monkeypatch.setattr(history, "load_ends", load_path)  # the old way: every row
    slow = past_sessions(tmp_path, kit.workstation.cert, kit.trust)
    assert len(fast) == 3 and fast == slow
    assert sorted(s.sealed for s in fast) == [False, True, True]
