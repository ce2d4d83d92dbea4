"""Every search lists what it found within its time budget (ADR 0116), not only
references (ADR 0215): a regex whose few hits are spread over the tree (the UUID
shape) found its 100th hit after 1.9-3.6 s on Linux. The page is recorded first
(`search_start`, with its own row count and digest), the terminal may ask for
those rows only, and the rest, with the total, only once `search` is recorded.
Partiality is forced with a budget of nothing, never with wall time."""

from __future__ import annotations

import pytest

from cleanroom.forensics.replay import check_search
from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.verify import verify_path
from cleanroom.session import review
from cleanroom.session.events import Search, SearchStart
from cleanroom.session.local_service import LocalService
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot import firstpage, scanworkers
from cleanroom.snapshot.create import create_snapshot
from cleanroom.snapshot.search import PAGE, Query, search
from cleanroom.snapshot.store import Snapshot
from tests.ledgerkit import read_rows

UUID = Query(r"[0-9a-f]{32}", regex=True)
# 60 files of code, each with one 32-hex-digit constant in its middle, so the hits
# are spread over the tree and the first page is far from full when its time is up.
FILES = {
    f"src/d{i // 10}/f{i:02}.c": b"".join(b"int pad_%d = %d;\n" % (j, j) for j in range(40))
    + b'const char *id = "%032x";\n' % (i * 7919)
    + b"".join(b"int more_%d;\n" % j for j in range(40))
    for i in range(60)
}
LITERAL = Query("pad_1")  # pad_1, pad_10..19 in every file: 660 hits, dense


@pytest.fixture
def snapshot(kit, tmp_path):
    src = tmp_path / "spread"
    for rel, data in FILES.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    out = tmp_path / "spread.snapshot"
    create_snapshot(src, out, kit.vendor, name="spread", version="1", created=1)
    return out


def as_on_a_large_tree(monkeypatch):
    """Worker processes and a first page read here first, as on Linux."""
    monkeypatch.setattr(scanworkers, "MIN_BYTES", 0)
    monkeypatch.setattr(scanworkers, "FIRST_BYTES", 1)
    monkeypatch.setattr(scanworkers, "CHUNK_BYTES", 512)


def entries(path):
    return [decode_body(b) for _, b, _ in read_rows(path)]


def session(kit, tmp_path, snapshot):
    source = SnapshotSource.from_file(snapshot, kit.trust)
    (tmp_path / "ledgers").mkdir(parents=True)
    ledger = kit.new_ledger(tmp_path / "ledgers")
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "spread 1", str(ledger.path))
    return ledger, LocalService(ReviewSession(Recorder(ledger), source, facts))


@pytest.mark.parametrize("large", [False, True], ids=["one-process", "workers"])
@pytest.mark.parametrize("query", [UUID, LITERAL], ids=["spread-regex", "literal"])
def test_a_partial_first_page_is_recorded_before_shown_and_no_row_past_it(
    kit, tmp_path, snapshot, monkeypatch, large, query
):
    monkeypatch.setattr(review, "SEARCH_FIRST_PAGE", 0.0)  # as if the pass were slow
    if large:
        as_on_a_large_tree(monkeypatch)
    ledger, service = session(kit, tmp_path, snapshot)
    seen: list[tuple] = []

    def first(results):  # in the search thread, the pass held until this returns
        kinds = [e.kind for e in entries(ledger.path)]
        inside = service.rows(results, 0, results.kept - 1)
        beyond = service.rows(results, results.kept, results.kept)
        seen.append((results, kinds, inside, beyond))

    whole = service.search(query, None, first)
    ((page, kinds, inside, beyond),) = seen
    assert kinds[-1] == "search_start" and "search" not in kinds  # recorded, then shown
    assert not page.done and 1 <= page.kept < PAGE and page.kept < whole.total
    assert inside is not None and len(inside) == page.kept
    assert beyond is None  # no row past the page before the whole result is recorded
    assert whole.done and service.rows(whole, page.kept, page.kept) is not None
    ledger.seal()
    got = entries(ledger.path)
    start = next(e for e in got if e.kind == "search_start")
    end = next(e for e in got if e.kind == "search")
    views = [(e.seq, e.payload) for e in got if e.kind == "search_results_view"]
    assert start.seq < end.seq and start.payload["rows"] == page.kept
    assert views[0][1] == {"search_seq": start.seq, "first": 0, "last": page.kept - 1}
    assert views[1][0] > end.seq and views[1][1]["search_seq"] == end.seq
    # The page is the first hits of the whole pass; replay checks both entries.
    with Snapshot.open(snapshot, kit.trust) as s:
        fresh = search(s, query)
        assert [(h.path, h.line) for h in inside] == [
            (h.path, h.line) for h in fresh.page(0)[: page.kept]
        ]
        assert (end.payload["hits"], end.payload["digest"]) == (fresh.total(), fresh.digest())
    source = SnapshotSource.from_file(snapshot, kit.trust)
    assert check_search(start.seq, SearchStart(**start.payload), source).ok
    assert check_search(end.seq, Search(**end.payload), source).ok
    assert verify_path(ledger.path, kit.trust).status == "INTACT"


def test_the_spread_regex_fills_no_page_by_its_time(kit, snapshot, monkeypatch):
    """The tree is what the test above needs: the first page of the UUID shape, read
    here while the workers would start, is cut by the budget, not by PAGE."""
    as_on_a_large_tree(monkeypatch)
    with Snapshot.open(snapshot, kit.trust) as s:
        handle = search(s, UUID)
        first = handle.first_page(0.0)
        assert 1 <= len(first) < PAGE and handle.total() == len(FILES)
        assert first == search(s, UUID).page(0)[: len(first)]


def test_a_first_file_with_many_hits_gives_its_page_without_reading_on(kit, tmp_path, monkeypatch):
    """The first page used to make every hit of each file it read whole: `e` in a
    first file with a million hits made a million Hits before the page. It stops at
    the page now, in the middle of the file, and those are the pass's first hits."""
    src = tmp_path / "dense"
    src.mkdir()
    (src / "a.txt").write_bytes(b"e\n" * 15_000)  # 15,000 hits (lines), one file
    (src / "b.txt").write_bytes(b"e\n")
    out = tmp_path / "dense.snapshot"
    create_snapshot(src, out, kit.vendor, name="dense", version="1", created=1)
    as_on_a_large_tree(monkeypatch)
    made: list[int] = []
    real = firstpage.file_hits

    def counted(*args):  # the real reader; how many hits it made
        for batch in real(*args):
            made.append(len(batch))
            yield batch

    monkeypatch.setattr(firstpage, "file_hits", counted)
    with Snapshot.open(out, kit.trust) as s:
        for size, seconds in ((PAGE, 60.0), (PAGE, 0.0)):
            made.clear()
            handle = search(s, Query("e"))
            first = handle.first_page(seconds, size)
            assert 1 <= len(first) <= PAGE and sum(made) < 2 * PAGE, sum(made)
            assert first == search(s, Query("e")).page(0)[: len(first)]
            assert all(h.text is not None for h in first)  # whole hits, as shown
            assert handle.total() == 15_001
