"""bulkbatch: a worker's batch of blobs gives, for a literal, exactly the records of
each blob one by one (matcher lines, line index, `_rest`), whatever the prefixes,
line indexes or hits per line; and an index answer that is sparse at its start but
dense over the tree (`density`) is read by the workers, with the same result."""

from __future__ import annotations

from bisect import bisect_right

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cleanroom.snapshot.search as search_mod
from cleanroom.snapshot import bulkbatch, density, scanworkers
from cleanroom.snapshot.blobs import facts, unpack_line_index
from cleanroom.snapshot.bulkbatch import batchable, records_many
from cleanroom.snapshot.query import Query
from cleanroom.snapshot.results import _path_part, _rest
from cleanroom.snapshot.search import search
from cleanroom.snapshot.store import Snapshot
from tests.searchkit import build, digest_of, reference
from tests.snapshotkit import TRUST
from tests.test_search import displays, results

BYTES = st.sampled_from([b"a", b"b", b"ab", b"\n", b"\r", b"A", b"B", b"\xc3\xa9", b"aa",
                         b" ", b"\n\n", b"\x00", b"ba"])  # fmt: skip
CONTENT = st.lists(BYTES, max_size=40).map(b"".join)
PATHS = st.sampled_from([b"a.c", b"dir/\xff\x1b[31mname.c", b"", b"x" * 70])


def _one_by_one(query: Query, data: bytes, prefix: bytes) -> tuple[bytes, int]:
    starts = unpack_line_index(facts(data).line_index) or [0]
    out = []
    for start, _end, spans, more in query.plan().matcher.lines(data):
        out.append(prefix + _rest((None, None, bisect_right(starts, start) - 1, spans, more)))
    return b"".join(out), len(out)


@settings(max_examples=400, deadline=None)
@given(
    st.lists(st.tuples(CONTENT, PATHS, st.booleans()), max_size=6),
    st.sampled_from(["ab", "aa", "aab", "ba", "A", "é", "a\r", "b", "a"]),
    st.booleans(),
)
def test_a_batch_gives_the_records_of_each_blob_one_by_one(blobs, text, case):
    query = Query(text, case=case)
    items, want, count = [], [], 0
    for data, path, indexed in blobs:
        prefix = _path_part(path)
        items.append((data, prefix, facts(data).line_index if indexed else None))
        found, n = _one_by_one(query, data, prefix)
        want.append(found)
        count += n
    saved, loaded = bulkbatch.NUMPY_HITS, bulkbatch.numpy
    try:
        for threshold in (saved, 0):  # blob by blob, and numpy over the batch
            bulkbatch.NUMPY_HITS = threshold
            assert records_many(query.plan().matcher, items) == (b"".join(want), count)
        bulkbatch.numpy = lambda: None  # without numpy: the `find` loop, blob by blob
        assert records_many(query.plan().matcher, items) == (b"".join(want), count)
    finally:
        bulkbatch.NUMPY_HITS, bulkbatch.numpy = saved, loaded


def test_many_hits_through_numpy_with_crowded_lines_and_a_bad_index():
    """Over NUMPY_HITS hits: lines of one hit, lines of several (grouped), more than
    MAX_SPANS on a line, blobs without a hit between; and a blob whose line index
    was not read, which sends the batch blob by blob (the same records)."""
    query = Query("ab")
    blobs = [b"".join(b"%d x ab\n" % i for i in range(300)), b"no hit\n",
             b"ab ab ab\n" * 20 + b"ab", b"ab" * 150 + b"\n" + b"x ab\n" * 60, b""]  # fmt: skip
    items, want = [], []
    for k, data in enumerate(blobs):
        prefix = _path_part(b"f%d" % k)
        items.append((data, prefix, facts(data).line_index))
        want.append(_one_by_one(query, data, prefix))
    expected = (b"".join(w[0] for w in want), sum(w[1] for w in want))
    assert records_many(query.plan().matcher, items) == expected
    unread = [(data, prefix, None if k == 1 else index) for k, (data, prefix, index) in
              enumerate(items)]  # fmt: skip
    assert records_many(query.plan().matcher, unread) == expected


