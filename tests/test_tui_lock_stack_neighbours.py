"""The neighbours of stacked guard locks (ADR 0220), in-process: the real guard
(its queue, as tests/test_tui_locks.py raises alerts), a real ledger, the real
app driven by Pilot.

- An Enter that comes while a lock alert is raised but not yet handed to the
  screen, or handed but not yet drawn, lifts nothing: the lock stays, saying so.
- Two alerts in one look at the guard: one screen, both listed, one unlock.
- A guard lock over the idle lock, with a second alert over both.
- An alert that ends the session while a lock is up: the seal is shown.
- A lock over each dialog (help, quick open, search, notes editor, go to line):
  a second alert is listed on the same lock, and the unlock returns to the
  dialog, recording what is in front.
"""

from __future__ import annotations

import pytest
from textual.widgets import Static

from cleanroom.guard.policy import Category
from cleanroom.ledger.encoding import decode_body
from cleanroom.tui.screens.idle import IdleScreen
from cleanroom.tui.screens.lock import AlertLockScreen
from cleanroom.tui.screens.locking import LockScreen
from cleanroom.tui.screens.witness import SealedScreen
from tests.ledgerkit import read_rows
from tests.test_tui_guard import guarded_app, wait_for
from tests.tuikit import lock_drawn

SIZE = (100, 30)


def text(screen) -> str:
    return " ".join(" ".join(str(s.render()) for s in screen.query(Static)).split())


def entries(ledger) -> list:
    return [decode_body(b) for _, b, _ in read_rows(ledger.path)]


def told(app, *categories: str) -> bool:
    return lock_drawn(app) and all(c in text(app.screen) for c in categories)


def alert(app, category: Category, subject: str) -> None:
    app.session.guard.queue.put(category, subject, "opened", subject.split()[-1])


def check_one_unlock_named_all(ledger) -> None:
    """One `unlock`, naming every lock alert, each recorded before it; the code (or
    what is in front) recorded again after it."""
    bodies = entries(ledger)
    unlocks = [b for b in bodies if b.kind == "unlock"]
    locks = [b.seq for b in bodies if b.kind == "alert" and b.payload["response"] == "lock"]
    assert len(unlocks) == 1, [b.kind for b in bodies]
    assert unlocks[0].payload["alerts"] == locks and len(locks) >= 2, (unlocks, locks)


async def begin(pilot) -> None:
    app = pilot.app
    await pilot.press("enter")
    app.open_path(b"src/long.py")
    assert await wait_for(pilot, lambda: app.opened is not None)
    await pilot.pause()


async def first_lock(pilot) -> AlertLockScreen:
    app = pilot.app
    alert(app, Category.SNAPSHOT_ACCESS, "snapshot /s")
    assert await wait_for(pilot, lambda: told(app, "snapshot_access"), 10)
    return app.screen


async def test_an_enter_while_a_lock_alert_is_still_queued_lifts_nothing(kit, ledger_dir):
    app, _, ledger = guarded_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await begin(pilot)
        lock = await first_lock(pilot)
        # In one turn of the event loop, as a key read together with the guard's
        # event: the alert is queued, not yet handed to the screen.
        alert(app, Category.KEYS_ACCESS, "keys /k")
        lock.unlock()  # the Enter
        # What it says now, before the next look at the guard lists the alert (which
        # clears it: the list then says what holds the lock).
        assert "had not been shown yet" in lock.said()
        await pilot.pause()
        assert app.screen is lock, "an Enter lifted a lock whose alert was never shown"
        assert await wait_for(pilot, lambda: told(app, "keys_access"), 10)
        assert app.screen is lock and "snapshot_access" in text(lock)
        assert "2 alerts" in text(lock)
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: not isinstance(app.screen, LockScreen))
        app.session.guard.stop()
    check_one_unlock_named_all(ledger)
    bodies = entries(ledger)
    at = next(i for i, b in enumerate(bodies) if b.kind == "unlock")
    assert [b.kind for b in bodies[at + 1 :] if b.kind != "tree_list"][:1] == ["view"]


