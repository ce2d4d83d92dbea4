"""The rules every row read from a ledger passes (load._checked_batches), on the
batch path and on the row-by-row path it falls back to: a seq that does not
increase, or rows holding more bytes than the file, end the read with
RowOrderError, and every row before the offending one is still handed on."""

from __future__ import annotations

import itertools
import sqlite3

import pytest

from cleanroom.ledger.load import BATCH, ReadBudget, RowOrderError, _checked_batches


def cursor(rows: list[tuple[object, ...]]) -> sqlite3.Cursor:
    """A real SQLite cursor over (seq, body, sig, length) rows, in the given order."""
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (i INTEGER PRIMARY KEY, seq, body, sig, length)")
    conn.executemany("INSERT INTO t (seq, body, sig, length) VALUES (?, ?, ?, ?)", rows)
    return conn.execute("SELECT seq, body, sig, length FROM t ORDER BY i")


def rows(seqs: list[object], size: int = 10) -> list[tuple[object, ...]]:
    return [(s, b"b%d" % n, b"s", size) for n, s in enumerate(seqs)]


def read(rs: list[tuple[object, ...]], size: int, after: object = None) -> tuple[list, str]:
    out: list = []
    error = ""
    try:
        for batch in _checked_batches(cursor(rs), ReadBudget(), size, after):
            out.extend(batch)
    except RowOrderError as exc:
        error = str(exc)
    return out, error


@pytest.mark.parametrize("n", [0, 1, 31, 32, 33, BATCH, BATCH + 1, 3 * BATCH + 7])
def test_genuine_rows_come_back_whole_and_in_order(n: int) -> None:
    got, error = read(rows(list(range(n))), size=10 * n)
    assert error == ""
    assert got == [(r[0], r[1], r[2]) for r in rows(list(range(n)))]


@pytest.mark.parametrize("at", [0, 1, 17, 31, 32, BATCH - 1, BATCH, BATCH + 5])
def test_a_seq_that_goes_back_ends_the_read_after_the_rows_before_it(at: int) -> None:
    seqs = list(range(at)) + [max(at - 1, -1)] + list(range(at, at + 40))
    got, error = read(rows(seqs), size=10**9, after=-1)
    assert "b-tree returns seq" in error
    assert [r[0] for r in got] == list(range(at))


def test_a_repeated_seq_is_caught_as_the_first_of_a_batch() -> None:
    """The loop a shared b-tree page makes: the next batch starts where one began."""
    seqs = list(range(BATCH)) + list(range(BATCH))
    got, error = read(rows(seqs), size=10**9)
    assert "returns seq 0 after" in error
    assert len(got) == BATCH


@pytest.mark.parametrize("fits", [0, 1, 40, BATCH, BATCH + 3])
def test_rows_holding_more_bytes_than_the_file_end_the_read(fits: int) -> None:
    got, error = read(rows(list(range(fits + 50)), size=100), size=100 * fits + 99)
    assert "more than the file's" in error
    assert len(got) == fits


def test_seqs_that_are_not_numbers_pass_to_the_entry_checks() -> None:
    """A text or NULL seq is for check_rows to name (ENCODING); the order rule
    skips it, on the row-by-row path."""
    seqs = [0, 1, "two", None, 2, 3] + list(range(4, 100))
    got, error = read(rows(seqs), size=10**9)
    assert error == ""
    assert [r[0] for r in got] == seqs
    # …and a number after them must still exceed the last number before them.
    got, error = read(rows([5, "x", 5]), size=10**9)
    assert "returns seq 5 after 5" in error
    assert [r[0] for r in got] == [5, "x"]


def test_after_is_the_lower_bound_of_the_first_batch() -> None:
    got, error = read(rows([3, 4]), size=10**9, after=3)
    assert "returns seq 3 after 3" in error and got == []
    got, error = read(rows(list(itertools.islice(itertools.count(4), 70))), 10**9, after=3)
    assert error == "" and len(got) == 70
