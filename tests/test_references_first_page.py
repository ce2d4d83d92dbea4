"""References of a short name list a first page without waiting for the pass to
end (ADR 0215): a name of one or two letters is a literal the index hardly
narrows, and the pass that counts its uses reads the whole tree (4.8 s was seen
for the first page). The first page is the hits found within
REFERENCES_FIRST_PAGE; it is recorded as `search_start` with its own row count
and digest, the count and digest of the whole follow, and replay re-checks both."""

from __future__ import annotations

import pytest

from cleanroom.forensics.replay import check_search
from cleanroom.ledger.encoding import decode_body
from cleanroom.session import review
from cleanroom.session.events import Search, SearchStart
from cleanroom.session.local_service import LocalService
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.search import Query, search
from cleanroom.snapshot.store import Snapshot
from cleanroom.snapshot.symbols.query import references_query
from tests.ledgerkit import read_rows

# `xy` used once in each of 40 files, and `xyz` (not a use) around it.
FILES = {f"src/f{i:02}.c": b"int xyz;\nint g(void) { return xy; }\n" for i in range(40)}


@pytest.fixture
def snapshot(kit, tmp_path):
    src = tmp_path / "src-tree"
    for rel, data in FILES.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    out = tmp_path / "refs.snapshot"
    create_snapshot(src, out, kit.vendor, name="refs", version="1", created=1)
    return out


def test_the_first_page_by_time_leaves_the_pass_whole(kit, snapshot):
    with Snapshot.open(snapshot, kit.trust) as s:
        query = references_query("xy")
        handle = search(s, query)
        first = handle.first_page(0.0)  # past at once: the first batch found
        assert 1 <= len(first) < len(FILES)
        assert not handle.done
        fresh = search(s, query)
        assert (handle.total(), handle.digest()) == (fresh.total(), fresh.digest())
        assert handle.total() == len(FILES)
        assert handle.page(0) == fresh.page(0)  # and the first hits are its first hits
        assert first == fresh.page(0)[: len(first)]
        empty = search(s, references_query("nowhere"))
        assert empty.first_page(0.0) == [] and empty.done  # no hit: the pass ran to its end


def test_the_first_page_does_not_wait_for_the_worker_processes(kit, snapshot, monkeypatch):
    """On a large tree the pass reads with worker processes, which took 1.5-2 s to
    start on Linux under load: the first page is read in this thread meanwhile, and
    it is the pass's own first hits (the pass starts only after it)."""
    from cleanroom.snapshot import scanworkers

    monkeypatch.setattr(scanworkers, "MIN_BYTES", 0)  # workers, as for a large tree
    monkeypatch.setattr(scanworkers, "FIRST_BYTES", 1)  # and chunks of a few files, so
    monkeypatch.setattr(scanworkers, "CHUNK_BYTES", 64)  # the parent's head leaves them some
    with Snapshot.open(snapshot, kit.trust) as s:
        query = references_query("xy")
        handle = search(s, query)
        first = handle.first_page(0.0)
        assert 1 <= len(first) < len(FILES) and handle.progress.workers == 0
        whole = search(s, query)
        assert whole.total() == len(FILES) and whole.progress.workers > 0  # workers ran
        assert first == whole.page(0)[: len(first)]
        assert (handle.total(), handle.digest()) == (whole.total(), whole.digest())
        assert handle.page(0) == whole.page(0)


def recorded(kit, tmp_path, snapshot, query):
    source = SnapshotSource.from_file(snapshot, kit.trust)
    (tmp_path / "ledgers").mkdir(parents=True)
    ledger = kit.new_ledger(tmp_path / "ledgers")
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "refs 1", str(ledger.path))
    service = LocalService(ReviewSession(Recorder(ledger), source, facts))
    firsts = []
    whole = service.search(query, None, firsts.append)
    ledger.close()
    return firsts, whole, [decode_body(b) for _, b, _ in read_rows(ledger.path)]


def test_references_record_a_first_page_before_the_count(kit, tmp_path, snapshot, monkeypatch):
    monkeypatch.setattr(review, "REFERENCES_FIRST_PAGE", 0.0)  # as if the pass were slow
    query = references_query("xy")
    firsts, whole, got = recorded(kit, tmp_path, snapshot, query)
    (first,) = firsts
    assert not first.done and 1 <= first.kept < len(FILES)
    assert whole.done and whole.total == len(FILES)
    kinds = [e.kind for e in got]
    assert kinds.index("search_start") < kinds.index("search")
    start = next(e for e in got if e.kind == "search_start")
    end = next(e for e in got if e.kind == "search")
    assert start.payload["rows"] == first.kept and end.payload["hits"] == len(FILES)
    # Replay runs the search again and checks the first page's count and digest.
    source = SnapshotSource.from_file(snapshot, kit.trust)
    assert check_search(start.seq, SearchStart(**start.payload), source).ok
    assert check_search(end.seq, Search(**end.payload), source).ok


