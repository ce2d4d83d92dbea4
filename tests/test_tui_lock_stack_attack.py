"""Attacking stacked guard locks as an outsider would (ADR 0220): alerts keep
coming while every bound key, Escape, mouse clicks and terminal resizes are
thrown at the lock. Nothing behind it may change, open, search or be recorded
as seen; the one lock lists every alert; one Enter (once all are drawn) lifts
it with one `unlock` naming them all; and the first view recorded after it is
the viewport really on screen (what replay shows). The real guard's queue, a
real ledger, the real app driven by Pilot."""

from __future__ import annotations

import random

from cleanroom.guard.policy import Category
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.screens.lock import AlertLockScreen
from cleanroom.tui.screens.locking import LockScreen
from tests.test_tui_guard import wait_for
from tests.test_tui_lock_stack_neighbours import SIZE, alert, begin, entries, first_lock, text
from tests.test_tui_locks import every_bound_key
from tests.tuikit import lock_drawn

ALERTS = 8  # more than the screen writes out (6): the earlier ones are counted
SIZES = [(80, 24), (60, 12), (140, 45), (100, 30)]


async def test_keys_mouse_and_resizes_while_alerts_stack_get_past_nothing(kit, ledger_dir):
    from tests.test_tui_guard import guarded_app

    rng = random.Random(12)
    keys = [k for k in every_bound_key() if k != "enter"]
    app, _, ledger = guarded_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await begin(pilot)
        await pilot.press("pagedown")
        await pilot.pause()
        lock = await first_lock(pilot)
        before = len(entries(ledger))
        for n in range(1, ALERTS):
            alert(app, Category.KEYS_ACCESS, f"keys /k{n}")  # a new subject: not coalesced
            for key in rng.sample(keys, 12):
                await pilot.press(key)
            await pilot.click(offset=(rng.randrange(60), rng.randrange(20)))
            await pilot.resize_terminal(*SIZES[n % len(SIZES)])
            await pilot.pause()
            assert app.screen is lock, f"got past the lock: {app.screen!r}"
        assert await wait_for(pilot, lambda: lock_drawn(app) and len(lock.alerts) == ALERTS, 10)
        said = text(lock)
        assert (
            f"{ALERTS} alerts" in said
            and "and 2 earlier (snapshot_access x1, keys_access x1)" in said
        ), said
        assert sum(isinstance(s, AlertLockScreen) for s in app.screen_stack) == 1
        during = {b.kind for b in entries(ledger)[before:]}
        assert during <= {"alert", "blocked"}, during  # nothing shown, nothing opened
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: not isinstance(app.screen, LockScreen))
        await pilot.pause(0.3)
        on_screen = app.query_one(CodeView).viewport()
        app.session.guard.stop()
    bodies = entries(ledger)
    unlocks = [b for b in bodies if b.kind == "unlock"]
    locks = [b.seq for b in bodies if b.kind == "alert" and b.payload["response"] == "lock"]
    assert len(locks) == ALERTS and len(unlocks) == 1, [b.kind for b in bodies]
    assert unlocks[0].payload["alerts"] == locks
    views = [b.payload for b in bodies if b.kind == "view" and b.seq > unlocks[0].seq]
    assert views, "nothing recorded after the unlock"
    last = views[-1]
    assert on_screen is not None
    got = (last["first"], last["last"], last["col"], last["cols"])
    assert got == (on_screen.first, on_screen.last, on_screen.col, on_screen.cols), got
