"""density.Named: the index's answer read forward once gives, for any sequence of
chunks (rowids ascending or not, repeated, empty), exactly the blobs a MATCH over
the whole tree names, plus the truncated ones; never fewer (a worker would skip a
blob holding hits) and never more."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanroom.snapshot import density
from cleanroom.snapshot.density import Named
from cleanroom.snapshot.readonly import connect
from tests.searchkit import build

WORDS = [b"ret word", b"nothing", b"x ret", b"ret\x00word", b""]


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    directory = tmp_path_factory.mktemp("density")
    files = {b"d/%03d.txt" % i: WORDS[i % 5 if i % 7 else 0] + b" %d\n" % i for i in range(120)}
    return build(directory, files)


def _whole(conn, index: str) -> set[int]:
    return {r for (r,) in conn.execute("SELECT rowid FROM search WHERE search MATCH ?", (index,))}


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.lists(st.integers(0, 130), max_size=12), max_size=8),
    st.sampled_from(['"ret"', '"word"', '"nothing"', '"zzz"']),
    st.sampled_from([1, 2, 1024]),
    st.frozensets(st.integers(0, 130), max_size=5),
)
def test_named_is_the_whole_answer_for_any_chunks(snapshot, chunks, index, step, extra):
    conn = connect(snapshot, mmap=False)
    try:
        whole = _whole(conn, index)
        start = min((r for chunk in chunks for r in chunk), default=0)
        saved = density._STEP
        density._STEP = step  # read a few rowids at a time: chunks end inside a read
        try:
            named = Named(conn, index, start, extra)
            for chunk in chunks:
                assert named.among(chunk) == {r for r in chunk if r in whole or r in extra}
        finally:
            density._STEP = saved
    finally:
        conn.close()


def test_boring_answers(snapshot):
    conn = connect(snapshot, mmap=False)
    try:
        whole = sorted(_whole(conn, '"ret"'))
        assert whole, "the tree holds the word"
        named = Named(conn, '"ret"', whole[-1], frozenset())
        assert named.among([]) == set()
        assert named.among([whole[-1]]) == {whole[-1]}
        assert named.among([whole[-1] + 1, 10**9]) == set()  # past the end of the answer
        with pytest.raises(ValueError):
            named.among([whole[-1] - 1])  # before its start: never read
    finally:
        conn.close()
