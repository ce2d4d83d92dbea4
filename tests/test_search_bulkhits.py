"""bulkhits: a blob's digest records found in bulk are exactly those of the matcher's
lines one by one, with line numbers from the line index (as file_hits makes them)."""

from __future__ import annotations

import subprocess
import sys
from bisect import bisect_right
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cleanroom.snapshot.search as search_mod
from cleanroom.snapshot import bulkhits, scanworkers
from cleanroom.snapshot.blobs import facts, unpack_line_index
from cleanroom.snapshot.bulkhits import records
from cleanroom.snapshot.linematch import MAX_SPANS
from cleanroom.snapshot.query import Query
from cleanroom.snapshot.results import _path_part, _rest
from tests.test_search import _agrees, literal_case

PREFIX = _path_part(b"dir/\xff\x1b[31mname.c")


def _one_by_one(query: Query, data: bytes) -> tuple[bytes, int]:
    """The records as a single pass makes them: matcher lines, line index, _rest."""
    starts = unpack_line_index(facts(data).line_index) or [0]
    out = []
    for start, _end, spans, more in query.plan().matcher.lines(data):
        line = bisect_right(starts, start) - 1
        out.append(PREFIX + _rest((None, None, line, spans, more)))
    return b"".join(out), len(out)


def _same(query: Query, data: bytes) -> None:
    """Without the line index (counted), with it (bisected), and with it through numpy."""
    want = _one_by_one(query, data)
    matcher, index = query.plan().matcher, facts(data).line_index
    assert records(matcher, data, PREFIX) == want
    assert records(matcher, data, PREFIX, index) == want
    with _numpy_from(0):
        assert records(matcher, data, PREFIX, index) == want


@contextmanager
def _numpy_from(hits: int) -> Iterator[None]:
    saved = bulkhits.NUMPY_HITS
    bulkhits.NUMPY_HITS = hits
    try:
        yield
    finally:
        bulkhits.NUMPY_HITS = saved


BYTES = st.sampled_from([b"a", b"b", b"ab", b"\n", b"\r", b"\r\n", b"A", b"\xc3\xa9", b"\xff",
                         b"\x1b[0m", b" ", b"aa", b"\n\n"])  # fmt: skip
CONTENT = st.lists(BYTES, max_size=60).map(b"".join)


@settings(max_examples=300, deadline=None)
@given(CONTENT, st.sampled_from(["a", "aa", "ab", "b", "aab", "A", "\r", "é", "a\r"]),
       st.booleans())  # fmt: skip
def test_a_literal_in_bulk_gives_the_records_of_one_by_one(data, text, case):
    _same(Query(text, case=case), data)


@settings(max_examples=200, deadline=None)
@given(CONTENT, st.sampled_from([r"a+", r"\bab", r"[ab]{2}", r"^", r"$", r"a*", r"é|b",
                                 r"(?i)AB"]))  # fmt: skip
def test_a_regex_in_bulk_gives_the_records_of_one_by_one(data, pattern):
    _same(Query(pattern, regex=True), data)


def test_boring_and_hostile_contents():
    for data in [b"", b"a", b"\n", b"a\n", b"no hit here\n", b"ab" * 5000,  # no line feed
                 b"x\n" * 3000 + b"ab", b"\xff\xfeab\x00ab\n\x1b]0;ab\x07\n"]:  # fmt: skip
        for text in ["a", "ab", "x", "ab\x00"]:
            _same(Query(text), data)
            _same(Query(text, case=False), data)


def test_more_than_max_spans_in_one_line_is_cut_and_flagged():
    data = b"a" * (MAX_SPANS + 5) + b"\n" + b"a" * MAX_SPANS + b"\nb\na"
    _same(Query("a"), data)
    found, count = records(Query("a").plan().matcher, data, PREFIX)
    assert (found, count) == _one_by_one(Query("a"), data)
    assert count == 3
    assert found.count(PREFIX) == 3
    first = len(PREFIX) + 8 + 8 * MAX_SPANS
    assert found[first : first + 1] == b"\x01"  # more spans than kept
    assert found[2 * first + 1 : 2 * first + 2] == b"\x00"  # exactly MAX_SPANS: none more


def test_many_hits_one_per_line_through_numpy():
    data = b"".join(b"%d x ab\n" % i for i in range(5000)) + b"ab"
    for text in ["ab", "x", "b"]:
        _same(Query(text), data)
    found, count = records(Query("ab").plan().matcher, data, PREFIX, facts(data).line_index)
    assert count == 5001
    assert found.endswith(PREFIX + _rest((None, None, 5000, ((0, 2),), False)))


def test_overlapping_occurrences_are_found_left_to_right_without_overlap():
    found, count = records(Query("aa").plan().matcher, b"aaaaa\n", PREFIX)
    assert count == 1
    assert found == PREFIX + _rest((None, None, 0, ((0, 2), (2, 4)), False))


@pytest.fixture
def serial_bulk(monkeypatch):
    """One process, one hit kept whole: every later hit of a pass goes through bulkhits."""
    monkeypatch.setattr(search_mod, "KEPT", 1)
    monkeypatch.setattr(scanworkers, "MIN_BYTES", 1 << 60)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(literal_case())
def test_a_serial_pass_in_bulk_agrees_with_brute_force(serial_bulk, case):
    _agrees(*case)


def test_without_numpy_the_records_are_the_same(monkeypatch):
    """Where numpy cannot be imported (the reviewer terminal's audit policy refuses the
    ctypes it loads), the records come from map, unchanged."""
    data = b"".join(b"%d ~ ab ab\n" % i for i in range(300)) + b"x ~"
    want = {t: _one_by_one(Query(t), data) for t in ("ab", "~")}
    monkeypatch.setattr(bulkhits, "_NUMPY", False)
    assert bulkhits.numpy() is None
    for text, expected in want.items():
        assert records(Query(text).plan().matcher, data, PREFIX, facts(data).line_index) == expected


def test_numpy_is_not_imported_by_the_terminal_or_the_search_module():
    code = (
        "import sys, cleanroom.cli.terminal, cleanroom.snapshot.search;"
        " print('numpy' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-I", "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
