"""Replay over an outline's later pages (ADR 0127): each page recorded through the
real app is derived again from the signed index at its offset and drawn as listed;
a page that claims another offset is a mismatch; the report counts each page."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from cleanroom.forensics.describe import describe
from cleanroom.forensics.replay import Replay
from cleanroom.forensics.report import analyse
from cleanroom.forensics.symbol_check import check_symbol
from cleanroom.forensics.timeline import read_timeline, typed_event
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from cleanroom.session.symbols import OUTLINE_LIMIT, SessionSymbols
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.replay.stage import stage_of
from cleanroom.tui.screens.symbols import SymbolListScreen
from tests.ledgerkit import Kit
from tests.symbolnavkit import many_defines_source

DEFINES = OUTLINE_LIMIT + 30


async def _record(kit: Kit, workdir):
    source = many_defines_source(kit, workdir, DEFINES)
    ledgers = workdir / "ledgers"
    ledgers.mkdir()
    ledger = kit.new_ledger(ledgers, snapshot=source.ref)
    facts = Facts("Ada Reviewer", "Agency", "ws-01", "many 1", str(ledger.path))
    app = ReviewApp(ReviewSession(Recorder(ledger), source, facts), countersigner=kit.reviewer)
    async with app.run_test(size=(110, 32)) as pilot:

        async def listed(other=None):
            for _ in range(200):
                if isinstance(app.screen, SymbolListScreen) and app.screen is not other:
                    return app.screen
                await pilot.pause(0.05)
            raise AssertionError("no outline listed")

        await pilot.press("enter")
        await pilot.press("ctrl+p", *"many.h", "enter")
        await pilot.pause(0.3)
        await pilot.press("o")
        first = await listed()
        await pilot.press("right_square_bracket")
        second = await listed(first)
        await pilot.press("left_square_bracket")
        await listed(second)
        await pilot.press("escape", "q", "y")
        await pilot.pause()
    return ledger.path, source


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    return asyncio.run(_record(Kit(), tmp_path_factory.mktemp("replay-outline-pages")))


def test_each_page_is_derived_again_at_its_offset_and_drawn(recorded):
    path, source = recorded
    replay = Replay(read_timeline(path, Kit().trust), source)
    replay.check_symbols()
    checks = list(replay.symbols.values())
    assert [c.recorded.offset for c in checks] == [0, OUTLINE_LIMIT, 0]
    assert all(c.ok for c in checks), checks
    second = checks[1]
    assert second.recorded.listed == len(second.rows) == DEFINES - OUTLINE_LIMIT
    stage = stage_of(replay, replay.index_of_seq(second.seq))
    assert stage.kind == "names" and not stage.alarm
    assert "M_02000" in str(stage.rows[0]) and "M_02029" in str(stage.rows[-1])
    said = [describe(s.entry) for s in replay.steps if s.entry.kind == "symbol_outline"]
    whole = f"outline of many.h: 2,000 definitions listed of {DEFINES:,}"
    later = f"outline of many.h: 30 definitions listed after the first 2,000 of {DEFINES:,}"
    assert said == [whole, later, whole]


def test_a_page_claiming_another_offset_is_a_mismatch(recorded):
    path, source = recorded
    replay = Replay(read_timeline(path, Kit().trust), source)
    symbols = SessionSymbols(source)
    for i in replay.symbol_indexes:
        entry = replay.steps[i].entry
        ev = entry.event
        # The same count and listed, another page: only the rows' digest tells.
        forged = dataclasses.replace(ev, offset=ev.offset + 1)
        assert check_symbol(entry.seq, ev, symbols).ok
        bad = check_symbol(entry.seq, forged, symbols)
        assert not bad.ok and bad.now, forged
        replay.symbols[entry.seq] = bad
        stage = stage_of(replay, i)
        assert stage.alarm and "MISMATCH" in stage.message and not stage.rows


def test_the_report_counts_every_page(recorded):
    path, _ = recorded
    timeline = read_timeline(path, Kit().trust)
    stats = analyse(timeline.entries, timeline.undecodable).stats
    assert stats["outlines"] == 3
    assert stats["symbols_listed"] == OUTLINE_LIMIT * 2 + DEFINES - OUTLINE_LIMIT


def test_an_offset_outside_the_outline_does_not_fit():
    page = {"path": "a.h", "blob": "cd" * 32, "symbols": 2030, "listed": 30,
            "digest": "ab" * 32, "offset": 2000}  # fmt: skip
    event, why = typed_event("symbol_outline", page)
    assert why is None and event.offset == 2000
    assert typed_event("symbol_outline", {**page, "offset": 0, "listed": 0})[1] is None
    outside = (
        {**page, "offset": -1},
        {**page, "offset": 2030, "listed": 0},
        {**page, "listed": 31},
    )
    for bad in (*outside, {**page, "offset": True}, {**page, "offset": "1"}):
        event, why = typed_event("symbol_outline", bad)
        assert event is None and why, bad
    first = {k: v for k, v in page.items() if k != "offset"}
    assert typed_event("symbol_outline", {**first, "listed": 30})[0].offset == 0
