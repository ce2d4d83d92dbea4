"""A report never holds a ledger's rows and their entries all at once (ADR 0307).

`read_timeline` loads the rows and decodes the very rows the verifier judges.
It kept every row until it returned, beside every entry decoded from them: at
200,000 entries the report peaked at 373 MiB. Now each row is dropped as soon
as it is decoded, once the verifier reads no more of them (after its checks in
this process; at once when forked workers check their own copy).
"""

from __future__ import annotations

import tracemalloc

import pytest

from cleanroom.forensics.timeline import _decode, read_timeline
from cleanroom.ledger.load import load_path
from cleanroom.ledger.verify import PARALLEL_MIN_ROWS
from cleanroom.session.events import FileOpen, View
from tests.ledgerkit import Kit

BLOB = "ab" * 32
ENTRIES = PARALLEL_MIN_ROWS + 500  # enough for the verifier's forked workers


@pytest.fixture(scope="module")
def ledger(tmp_path_factory):
    kit = Kit("timeline-memory")
    ledger = kit.new_ledger(tmp_path_factory.mktemp("timeline-memory"))
    for i in range(ENTRIES // 20):
        path = b"src/file%03d.c" % (i % 50)
        ledger.append(FileOpen(path, BLOB, 4000, 400, {}))
        for first in range(1, 20):
            ledger.append(View(path, BLOB, first, first + 39, 0, 100))
    ledger.seal(countersigner=kit.reviewer)
    ledger.close()
    return kit, ledger.path


def _held(make):
    """Bytes `make()`'s result holds (tracemalloc), with the result."""
    before = tracemalloc.get_traced_memory()[0]
    value = make()
    return tracemalloc.get_traced_memory()[0] - before, value


@pytest.mark.parametrize("workers", [1, 2])
def test_rows_and_entries_are_never_all_held_at_once(ledger, workers):
    kit, path = ledger
    tracemalloc.start()
    try:
        rows_bytes, rows = _held(lambda: load_path(path).rows)
        entries_bytes, (entries, _) = _held(lambda: _decode(rows, {}))
        assert len(entries) == len(rows) > PARALLEL_MIN_ROWS
        rows = entries = []
        start = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        timeline = read_timeline(path, kit.trust, workers=workers)
        peak = tracemalloc.get_traced_memory()[1] - start
    finally:
        tracemalloc.stop()
    assert timeline.status.value == "INTACT" and len(timeline.entries) > PARALLEL_MIN_ROWS
    # Both at once would be rows + entries; the rows are let go as they are decoded.
    assert peak < entries_bytes + rows_bytes // 2, (peak, rows_bytes, entries_bytes)


def test_the_entries_are_those_of_the_rows(ledger):
    kit, path = ledger
    expected, _ = _decode(load_path(path).rows, {})
    for workers in (1, 2):
        assert read_timeline(path, kit.trust, workers=workers).entries == expected


def test_the_values_every_entry_repeats_are_held_once(ledger):
    """Kinds, boot ids and payload keys were fresh objects in every entry: about
    14 % of an entry's memory (2.1 of 15 MB at 20,000 entries)."""
    kit, path = ledger
    entries = read_timeline(path, kit.trust, workers=1).entries
    assert len({id(e.kind) for e in entries}) == len({e.kind for e in entries})
    assert len({id(e.boot) for e in entries}) == len({e.boot for e in entries})
    keys = [k for e in entries for k in e.payload]
    assert len({id(k) for k in keys}) == len(set(keys))
