"""Replay and the report over following code (issue 15): every outline,
definitions list and symbol quick open recorded through the real app is derived
again from the signed index and drawn as listed; an entry that names other rows
is a mismatch; references are searches, re-run as searches; the report counts
each kind and the rows they listed."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from cleanroom.forensics.describe import describe
from cleanroom.forensics.replay import Replay
from cleanroom.forensics.report import analyse
from cleanroom.forensics.symbol_check import check_symbol
from cleanroom.forensics.timeline import read_timeline
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.symbols import SessionSymbols
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.replay.stage import stage_of
from tests.ledgerkit import Kit
from tests.symbolnavkit import symbols_source
from tests.tuikit import sample_source


async def _record(kit: Kit, workdir):
    source = symbols_source(kit, workdir)
    ledgers = workdir / "ledgers"
    ledgers.mkdir(exist_ok=True)
    ledger = kit.new_ledger(ledgers, snapshot=source.ref)
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "symbols 1.0", str(ledger.path))
    app = ReviewApp(ReviewSession(Recorder(ledger), source, facts), countersigner=kit.reviewer)
    async with app.run_test(size=(110, 32)) as pilot:
        await pilot.press("enter")
        await pilot.press("ctrl+p", *"c/list.c", "enter")
        await pilot.pause(0.3)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("escape", "d", *"twice", "enter")
        await pilot.pause()
        await pilot.press("enter")  # the first of two
        await pilot.pause(0.3)
        await pilot.press("r", "enter")
        for _ in range(100):
            await pilot.pause(0.05)
            found = getattr(app.screen, "found", None)
            if found is not None and found.done:
                break
        await pilot.press("escape", "ctrl+t", *"Wid")
        for _ in range(100):
            await pilot.pause(0.05)
            if getattr(app.screen, "shown_for", None) == "Wid":
                break
        await pilot.press("escape", "q", "y")
        await pilot.pause()
    return ledger.path, source


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return asyncio.run(_record(Kit(), tmp_path_factory.mktemp("replay-symbols")))


def test_every_symbol_list_is_derived_again_and_agrees(recorded):
    path, source = recorded
    replay = Replay(read_timeline(path, Kit().trust), source)
    replay.check_searches()
    replay.check_symbols()
    kinds = [c.recorded.kind for c in replay.symbols.values()]
    assert kinds[:2] == ["symbol_outline", "symbol_definitions"]
    assert set(kinds[2:]) == {"symbol_quick_open"}  # one per query typed: W, Wi, Wid
    assert all(c.ok for c in replay.symbols.values()), replay.symbols
    refs = [c for c in replay.searches.values() if c.recorded.query == r"\btwice\b"]
    assert refs and all(c.ok for c in refs) and refs[-1].total == 3
    for seq, check in replay.symbols.items():
        stage = stage_of(replay, replay.index_of_seq(seq))
        assert stage.kind == "names" and not stage.alarm
        drawn = [str(r) for r in stage.rows]
        if check.recorded.kind == "symbol_quick_open":
            assert drawn == check.recorded.names and (check.recorded.query != "Wid"
                                                      or drawn == ["Widget"])  # fmt: skip
        elif check.recorded.kind == "symbol_definitions":
            assert [d.split()[0] for d in drawn] == ["c/one.c:1", "c/two.c:1"]
        else:
            assert any("list_push" in d for d in drawn)
    said = [describe(s.entry) for s in replay.steps]
    assert any(x.startswith("found references of “twice”: 3 hits") for x in said)
    assert any(x.startswith("outline of c/list.c") for x in said)


def test_an_entry_naming_other_rows_is_a_mismatch(recorded):
    path, source = recorded
    replay = Replay(read_timeline(path, Kit().trust), source)
    symbols = SessionSymbols(source)
    for i in replay.symbol_indexes:
        entry = replay.steps[i].entry
        ev = entry.event
        if ev.kind == "symbol_quick_open":
            forged = dataclasses.replace(ev, names=["Widget", "Hidden"])
        elif ev.kind == "symbol_outline":
            forged = dataclasses.replace(ev, listed=ev.listed - 1)  # claims fewer were shown
        else:
            forged = dataclasses.replace(ev, digest="00" * 32)
        assert check_symbol(entry.seq, ev, symbols).ok
        bad = check_symbol(entry.seq, forged, symbols)
        assert not bad.ok and bad.now, forged
        replay.symbols[entry.seq] = bad
        stage = stage_of(replay, i)
        assert stage.alarm and "MISMATCH" in stage.message and not stage.rows


def test_without_the_index_the_lists_cannot_be_derived(recorded, kit, tmp_path):
    path, _ = recorded
    plain = sample_source(kit, tmp_path)  # a snapshot without an index
    replay = Replay(read_timeline(path, Kit().trust), plain)
    replay.check_symbols()
    assert replay.symbols and all(not c.ok for c in replay.symbols.values())
    assert all("no symbol index" in (c.error or "") for c in replay.symbols.values())


def test_the_report_counts_what_following_code_showed(recorded):
    path, _ = recorded
    timeline = read_timeline(path, Kit().trust)
    stats = analyse(timeline.entries, timeline.undecodable).stats
    quick = [e.event for e in timeline.entries if e.kind == "symbol_quick_open"]
    assert (stats["outlines"], stats["definitions"]) == (1, 1)
    assert stats["symbol_quick_opens"] == len(quick) >= 1
    assert stats["references"] == 1 and stats["searches"] == 1
    outline = next(e for e in timeline.entries if e.kind == "symbol_outline")
    listed = outline.event.listed + 2 + sum(len(q.names) for q in quick)
    assert stats["symbols_listed"] == listed


def test_symbol_entries_out_of_their_ranges_do_not_fit_their_kind():
    from cleanroom.forensics.timeline import typed_event

    good = {"name": "x", "places": 2, "listed": 2, "digest": "ab" * 32}
    assert typed_event("symbol_definitions", good) == (typed_event("symbol_definitions",
                                                                   good)[0], None)  # fmt: skip
    for bad in ({**good, "listed": 3}, {**good, "listed": -1}, {**good, "digest": "\x1b[2J"}):
        event, why = typed_event("symbol_definitions", bad)
        assert event is None and why, bad
    outline = {"path": "a.c", "blob": "cd" * 32, "symbols": 9000, "listed": 5001,
               "digest": "ab" * 32}  # fmt: skip
    assert typed_event("symbol_outline", outline)[0] is None
    assert typed_event("symbol_outline", {**outline, "listed": 5000})[1] is None
    assert typed_event("symbol_outline", {**outline, "listed": 1, "blob": "x"})[0] is None
    names = {"query": "a", "names": ["a"] * 51}
    assert typed_event("symbol_quick_open", names)[0] is None
    assert typed_event("symbol_quick_open", {**names, "names": ["a"]})[1] is None
