"""A report analyses each part of a ledger while the verifier still checks the rest.

`cleanroom report` reads each ledger with `read_evidence(digest=Analyser)`: the
processes that check the rows spill them in parts (ADR 0310), and the reading
process, after each part it checks itself, gathers the finished parts that follow
those it has, in seq order, builds their entries and feeds them to the analyser
(ADR 0311). The analysis must be exactly `analyse` over the same entries (screen
intervals run across the parts' ends), it must be fed before the verification
ends, and a withheld ledger keeps neither it nor the entries built for it. Real
ledgers, keys, verifier and forked processes (tests/ledgerkit.py).
"""

from __future__ import annotations

import threading

import pytest

from cleanroom.forensics.report import Analyser, Analysis, analyse
from cleanroom.forensics.spill import parts, sequence
from cleanroom.forensics.timeline import read_evidence
from cleanroom.ledger.verdict import Status
from cleanroom.ledger.verify import PARALLEL_MIN_ROWS
from cleanroom.session.events import Active, FileOpen, Idle, Search, SearchResultsView, View
from tests.ledgerkit import Kit, forge

BLOB = "ab" * 32
ENTRIES = PARALLEL_MIN_ROWS + 700  # read by ranges: several parts, in two processes


def _write(kit, root):
    ledger = kit.new_ledger(root)
    n = 0
    while n < ENTRIES:
        path = b"src/file%03d.c" % (n % 37)
        ledger.append(FileOpen(path, BLOB, 4000, 400, {}))
        for first in range(1, 30):
            ledger.append(View(path, BLOB, first, first + 39, 0, 100))
        seq = ledger.append(Search("auth", False, False, [], [], 12, "00" * 32)).seq
        ledger.append(SearchResultsView(seq, 0, 11))
        ledger.append(Idle(300))
        ledger.append(Active(7))
        n += 34
    ledger.seal(countersigner=kit.reviewer)
    ledger.close()
    return ledger.path


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    kit = Kit("digest")
    return kit, _write(kit, tmp_path_factory.mktemp("big"))


@pytest.fixture
def small_parts(monkeypatch):
    """Chunks of 100 records: many chunks a part, as a large ledger has."""
    assert threading.active_count() == 1, "fork is refused beside other threads"
    monkeypatch.setattr(parts, "CHUNK_RECORDS", 100)


@pytest.mark.parametrize("workers", [1, 2])
def test_the_analysis_fed_part_by_part_is_that_of_all_entries(site, small_parts, workers):
    kit, big = site
    (t,) = read_evidence([big], kit.trust, workers=workers, digest=Analyser).timelines
    assert t.status is Status.INTACT and isinstance(t.analysis, Analysis)
    entries = list(t.entries)
    assert len(entries) >= ENTRIES
    whole = analyse(entries, t.undecodable)
    assert t.analysis.shown == whole.shown and len(whole.shown) > ENTRIES // 2
    assert dict(t.analysis.dwell_by_seq) == dict(whole.dwell_by_seq)
    assert t.analysis.rows == whole.rows and whole.rows
    assert t.analysis.stats == whole.stats and whole.stats["entries"] == len(entries)
    assert t.analysis.searches == whole.searches and t.analysis.opened == whole.opened


def test_parts_are_fed_before_the_verification_ends(site, small_parts, monkeypatch):
    kit, big = site
    fed = {"before": 0, "after": 0}
    ended = []
    gather = parts.Spill.gather

    def gathered(self, store):
        ended.append(True)  # verify_path has returned: every part is checked
        return gather(self, store)

    class Counting(Analyser):
        def feed(self, entries):
            entries = list(entries)
            fed["after" if ended else "before"] += len(entries)
            super().feed(entries)

    monkeypatch.setattr(parts.Spill, "gather", gathered)
    (t,) = read_evidence([big], kit.trust, workers=2, digest=Counting).timelines
    assert fed["before"] > 0, fed  # this process's own parts, at the least
    assert fed["before"] + fed["after"] == len(t.entries)


def test_a_withheld_ledger_keeps_no_analysis_nor_built_entries(site, tmp_path):
    kit, big = site
    bad = tmp_path / big.name
    bad.write_bytes(big.read_bytes())
    forge(bad, ENTRIES // 2, None, wall_us=1)  # its signature no longer holds
    left = sequence.BUDGET.left
    (t,) = read_evidence([bad], kit.trust, workers=2, digest=Analyser).timelines
    assert t.status is Status.TAMPERED and t.withheld
    assert t.analysis is None and len(t.entries) == 0
    assert sequence.BUDGET.left == left, "the entries built for it are given back"