def test_other_searches_have_a_budget_of_their_own(kit, tmp_path, snapshot, monkeypatch):
    """Every search lists what it found by its time (ADR 0116), each by its own
    budget: references by REFERENCES_FIRST_PAGE, the rest by SEARCH_FIRST_PAGE."""
    monkeypatch.setattr(review, "REFERENCES_FIRST_PAGE", 0.0)
    # The same words as a plain regex with a glob: not a references query.
    queries = (Query(r"\bxy\b", regex=True, case=True, include=["src/**"]), Query("xy"))
    for budget, partial in ((60.0, False), (0.0, True)):
        monkeypatch.setattr(review, "SEARCH_FIRST_PAGE", budget)
        for query in queries:
            where = tmp_path / f"{budget}-{query.text.replace(chr(92), '')}"
            firsts, whole, got = recorded(kit, where, snapshot, query)
            assert ("search_start" in [e.kind for e in got]) is partial
            assert [1 <= f.kept < len(FILES) for f in firsts] == ([True] if partial else [])
            uses = len(FILES) * (1 if query.regex else 2)  # the literal is in `xyz` too
            assert whole.done and whole.total == uses


def test_a_name_the_index_narrows_is_not_read_file_by_file(kit, tmp_path, monkeypatch):
    """The first page is read in path order only where the pass would read every
    file on worker processes. A long name the index narrows to one file is found
    by the pass at once; read file by file it took up to a second more on Linux
    (`nonexistent_name_qq` 7 ms -> 1,055 ms, a 31-letter name 53 -> 1,319 ms)."""
    from cleanroom.snapshot import firstpage, passes, scanworkers

    src = tmp_path / "narrow"
    for i in range(40):
        (src / f"f{i:02}.c").parent.mkdir(parents=True, exist_ok=True)
        tail = b"int only_here_a_long_name;\n" if i == 39 else b""
        (src / f"f{i:02}.c").write_bytes(b"int xyz;\n" + tail)
    out = tmp_path / "narrow.snapshot"
    create_snapshot(src, out, kit.vendor, name="narrow", version="1", created=1)
    read: list[bytes] = []
    real = passes.file_hits

    def counted(conn, path, *rest):  # the real reader, counted
        read.append(path)
        return real(conn, path, *rest)

    monkeypatch.setattr(scanworkers, "MIN_BYTES", 0)  # workers, as for a large tree
    monkeypatch.setattr(passes, "file_hits", counted)  # the pass's reads
    monkeypatch.setattr(firstpage, "file_hits", counted)  # and the first page's own
    with Snapshot.open(out, kit.trust) as s:
        handle = search(s, references_query("only_here_a_long_name"))
        first = handle.first_page(0.0)
        assert len(read) <= 1, read  # the index's one candidate, not 40 files in path order
        assert len(first) == 1 and first == search(
            s, references_query("only_here_a_long_name")
        ).page(0)


def _traced(monkeypatch):
    """Every statement the searches' own connections run (the real connections,
    traced), as SQLite expands it with its parameters."""
    from cleanroom.snapshot import search as search_module

    ran: list[str] = []
    real = search_module.checked_connection

    def traced(snapshot):
        conn = real(snapshot)
        conn.set_trace_callback(ran.append)
        return conn

    monkeypatch.setattr(search_module, "checked_connection", traced)
    return ran


def _narrow_tree(kit, tmp_path, uses):
    src = tmp_path / "narrow"
    src.mkdir()
    for i in range(40):
        tail = b"int only_here_a_long_name;\n" if i in uses else b""
        (src / f"f{i:02}.c").write_bytes(b"int xyz%d;\n" % i + tail)  # a blob each
    out = tmp_path / "narrow.snapshot"
    create_snapshot(src, out, kit.vendor, name="narrow", version="1", created=1)
    return out


@pytest.mark.parametrize("peek", [400, 2])
def test_the_index_is_asked_once_for_a_name_it_narrows(kit, tmp_path, monkeypatch, peek):
    """On a tree large enough for worker processes, the first page of a long name
    asked the index three times for the same answer: whether it is broad (the first
    page, then the pass) and for the candidates (Linux: 3 x 18 ms of CPU, 209 ms of
    209 ms at load 8). The start of the answer, read once, is the whole answer when
    shorter than PEEK; when cut at PEEK (here 2 of 3), the pass reads it whole."""
    query = references_query("only_here_a_long_name")
    with Snapshot.open(_narrow_tree(kit, tmp_path, {5, 20, 39}), kit.trust) as s:
        want = _alone(s, query)
        ran = _as_on_a_large_tree(monkeypatch, peek)
        handle = search(s, query)
        first = handle.first_page(0.0)
        assert (handle.page(0), handle.total(), handle.digest()) == want and want[1] == 3
        assert first == want[0][: len(first)]
        assert handle.progress.workers == 0  # narrow: read here, not by workers
        asked = [sql for sql in ran if "MATCH" in sql and query.plan().index in sql]
        assert len(asked) == (1 if peek > 3 else 2), asked


