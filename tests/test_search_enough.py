"""Scan.enough: once the parent holds every hit it keeps whole, a worker sends only
records, and they are the same bytes, in the same order, as the whole hits it would
have sent (so the digest cannot tell when the signal came); the search still keeps
whole hits only, and agrees with brute force wherever the signal lands."""

from __future__ import annotations

import threading

import pytest

import cleanroom.snapshot.search as search_mod
from cleanroom.snapshot import scanworkers
from cleanroom.snapshot.catalog import catalog
from cleanroom.snapshot.query import Query
from cleanroom.snapshot.results import Hit, record
from cleanroom.snapshot.search import checked_connection, search
from cleanroom.snapshot.store import Snapshot
from tests.searchkit import build, digest_of, reference
from tests.snapshotkit import TRUST
from tests.test_search import displays

FILES = {b"d/%03d.c" % i: b"x ab\n" * (i % 5) + b"ab ab\nno\n" for i in range(60)}
FILES[b"d/none.c"] = b""
FILES[b"d/bin.o"] = b"ab\x00"


class _Out:
    def __init__(self) -> None:
        self.msgs: list[tuple] = []

    def put(self, msg: tuple) -> None:
        self.msgs.append(msg)


def _worker(path, snapshot, query: Query, keep: int | None, told: bool) -> list[tuple]:
    conn = checked_connection(snapshot)
    try:
        files = catalog(snapshot, conn)
        order = scanworkers.text_files(snapshot, conn, files)
    finally:
        conn.close()
    chunks = [(k, order[k : k + 7]) for k in range(0, len(order), 7)]
    job = scanworkers.Job(str(path), snapshot.manifest_bytes, (query.text, query.regex,
                          query.case), keep, chunks)  # fmt: skip
    enough = threading.Event()
    if told:
        enough.set()
    out = _Out()
    scanworkers._run(job, out, threading.Event(), enough)
    return [(paths_of(files), m) for m in out.msgs]


def paths_of(files):
    return files.paths


@pytest.mark.parametrize("text", ["ab", "a"])
def test_a_told_worker_sends_the_same_bytes_as_records(tmp_path, text):
    query = Query(text)
    path = build(tmp_path, FILES)
    with Snapshot.open(path, TRUST) as snapshot:
        whole = _worker(path, snapshot, query, 10_000, told=False)
        told = _worker(path, snapshot, query, 10_000, told=True)
    made, untold, sent = b"", b"", b""
    count = 0
    for (paths, a), (_, b) in zip(whole, told, strict=True):
        assert a[0] == b[0]  # the same chunks, in order
        assert not b[1], "told, none comes whole"
        assert a[2].count == len(a[1]), "untold, every hit comes whole and as its record"
        for pos, *rest in a[1]:
            made += record(Hit(paths[pos], "", *rest))
        untold += a[2].data
        sent += b[2].data
        count += b[2].count
        assert (a[3], a[4]) == (b[3], b[4])  # files and bytes read
    assert count > 0 and made == sent == untold


def test_every_hit_whole_and_no_records_without_keep(tmp_path):
    """`Search.hits` (keep None): every hit whole, no digest records, told or not."""
    path = build(tmp_path, FILES)
    with Snapshot.open(path, TRUST) as snapshot:
        for told in (False, True):
            msgs = _worker(path, snapshot, Query("ab"), None, told)
            assert sum(len(m[1]) for _, m in msgs) > 0
            assert all(m[2].count == 0 and m[2].data == b"" for _, m in msgs)


def test_the_signal_keeps_whole_hits_whole_and_the_digest(tmp_path, monkeypatch):
    if not scanworkers.allowed():
        pytest.skip("this process may not start worker processes")
    monkeypatch.setattr(scanworkers, "MIN_BYTES", 0)
    monkeypatch.setattr(scanworkers, "FIRST_BYTES", 1)
    monkeypatch.setattr(scanworkers, "CHUNK_BYTES", 64)
    monkeypatch.setattr(scanworkers, "WORKERS", 2)
    sent: list[int] = []
    original = scanworkers.Scan.enough

    def enough(self):
        sent.append(1)
        original(self)

    monkeypatch.setattr(scanworkers.Scan, "enough", enough)
    query = Query(r"a\w", regex=True)  # no index: every file, on the workers at once
    path = build(tmp_path, FILES)
    for kept in (1, 7, 40):
        monkeypatch.setattr(search_mod, "KEPT", kept)
        with Snapshot.open(path, TRUST) as snapshot, search(snapshot, query) as s:
            want = reference(FILES, query, displays(snapshot))
            assert s.total() == len(want) > kept
            assert s.digest() == digest_of(query, want)
            page = s._kept
            assert len(page) == kept and all(type(h) is Hit for h in page)
            assert [(h.path, h.line, h.spans) for h in page] == [w[:3] for w in want[:kept]]
            assert s.progress.workers == 2
    assert sent, "the workers were told"