def test_boring_batches():
    matcher = Query("ab").plan().matcher
    assert batchable(matcher) and not batchable(Query("a").plan().matcher)
    assert not batchable(Query("ab", regex=True).plan().matcher)
    assert records_many(matcher, []) == (b"", 0)
    assert records_many(matcher, [(b"", b"H", None), (b"a", b"H", b"")]) == (b"", 0)
    prefix = _path_part(b"p")
    for data in [b"ab", b"ab\n", b"\nab", b"abab\nab"]:
        assert records_many(matcher, [(data, prefix, None)]) == _one_by_one(
            Query("ab"), data, prefix
        )


@pytest.fixture
def workers(monkeypatch):
    if not scanworkers.allowed():
        pytest.skip("this process may not start worker processes")
    monkeypatch.setattr(scanworkers, "MIN_BYTES", 0)
    monkeypatch.setattr(scanworkers, "WORKERS", 2)
    monkeypatch.setattr(scanworkers, "FIRST_BYTES", 1)
    monkeypatch.setattr(scanworkers, "CHUNK_BYTES", 64)
    monkeypatch.setattr(search_mod, "PEEK", 5)
    monkeypatch.setattr(density, "WIDTH", 10)


def test_an_answer_sparse_at_its_start_but_dense_over_the_tree_is_read_by_workers(
    tmp_path, workers
):
    """`return` on Linux: its first blobs are far apart (Documentation/ comes first),
    yet it is in half the tree. Here the first 60 files (in path order, so in rowid
    order) hold the word once in ten; the 200 after them all hold it (each content is
    its own blob: equal contents would share one rowid)."""
    files = {b"a/%03d.txt" % i: b"x ret word %d\n" % i if i % 10 == 0 else b"nothing %d\n" % i
             for i in range(60)}  # fmt: skip
    files.update({b"b/%03d.txt" % i: b"ret word\n%d ret word ret\n" % i for i in range(200)})
    path = build(tmp_path, files)
    with Snapshot.open(path, TRUST) as snapshot:
        for text, broad in (("ret word", True), ("x ret", False)):
            query = Query(text)
            assert query.plan().index is not None
            with search(snapshot, query) as s:
                want = reference(files, query, displays(snapshot))
                assert s.total() == len(want) and s.digest() == digest_of(query, want)
                assert (s.progress.workers > 0) == broad, text
                assert results(s) == want


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 40), st.sampled_from([-1, 0, 1, 5, 100, 300, 5000])),
             max_size=40),
    st.integers(1, 4),
    st.sampled_from([None, 1, 7, 50]),
)  # fmt: skip
def test_chunks_end_with_the_file_that_fills_them(files, workers, first):
    """The cut `chunked` makes by bisection is the one a file-by-file loop makes: in
    order, each chunk ends with the first file that brings it to its limit (an
    unknown size, -1, and a rowid past the size table count 0), limits double."""
    sizes = [size for _, size in files[:30]]
    order = [(i, rowid, b"p") for i, (rowid, _) in enumerate(files)]
    dealt = scanworkers.chunked(order, sizes, workers, first)
    chunks = sorted(chunk for jobs in dealt for chunk in jobs)
    assert [n for n, _ in chunks] == list(range(len(chunks)))
    assert all(n % workers == k % workers for k, jobs in enumerate(dealt) for n, _ in jobs)
    assert [ref for _, refs in chunks for ref in refs] == order
    limit = scanworkers.FIRST_BYTES if first is None else first
    for n, refs in chunks:
        size = [max(0, sizes[r]) if r < len(sizes) else 0 for _, r, _ in refs]
        assert sum(size[:-1]) < limit
        assert sum(size) >= limit or n == len(chunks) - 1
        limit = min(scanworkers.CHUNK_BYTES, limit * 2)
