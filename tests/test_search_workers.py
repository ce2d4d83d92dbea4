"""A scan on every core (scanworkers): the same hits, order and digest as one process,
with real worker processes on real snapshot files; cancel and failure stop them."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings

import cleanroom.snapshot.search as search_mod
from cleanroom.snapshot import passes, scanworkers
from cleanroom.snapshot.query import Query, SearchCancelled, SearchError
from cleanroom.snapshot.search import search
from cleanroom.snapshot.store import Snapshot
from tests.searchkit import build, digest_of, reference
from tests.snapshotkit import TRUST
from tests.test_search import displays, literal_case, regex_case, results, unindexed


@pytest.fixture
def workers(monkeypatch):
    """Workers for any pass the index cannot narrow, however small, in many chunks."""
    if not scanworkers.allowed():
        pytest.skip("this process may not start worker processes")
    monkeypatch.setattr(scanworkers, "MIN_BYTES", 0)
    monkeypatch.setattr(scanworkers, "FIRST_BYTES", 1)
    monkeypatch.setattr(scanworkers, "CHUNK_BYTES", 64)
    monkeypatch.setattr(scanworkers, "WORKERS", 2)


def _agrees_in_workers(files: dict[bytes, bytes], query: Query) -> None:
    query = unindexed(query)
    with tempfile.TemporaryDirectory() as d:
        path = build(Path(d), files)
        with Snapshot.open(path, TRUST) as snapshot, search(snapshot, query) as s:
            announced: list[int] = []
            s.before_opens = announced.append
            want = reference(files, query, displays(snapshot))
            assert s.total() == len(want)
            assert s.digest() == digest_of(query, want)
            assert announced == ([2 * s.progress.workers] if s.progress.workers else [])
            assert s.progress.workers in (0, 1, 2)
            assert results(s) == want  # a pass of its own, with workers of its own


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(literal_case())
def test_a_literal_scanned_by_workers_agrees_with_brute_force(workers, case):
    _agrees_in_workers(*case)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(regex_case())
def test_a_regex_scanned_by_workers_agrees_with_brute_force(workers, case):
    _agrees_in_workers(*case)


@pytest.fixture
def bulk(workers, monkeypatch):
    """Workers that keep one hit whole: every later hit goes through bulkhits."""
    monkeypatch.setattr(search_mod, "KEPT", 1)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(literal_case())
def test_a_literal_found_in_bulk_agrees_with_brute_force(bulk, case):
    _agrees_in_workers(*case)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(regex_case())
def test_a_regex_found_in_bulk_agrees_with_brute_force(bulk, case):
    _agrees_in_workers(*case)


def _many(n: int) -> dict[bytes, bytes]:
    """Files whose hits cross chunk and worker boundaries; one binary, one large."""
    files = {b"f%04d.txt" % i: b"ab x\n" * (i % 7) + b"ab ab\nno\n" for i in range(n)}
    files[b"bin.dat"] = b"ab\x00ab\n"
    # Over CHUNK (1 MiB), so the worker reads it in pieces; long lines keep the hits
    # (and the brute-force reference) to 20,000: 400,000 one-word lines cost a minute.
    files[b"big.txt"] = (b"ab " + b"." * 60 + b"\n") * 20_000
    files[b"empty.txt"] = b""
    return files


def test_past_the_kept_hits_workers_send_only_records_and_the_digest_holds(
    tmp_path, workers, monkeypatch
):
    monkeypatch.setattr(search_mod, "KEPT", 150)
    files = _many(300)
    query = unindexed(Query("ab"))
    with Snapshot.open(build(tmp_path, files), TRUST) as snapshot:
        want = reference(files, query, displays(snapshot))
        with search(snapshot, query) as s:
            page = s.page(2, size=50)  # the last kept page; page(1) would be a fresh pass
            assert [(h.path, h.line) for h in page] == [(w[0], w[1]) for w in want[100:150]]
            again = s.page(3, size=50)  # past the kept hits: found again
            assert [(h.path, h.line) for h in again] == [(w[0], w[1]) for w in want[150:200]]
            assert all(h.text == b"ab" or h.text.startswith(b"ab ") for h in page)
            assert s.total() == len(want) and s.digest() == digest_of(query, want)
            # (a literal's workers start once the head is read: ADR 0115)
            assert s.progress.workers == 2
            assert s.progress.hits == len(want) and s.progress.worker_cpu > 0


def test_a_serial_pass_and_a_parallel_pass_give_the_same_digest(tmp_path, monkeypatch):
    files = _many(200)
    path = build(tmp_path, files)
    query = Query(r"a\w", regex=True)
    assert query.plan().index is None
    with Snapshot.open(path, TRUST) as snapshot:
        monkeypatch.setattr(scanworkers, "MIN_BYTES", 1 << 60)
        with search(snapshot, query) as one:
            serial = (one.total(), one.digest(), [(h.path, h.line) for h in one.page(3)])
        if not scanworkers.allowed():
            pytest.skip("this process may not start worker processes")
        monkeypatch.setattr(scanworkers, "MIN_BYTES", 0)
        monkeypatch.setattr(scanworkers, "FIRST_BYTES", 10)
        with search(snapshot, query) as two:
            assert (two.total(), two.digest(), [(h.path, h.line) for h in two.page(3)]) == serial
            assert two.progress.workers >= 2 and one.progress.workers == 0


def _alive_workers() -> list:
    return [p for p in multiprocessing.active_children() if p.name.startswith("Process")]


def test_cancel_stops_the_workers_promptly(tmp_path, workers):
    files = {b"f%05d.txt" % i: b"x1\n" * 2000 for i in range(400)}
    with Snapshot.open(build(tmp_path, files), TRUST) as snapshot:
        s = search(snapshot, Query(r"x\d", regex=True))
        outcome: list[object] = []

        def run() -> None:
            try:
                outcome.append(s.total())
            except SearchCancelled as exc:
                outcome.append(exc)

        t = threading.Thread(target=run)
        t.start()
        deadline = time.monotonic() + 60
        while s.progress.files < 5 and t.is_alive() and time.monotonic() < deadline:
            time.sleep(0.005)
        s.cancel()
        t.join(10)
        assert not t.is_alive()
        assert isinstance(outcome[0], SearchCancelled) or outcome[0] == 800_000
        assert _alive_workers() == []


def test_closing_after_the_first_page_stops_the_workers(tmp_path, workers):
    files = {b"f%05d.txt" % i: b"x1\n" * 2000 for i in range(200)}
    with Snapshot.open(build(tmp_path, files), TRUST) as snapshot:
        with search(snapshot, Query(r"x\d", regex=True)) as s:
            assert [h.line for h in s.page(0)] == list(range(100))
        assert _alive_workers() == []


def test_the_first_page_does_not_wait_for_the_workers_to_start(tmp_path, workers, monkeypatch):
    """The parent reads the first chunks (scanworkers.head) while the workers start in
    a thread of their own: here their start is held until the first page is back."""
    files = {b"f%05d.txt" % i: b"x1\n" * 60 for i in range(200)}
    release, released = threading.Event(), []
    start = scanworkers.Scan._start

    def held(self, ctx, args):
        released.append(release.wait(60))  # False: the page waited for the workers
        start(self, ctx, args)

    monkeypatch.setattr(scanworkers.Scan, "_start", held)
    query = Query(r"x\d", regex=True)
    with Snapshot.open(build(tmp_path, files), TRUST) as snapshot, search(snapshot, query) as s:
        assert [h.line for h in s.page(0)] == list(range(60)) + list(range(40))
        release.set()
        want = reference(files, query, displays(snapshot))
        assert s.total() == len(want) and s.digest() == digest_of(query, want)
        assert released == [True] and s.progress.workers == 2
    assert _alive_workers() == []


def test_a_worker_that_finds_another_snapshot_fails_the_search_clearly(
    tmp_path, workers, monkeypatch
):
    real = passes.Job

    def forged(path, manifest, *rest):  # a worker told to expect other manifest bytes
        return real(path, manifest + b" ", *rest)

    monkeypatch.setattr(passes, "Job", forged)
    with Snapshot.open(build(tmp_path, _many(20)), TRUST) as snapshot:
        s = search(snapshot, Query(r"a\w", regex=True))
        with pytest.raises(SearchError, match="changed since it was opened"):
            s.total()
        with pytest.raises(SearchError):  # the pass is dead: never a digest from it
            s.digest()
    assert _alive_workers() == []


def test_no_workers_where_the_audit_policy_refuses_programs(tmp_path):
    path = build(tmp_path, _many(30))
    script = textwrap.dedent(
        f"""
        import sys
        from cleanroom.snapshot import scanworkers
        from cleanroom.snapshot.query import Query
        from cleanroom.snapshot.search import search
        from cleanroom.snapshot.store import Snapshot
        from tests.snapshotkit import TRUST

        def policy(event, args):
            if event in ("subprocess.Popen", "os.fork", "os.posix_spawn"):
                raise RuntimeError("refused: " + event)

        sys.addaudithook(policy)
        scanworkers.MIN_BYTES = 0
        assert not scanworkers.allowed()
        query = Query(r"a\\w", regex=True)
        with Snapshot.open({str(path)!r}, TRUST) as snap, search(snap, query) as s:
            print(s.total())
            assert s.progress.workers == 0
        """
    )
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", script], cwd=root, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert int(out.stdout) > 30


def test_the_worker_count_follows_the_size_and_the_policy(monkeypatch):
    monkeypatch.setattr(scanworkers, "WORKERS", 2)
    monkeypatch.setattr(scanworkers, "MIN_BYTES", 1000)
    assert scanworkers.wanted(999) == 0
    assert scanworkers.wanted(1000) == (2 if scanworkers.allowed() else 0)
    monkeypatch.setattr(scanworkers, "WORKERS", 1)
    assert scanworkers.wanted(1 << 40) == 0  # one core: no workers


def test_chunks_grow_and_are_dealt_in_turn():
    order = [(i, i, b"p%d" % i) for i in range(100)]
    sizes = [10] * 100
    saved = scanworkers.FIRST_BYTES, scanworkers.CHUNK_BYTES
    try:
        scanworkers.FIRST_BYTES, scanworkers.CHUNK_BYTES = 10, 80
        dealt = scanworkers.chunked(order, sizes, 3)
    finally:
        scanworkers.FIRST_BYTES, scanworkers.CHUNK_BYTES = saved
    numbers = sorted(n for jobs in dealt for n, _ in jobs)
    assert numbers == list(range(len(numbers)))
    for k, jobs in enumerate(dealt):
        assert all(n % 3 == k for n, _ in jobs)
    flat = [ref for _, refs in sorted(c for jobs in dealt for c in jobs) for ref in refs]
    assert flat == order
    lengths = [len(refs) for _, refs in sorted(c for jobs in dealt for c in jobs)]
    assert lengths[:4] == [1, 2, 4, 8] and max(lengths) == 8


def test_a_broad_index_answer_is_read_by_workers_with_the_same_result(tmp_path, workers,
                                                                      monkeypatch):  # fmt: skip
    monkeypatch.setattr(search_mod, "PEEK", 5)
    files = _many(60)
    files.update({b"other/%02d.txt" % i: b"nothing to see\n" for i in range(10)})
    path = build(tmp_path, files)
    with Snapshot.open(path, TRUST) as snapshot:
        for text, broad in (("ab x", True), ("nothing to", False)):
            query = Query(text)
            assert query.plan().index is not None
            with search(snapshot, query) as s:
                want = reference(files, query, displays(snapshot))
                assert s.total() == len(want) and s.digest() == digest_of(query, want)
                assert (s.progress.workers > 0) == broad
                assert results(s) == want


def test_a_line_filter_has_few_literals():
    assert Query(r"0x[0-9a-f]{8}", regex=True).plan().matcher.line_filter is None
    assert len(Query(r"(foo|bar)baz", regex=True).plan().matcher.line_filter) == 2
