"""The search screen lists a first page cut by time (ADR 0116), says it is still
counting, and lists more rows, with the total, only once the whole result is
recorded. Real app (Pilot), real ledger, real snapshot; the page is made partial
by a budget of nothing, and the pass is held after it by a hook on the screen's
own callback, so what the screen shows meanwhile is looked at without a race."""

from __future__ import annotations

import re
import threading

from cleanroom.forensics.replay import check_search
from cleanroom.session import review
from cleanroom.session.events import Search, SearchStart
from cleanroom.snapshot.search import PAGE
from cleanroom.tui.results import ResultList
from cleanroom.tui.screens.search import SearchScreen
from tests.recorderproc import until
from tests.test_tui_search import SIZE, entries, rendered_rows
from tests.tuikit import make_app

ROW = re.compile(r"(\S+):(\d+): ")


def shown_places(screen):
    """(display path, 1-based line) of each result row drawn on the screen."""
    return [(m[1], int(m[2])) for r in rendered_rows(screen) if (m := ROW.search(r))]


async def test_a_partial_first_page_then_more_rows_only_once_recorded(kit, ledger_dir, monkeypatch):
    monkeypatch.setattr(review, "SEARCH_FIRST_PAGE", 0.0)  # as if the pass were slow
    held = threading.Event()
    real = SearchScreen._first_page

    def first_page_then_hold(self, found):  # in the search thread: the pass waits here
        real(self, found)
        held.wait(60)  # a bound on a test that would hang, not a timing

    monkeypatch.setattr(SearchScreen, "_first_page", first_page_then_hold)
    app, _ = make_app(kit, ledger_dir)
    try:
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter", "s")
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SearchScreen)
            await pilot.press(*"value_42", "enter")
            await until(pilot, lambda: screen.found is not None and shown_places(screen))
            page = screen.found
            assert not page.done and 1 <= page.kept < PAGE  # 111 hits; cut by time
            assert "counting the rest" in str(screen.query_one("#state").render())
            results = screen.query_one(ResultList)
            assert results.option_count == page.kept
            assert screen._rows_gate(page.kept, page.kept) is None  # not recorded: not shown
            early = entries(app)
            early_places = shown_places(screen)
            held.set()
            await until(pilot, lambda: screen.found is not None and screen.found.done)
            await pilot.pause()
            whole = screen.found
            assert whole.total == 111 and results.option_count == 111
            source = app.session.source
    finally:
        held.set()
    kinds = [e.kind for e in early]
    assert "search_start" in kinds and "search" not in kinds
    start = early[kinds.index("search_start")]
    assert start.payload["rows"] == page.kept and start.seq == page.seq
    views = [e.payload for e in early if e.kind == "search_results_view"]
    assert views and all(v["search_seq"] == start.seq and v["last"] < page.kept for v in views)
    # Replay runs the first page again: the rows the screen drew are its rows.
    check = check_search(start.seq, SearchStart(**start.payload), source)
    assert check.ok
    replayed = [(h.display, h.line + 1) for h in check.hits[views[-1]["first"] :]]
    assert early_places == replayed[: len(early_places)]
    # Every row past the page was listed only after the whole result was recorded.
    got = entries(app)
    end = next(e for e in got if e.kind == "search")
    assert end.payload["hits"] == 111 and check_search(end.seq, Search(**end.payload), source).ok
    for e in got:
        if e.kind == "search_results_view" and e.payload["last"] >= page.kept:
            assert e.payload["search_seq"] == end.seq and e.seq > end.seq
