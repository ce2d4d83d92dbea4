"""A report's entries are spilled to a private file, not held (ADR 0310).

`read_evidence` verifies each ledger by ranges (`verify_path` with a tap): the
processes that check the rows decode them as they check them and write the
entries to part files; the reading process gathers them into one unnamed file
and reads them back a chunk at a time, keeping at most `CACHE_RECORDS` decoded.
Before, every entry of every ledger was held until the report was written: at
700,000 entries, 781 MiB. Real ledgers, keys and verifier (tests/ledgerkit.py).
"""

from __future__ import annotations

import tempfile
import tracemalloc

import pytest

from cleanroom.forensics.spill import parts, sequence
from cleanroom.forensics.timeline import _decode, read_evidence, read_timeline
from cleanroom.ledger.load import load_path
from cleanroom.ledger.verify import PARALLEL_MIN_ROWS, verify_path
from cleanroom.session.events import FileOpen, View
from tests.ledgerkit import Kit

BLOB = "ab" * 32
ENTRIES = PARALLEL_MIN_ROWS + 500  # read by ranges, in forked workers when there are two


def _write(kit, root, n):
    ledger = kit.new_ledger(root)
    for i in range(n // 20):
        path = b"src/file%03d.c" % (i % 50)
        ledger.append(FileOpen(path, BLOB, 4000, 400, {}))
        for first in range(1, 20):
            ledger.append(View(path, BLOB, first, first + 39, 0, 100))
    ledger.seal(countersigner=kit.reviewer)
    ledger.close()
    return ledger.path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    kit = Kit("spill")
    big = _write(kit, tmp_path_factory.mktemp("big"), ENTRIES)
    small = _write(kit, tmp_path_factory.mktemp("small"), 60)  # read whole: part 0
    return kit, big, small


@pytest.fixture
def no_cache(monkeypatch):
    """No chunk is kept decoded: every pass reads the spill file again."""
    monkeypatch.setattr(sequence.BUDGET, "left", 0)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_entries_are_exactly_those_of_the_rows(site, workers, no_cache):
    kit, big, small = site
    for path in (big, small):
        expected, _ = _decode(load_path(path).rows, {})
        (t,) = read_evidence([path], kit.trust, workers=workers).timelines
        assert t.status.value == "INTACT" and t.undecodable == 0
        assert len(t.entries) == len(expected) and list(t.entries) == expected
        assert list(t.entries) == expected, "a second pass reads the same entries"
        assert t.entries[0] == expected[0] and t.entries[-1] == expected[-1]
        assert t.entries[1030:1040] == expected[1030:1040]  # across a chunk's end
        assert t.entries == read_timeline(path, kit.trust, workers=workers).entries


def test_the_reading_process_never_holds_every_entry(site, no_cache, monkeypatch):
    kit, big, _ = site
    # Chunks of 128 entries: what is held at once is a chunk, not the ledger.
    monkeypatch.setattr(parts, "CHUNK_RECORDS", 128)
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        verify_path(big, kit.trust, workers=1)  # what the verifier itself holds
        verifying = tracemalloc.get_traced_memory()[1] - start
        before = tracemalloc.get_traced_memory()[0]
        entries, _ = _decode(load_path(big).rows, {})
        entries_bytes = tracemalloc.get_traced_memory()[0] - before
        n = len(entries)
        del entries
        start = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        # One worker: the checks and the decoding run in this process, seen here.
        evidence = read_evidence([big], kit.trust, workers=1)
        count = sum(1 for _ in evidence.timelines[0].entries)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    assert count == n > PARALLEL_MIN_ROWS
    assert peak < verifying + entries_bytes // 4, (peak, verifying, entries_bytes)


def test_the_cache_is_bounded_and_given_back(site, monkeypatch):
    kit, big, _ = site
    monkeypatch.setattr(sequence.BUDGET, "left", 2048)  # two chunks
    (t,) = read_evidence([big], kit.trust).timelines
    assert sum(1 for _ in t.entries) == len(t.entries) > PARALLEL_MIN_ROWS
    assert 0 <= sequence.BUDGET.left < 2048
    del t
    assert sequence.BUDGET.left == 2048


def test_no_spill_file_is_left_behind(site, tmp_path, monkeypatch):
    kit, big, small = site
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    evidence = read_evidence([big, small], kit.trust, workers=2)
    assert [len(t.entries) for t in evidence.timelines] == [
        len(read_timeline(p, kit.trust).entries) for p in (big, small)
    ]
    assert list(tmp_path.iterdir()) == []
