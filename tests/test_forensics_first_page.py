"""A `search_start` (the first page of a search, listed before its count was
known: docs/events.md) is checked and mapped like a search: who-viewed counts
the lines its rows showed, replay checks its rows' count and digest against the
search run again, and a first page that does not match the snapshot is
unmapped or DIFFERS, never silently believed."""

# ruff: noqa: F811 (`site` is the imported fixture)

from __future__ import annotations

import pytest

from cleanroom.forensics.replay import check_search
from cleanroom.forensics.timeline import typed_event
from cleanroom.ledger.events import SnapshotRef
from cleanroom.session.events import SearchCancel, SearchResultsView, SearchStart
from cleanroom.session.first_page import first_digest
from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.snapshot.search import Query, search
from cleanroom.snapshot.store import Snapshot
from tests.test_forensics_whoviewed_nobody import as_json, hand_ledger, site, who  # noqa: F401

QUERY = Query("value_4")  # 1,111 hits in src/long.py: a first page well before the end


def first_page(site, rows=100):
    """(snapshot ref, the first `rows` hits of QUERY, their digest)."""
    with Snapshot.open(site["v1"], site["kit"].trust) as s:
        ref = SnapshotRef(s.id, s.manifest.root)
        hits = search(s, QUERY).page(0)[:rows]
    return ref, hits, first_digest(QUERY.to_json(), hits)


def start_event(rows, digest):
    q = QUERY.to_json()
    return SearchStart(q["text"], q["regex"], q["case"], [], [], rows, digest)


def cancel_event():
    q = QUERY.to_json()
    return SearchCancel(q["text"], q["regex"], q["case"], [], [], "reviewer")


def test_rows_of_a_first_page_count_as_seen(site, tmp_path):
    ref, hits, digest = first_page(site)
    events = [start_event(100, digest), SearchResultsView(1, 3, 5), cancel_event()]
    ledger = hand_ledger(site["kit"], tmp_path / "l", ref, events)
    doc = as_json(who(site, "src/long.py", "--json", ledgers=ledger))
    (seen,) = doc["sightings"]
    assert seen["via"] == "search_results"
    shown = sorted(h.line + 1 for h in hits[3:6])
    assert [n for a, b in seen["ranges"] for n in range(a, b + 1)] == shown
    text = who(site, "src/long.py", "--search", "value_4", ledgers=ledger).stdout
    assert "search_start “value_4” (100 rows listed first)" in text


def test_a_first_page_that_differs_on_the_snapshot_is_unmapped(site, tmp_path):
    ref, _, digest = first_page(site, rows=99)  # the digest of 99 rows, recorded as 100
    events = [start_event(100, digest), SearchResultsView(1, 0, 5)]
    ledger = hand_ledger(site["kit"], tmp_path / "l", ref, events)
    doc = as_json(who(site, "src/long.py:43", "--json", ledgers=ledger))
    assert doc["sightings"] == [] and doc["nobody"] is False
    (u,) = doc["unmapped_results"]
    assert "other results" in u["why"]


def test_replay_checks_a_first_page_by_its_rows(site):
    _, hits, digest = first_page(site)
    source = SnapshotSource.from_file(site["v1"], site["kit"].trust)
    good = check_search(1, start_event(100, digest), source)
    assert good.ok and good.total == 100 and [h.line for h in good.hits] == [h.line for h in hits]
    assert not check_search(1, start_event(100, "00" * 32), source).ok
    assert not check_search(1, start_event(101, digest), source).ok


def test_rows_of_a_first_page_cut_by_time_count_as_seen(site, tmp_path):
    """A first page is the hits found within its time (ADR 0116): 7 rows here, not
    100. Who-viewed counts the lines of the rows shown, and a view past the page's
    rows (which the terminal cannot ask for) is not believed."""
    ref, hits, digest = first_page(site, rows=7)
    events = [start_event(7, digest), SearchResultsView(1, 2, 6), cancel_event()]
    ledger = hand_ledger(site["kit"], tmp_path / "l", ref, events)
    doc = as_json(who(site, "src/long.py", "--json", ledgers=ledger))
    (seen,) = doc["sightings"]
    shown = sorted(h.line + 1 for h in hits[2:7])
    assert [n for a, b in seen["ranges"] for n in range(a, b + 1)] == shown
    past = [start_event(7, digest), SearchResultsView(1, 5, 9)]
    ledger = hand_ledger(site["kit"], tmp_path / "past", ref, past)
    doc = as_json(who(site, "src/long.py", "--json", ledgers=ledger))
    (seen,) = doc["sightings"]  # rows 5 and 6 of the page, never 7..9 of the search
    assert [n for a, b in seen["ranges"] for n in range(a, b + 1)] == sorted(
        h.line + 1 for h in hits[5:7]
    )


@pytest.mark.parametrize("rows", [-1, 0, 101, 10**9])
def test_a_first_page_of_rows_no_terminal_lists_does_not_fit(site, tmp_path, rows):
    """1 to 100 rows: a `search_start` outside that is not a genuine workstation's.
    With a digest that matches (of all but the last row, for -1), who-viewed used
    to map its row views by it; now the entry does not fit and maps nothing."""
    ref, hits, _ = first_page(site)
    digest = first_digest(QUERY.to_json(), hits[:rows])
    payload = {**start_event(rows, digest).__dict__}
    assert typed_event("search_start", payload)[0] is None
    assert typed_event("search_start", {**payload, "rows": 100, "digest": "ab" * 32})[1] is None
    ledger = hand_ledger(site["kit"], tmp_path / "l", ref,
                         [start_event(rows, digest), SearchResultsView(1, 0, 50)])  # fmt: skip
    doc = as_json(who(site, "src/long.py", "--json", ledgers=ledger))
    assert doc["sightings"] == []