async def test_an_enter_before_a_listed_alert_is_drawn_lifts_nothing(kit, ledger_dir):
    app, _, ledger = guarded_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await begin(pilot)
        lock = await first_lock(pilot)
        alert(app, Category.KEYS_ACCESS, "keys /k")
        app._check_guard()  # handed to the screen and listed: not drawn yet
        assert [c for _, c, _ in lock.alerts] == ["snapshot_access", "keys_access"]
        lock.unlock()  # the Enter, before the next frame
        await pilot.pause()
        assert app.screen is lock
        assert await wait_for(pilot, lambda: told(app, "keys_access"))
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: not isinstance(app.screen, LockScreen))
        app.session.guard.stop()
    check_one_unlock_named_all(ledger)


async def test_two_alerts_at_once_make_one_lock_listing_both(kit, ledger_dir):
    app, _, ledger = guarded_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await begin(pilot)
        alert(app, Category.SNAPSHOT_ACCESS, "snapshot /s")
        alert(app, Category.KEYS_ACCESS, "keys /k")
        assert await wait_for(pilot, lambda: told(app, "snapshot_access", "keys_access"), 10)
        assert sum(isinstance(s, AlertLockScreen) for s in app.screen_stack) == 1
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: not isinstance(app.screen, LockScreen))
        app.session.guard.stop()
    check_one_unlock_named_all(ledger)


async def test_a_guard_lock_over_the_idle_lock_lists_a_second_alert(kit, ledger_dir):
    app, _, ledger = guarded_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await begin(pilot)
        app._lock_idle()
        await pilot.pause()
        idle = app.screen
        assert isinstance(idle, IdleScreen)
        await first_lock(pilot)
        alert(app, Category.KEYS_ACCESS, "keys /k")
        assert await wait_for(pilot, lambda: told(app, "keys_access"), 10)
        assert [type(s) for s in app.screen_stack[-2:]] == [IdleScreen, AlertLockScreen]
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: app.screen is idle)  # still idle: nothing shown
        await pilot.press("x")
        assert await wait_for(pilot, lambda: not isinstance(app.screen, LockScreen))
        app.session.guard.stop()
    check_one_unlock_named_all(ledger)
    kinds = [b.kind for b in entries(ledger)]
    assert kinds.index("idle") < kinds.index("unlock") < kinds.index("active")
    assert "view" not in kinds[kinds.index("idle") : kinds.index("active")]


async def test_an_alert_that_ends_the_session_while_a_lock_is_up(kit, ledger_dir):
    app, _, ledger = guarded_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await begin(pilot)
        await first_lock(pilot)
        alert(app, Category.LEDGER_TAMPER, "ledger /l")
        assert await wait_for(pilot, lambda: isinstance(app.screen, SealedScreen), 10)
        assert app.opened is None
        await pilot.press("enter")
    bodies = entries(ledger)
    assert bodies[-1].kind == "session_end"
    assert bodies[-1].payload["reason"] == "guard: ledger_tamper"
    assert "unlock" not in [b.kind for b in bodies]  # the lock was never lifted


DIALOGS = {
    "help": ("h",),
    "quick_open": ("ctrl+p", "l", "o"),
    "search": ("s", *"value_1", "enter"),
    "note_editor": ("a",),
    "goto": ("colon",),
}


@pytest.mark.parametrize("dialog", sorted(DIALOGS))
async def test_a_lock_over_a_dialog_lists_a_second_alert_and_returns_to_it(kit, ledger_dir, dialog):
    app, _, ledger = guarded_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await begin(pilot)
        await pilot.press(*DIALOGS[dialog])
        await pilot.pause(0.3)
        front = app.screen
        assert not isinstance(front, LockScreen) and front is not app.screen_stack[0]
        lock = await first_lock(pilot)
        before = len(entries(ledger))
        await pilot.press("escape", "q", "ctrl+c", "x")  # swallowed by the lock
        alert(app, Category.KEYS_ACCESS, "keys /k")
        assert await wait_for(pilot, lambda: told(app, "keys_access"), 10)
        assert app.screen is lock
        during = {b.kind for b in entries(ledger)[before:]}
        assert during <= {"alert", "blocked"}, during
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: app.screen is front), app.screen
        await pilot.pause(0.3)
        app.session.guard.stop()
    check_one_unlock_named_all(ledger)
