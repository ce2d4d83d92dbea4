"""Ordinary keys that crashed the terminal (issue 12): Enter twice on a search
result (ScreenStackError: the second dismiss popped the main screen), and Escape
while a search finishes (NoMatches '#state': the worker wrote to a closed
screen). A screen closes once, and only from the top of the stack: a stale
dismiss must never pop what is above it, such as a lock."""

import threading

from textual import events

from cleanroom.tui.results import ResultList
from cleanroom.tui.screens.idle import IdleScreen
from cleanroom.tui.screens.search import SearchScreen
from tests.test_tui_search import SIZE, entries, run_search
from tests.tuikit import make_app


async def test_enter_twice_on_a_search_result_opens_it_once(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await run_search(pilot, "value_42")
        await pilot.pause()
        assert app.screen.query_one(ResultList).has_focus
        for _ in range(3):  # queued before the first is handled, as fast typing does
            app.post_message(events.Key("enter", "\r"))
        await pilot.pause()
        await pilot.pause()
        assert app.is_running and not isinstance(app.screen, SearchScreen)
        assert app.opened is not None and app.opened.path == b"src/long.py"
    assert [e.kind for e in entries(app)].count("file_open") == 1


async def test_escape_while_a_search_finishes(kit, ledger_dir, monkeypatch):
    app, _ = make_app(kit, ledger_dir)
    release, started = threading.Event(), threading.Event()
    real = app.session.run_search  # the pass: the service records after it

    def slow(query, handles=None, first=None):
        started.set()
        release.wait(10)
        return real(query, handles, first)

    monkeypatch.setattr(app.session, "run_search", slow)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "s", *"value_42", "enter")
        for _ in range(100):
            await pilot.pause(0.02)
            if started.is_set():
                break
        screen = app.screen
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SearchScreen)
        release.set()  # the search ends after its screen closed
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.pause()
        assert app.is_running
        assert screen.found is None  # nothing shown on a closed screen
        screen._state("Search stopped")  # a late worker callback: a no-op now
    assert "search" in [e.kind for e in entries(app)]  # recorded, never listed


async def test_a_stale_dismiss_does_not_pop_the_lock_above(kit, ledger_dir):
    # The lock is raised by hand below: an idle timer of 1 s raised it by itself
    # whenever the search took longer than that (a loaded machine), failing the test.
    app, _ = make_app(kit, ledger_dir, idle_seconds=3600)
    async with app.run_test(size=SIZE) as pilot:
        await run_search(pilot, "value_42")
        search = app.screen
        assert isinstance(search, SearchScreen)
        app._lock_idle()
        await pilot.pause()
        assert isinstance(app.screen, IdleScreen)
        search.dismiss(None)  # e.g. an Enter queued before the lock came up
        await pilot.pause()
        assert isinstance(app.screen, IdleScreen)
        assert [type(s) for s in app.screen_stack][-2:] == [SearchScreen, IdleScreen]