@pytest.mark.parametrize("globs", [[], ["*.c"]])
def test_a_search_without_context_takes_the_answer_read_once(kit, tmp_path, monkeypatch, globs):
    """A literal search has no context expression: its pass asked the index whether it
    is broad, then again for the candidates with their content (one statement). With
    the content (no globs) the answer read once is used; with globs (rowids only)
    the statement stays. The hits are those of a pass that reads the index alone."""
    query = Query("only_here_a_long_name", include=globs)
    assert query.plan().context is None
    with Snapshot.open(_narrow_tree(kit, tmp_path, {5, 20, 39}), kit.trust) as s:
        want = _alone(s, query)
        ran = _as_on_a_large_tree(monkeypatch, 400)
        handle = search(s, query)
        assert (handle.page(0), handle.total(), handle.digest()) == want and want[1] == 3
        asked = [sql for sql in ran if "MATCH" in sql and query.plan().index in sql]
        assert len(asked) == (2 if globs else 1), asked


def _alone(s, query):
    """First page, total and digest of a search on a small tree: no workers, so the
    pass neither peeks at the index's answer nor is handed it."""
    alone = search(s, query)
    return alone.page(0), alone.total(), alone.digest()


def _as_on_a_large_tree(monkeypatch, peek):
    """Searches from now on use worker processes, as on a large tree, and trace their
    statements (returned, growing)."""
    from cleanroom.snapshot import scanworkers
    from cleanroom.snapshot import search as search_module

    monkeypatch.setattr(search_module, "PEEK", peek)
    monkeypatch.setattr(scanworkers, "MIN_BYTES", 0)
    return _traced(monkeypatch)


@pytest.mark.parametrize("name", ["x", "n" * 200, "é_name", "absent_name_zz", "xyz3"])
def test_boring_and_long_names_give_the_pass_of_a_small_tree(kit, tmp_path, monkeypatch, name):
    """One letter (no index), the longest name (one trigram over and over), a name
    that starts outside ASCII (no context expression), one that is nowhere, and one
    that is in a single file: on the large-tree path (a peek at the index's answer,
    handed to the candidates) the first page, count and digest are a small tree's."""
    src = tmp_path / "names"
    src.mkdir()
    for i in range(12):
        body = b'int xyz%d = x + %s;\nchar *s = "x\xc3\xa9_name";\n' % (i, b"n" * 200)
        (src / f"f{i:02}.c").write_bytes(body)
    out = tmp_path / "names.snapshot"
    create_snapshot(src, out, kit.vendor, name="names", version="1", created=1)
    query = references_query(name)
    with Snapshot.open(out, kit.trust) as s:
        want = _alone(s, query)
        _as_on_a_large_tree(monkeypatch, 400)
        handle = search(s, query)
        first = handle.first_page(0.0)
        assert (handle.page(0), handle.total(), handle.digest()) == want
        assert first == want[0][: len(first)]
        assert want[1] == {"x": 24, "absent_name_zz": 0, "xyz3": 1}.get(name, 12)  # x: xé_name too


def test_prepare_reads_the_files_in_path_order_before_the_first_search(kit, snapshot, monkeypatch):
    """The first page of references (and a pass on every core) walks the files in path
    order, read once per open snapshot: 65 ms of CPU on Linux that the first
    references search of a session paid. `prepare`, which the terminal runs while it
    starts, reads them; the first search then reads none."""
    from cleanroom.snapshot import firstpage, scanworkers
    from cleanroom.snapshot.search import prepare

    real = scanworkers.text_files
    built: list[int] = []

    def counted(snap, conn, files):
        if scanworkers._TEXT.get(snap) is None:
            built.append(1)
        return real(snap, conn, files)

    monkeypatch.setattr(scanworkers, "text_files", counted)
    monkeypatch.setattr(firstpage, "text_files", counted)
    monkeypatch.setattr("cleanroom.snapshot.search.text_files", counted)
    monkeypatch.setattr(firstpage, "on_every_core", lambda *a: True)  # a tree large enough
    with Snapshot.open(snapshot, kit.trust) as s:
        prepare(s)
        assert built == [1]
        handle = search(s, references_query("xy"))
        assert handle.first_page(0.0)
        assert built == [1]  # not again: prepare read them
        handle.close()
