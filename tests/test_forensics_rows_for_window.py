"""`SessionIndex.rows_for` with a window takes a shorter way for a path of one
content (issue 14: who-viewed over 100 ledgers from the cache): the rows it keeps,
and the stored parts it refuses, are those of the general filter, whatever a
stored part holds (blob indexes out of range, negative, booleans, other types)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from cleanroom.forensics.sessionindex import ROW_FIELDS, SessionIndex, UnreadableIndex
from cleanroom.ledger.verdict import Verdict

PATH = b"src/a.c"
BLOB = "ab" * 32


def general(columns, limits):
    """The filter as it was before the shorter way (every row looks up its window)."""
    keep = [
        i
        for i, (b, first, last) in enumerate(zip(*columns[:3], strict=True))
        if (w := limits[b]) and first <= w[1] and last >= w[0]
    ]
    return [[c[i] for c in columns] for i in keep]


def index(doc) -> SessionIndex:
    data = json.dumps(doc).encode()
    verdict = Verdict.from_findings("x.ledger", [], {})
    return SessionIndex("x.ledger", verdict, [], part_digests={PATH: "0"}, _parts={PATH: data})


cells = st.one_of(st.integers(-3, 60), st.booleans(), st.none(), st.just("7"))


@given(
    st.lists(
        st.tuples(st.sampled_from([0, 0, 0, -1, 1, True, False, "0"]), cells, cells), max_size=30
    ),  # fmt: skip
    st.one_of(st.none(), st.tuples(st.integers(0, 50), st.integers(0, 50))),
)
@settings(max_examples=300, deadline=None)
def test_one_content_filters_as_the_general_way(rows, window):
    columns = [[r[k] if k < 3 else k for r in rows] for k in range(len(ROW_FIELDS))]
    doc = {"blobs": [BLOB], "columns": columns, "opened": [None]}
    try:
        expected = general(columns, [window])
    except (TypeError, IndexError) as exc:
        expected = exc
    try:
        got = index(doc).rows_for(PATH, lambda _: window)[1]
    except UnreadableIndex as exc:
        got = exc
    if isinstance(expected, Exception):
        assert isinstance(got, UnreadableIndex), (rows, window, got)
    else:
        assert got == expected


def test_boring_parts():
    empty = {"blobs": [BLOB], "columns": [[] for _ in ROW_FIELDS], "opened": [None]}
    assert index(empty).rows_for(PATH, lambda _: (1, 5))[1] == []
    one = {"blobs": [BLOB], "columns": [[0], [3], [4], *[[k] for k in range(3, 11)]],
           "opened": [None]}  # fmt: skip
    assert index(one).rows_for(PATH, lambda _: (4, 9))[1] == [[0, 3, 4, *range(3, 11)]]
    assert index(one).rows_for(PATH, lambda _: (5, 9))[1] == []
    assert index(one).rows_for(PATH, lambda _: None)[1] == []
