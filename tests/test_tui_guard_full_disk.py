"""A guard lock while recording fails (issue 12's third attack, finding 2), on a
real full tmpfs with a real guard: the lock said "This has been recorded." of an
alert that was not, and Enter unlocked without an `unlock` in the ledger. Now the
lock says the alert is not recorded yet and why; an unlock that cannot be
recorded does not unlock (the lock stays, saying so); once the disk has room,
Enter unlocks and the ledger has the alert, then the unlock, before any view."""

from __future__ import annotations

import subprocess
import sys

from textual.widgets import Static

from cleanroom.ledger.encoding import decode_body
from cleanroom.tui.screens.idle import IdleScreen
from cleanroom.tui.screens.lock import AlertLockScreen
from tests.diskkit import small_disk  # noqa: F401 (a fixture)
from tests.ledgerkit import read_rows
from tests.test_tui_guard import SIZE, guarded_app, wait_for
from tests.tuikit import lock_drawn, make_app


def said(screen) -> str:
    return " ".join(" ".join(str(s.render()) for s in screen.query(Static)).split())


async def test_a_lock_under_failed_recording_says_so_and_does_not_unlock_unrecorded(
    kit,
    small_disk,  # noqa: F811
):
    app, snapshot, ledger = guarded_app(kit, small_disk.path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/main.c")
        await pilot.pause()
        small_disk.fill()
        reader = f"open({str(snapshot)!r}, 'rb').read(4096)"
        subprocess.run([sys.executable, "-c", reader], check=True, timeout=30)
        assert await wait_for(pilot, lambda: lock_drawn(app), 10)
        text = said(app.screen)
        assert "This has been recorded" not in text, text
        assert "NOT recorded yet" in text, text
        await pilot.press("enter")  # the unlock cannot be recorded: still locked
        await pilot.pause(0.3)
        assert isinstance(app.screen, AlertLockScreen)
        assert "Still locked: the unlock could not be recorded" in said(app.screen)
        small_disk.free()
        await pilot.pause(1.5)  # the queued alert is recorded once there is room
        await pilot.press("enter")
        assert await wait_for(pilot, lambda: not isinstance(app.screen, AlertLockScreen), 5)
        await pilot.press("q", "y")
        await pilot.pause()
        await pilot.press("enter")
    bodies = [decode_body(b) for _, b, _ in read_rows(ledger.path)]
    kinds = [b.kind for b in bodies]
    alert_at = next(i for i, b in enumerate(bodies) if b.kind == "alert"
                    and b.payload["category"] == "snapshot_access")  # fmt: skip
    assert bodies[alert_at].payload["response"] == "lock"
    assert "unlock" in kinds[alert_at:], kinds
    unlock_at = kinds.index("unlock", alert_at)
    views = [i for i, k in enumerate(kinds) if k == "view" and i > alert_at]
    assert not views or views[0] > unlock_at, kinds


async def test_the_idle_lock_stays_up_until_its_return_is_recorded(kit, small_disk):  # noqa: F811
    """The idle lock follows the guard lock's rule: a key that cannot be recorded as
    the reviewer's return (`active`) does not lift it; the lock says so, and only a
    recorded return lifts it. Before, the lock came off over hidden source."""
    app, _ = make_app(kit, small_disk.path)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/main.c")
        await pilot.pause()
        app._lock_idle()
        await pilot.pause()
        assert isinstance(app.screen, IdleScreen)
        small_disk.fill()
        await pilot.press("j")  # the return cannot be recorded: still locked
        await pilot.pause(0.3)
        assert isinstance(app.screen, IdleScreen), app.screen
        text = said(app.screen)
        assert "Still locked" in text and "NOT recorded" in text, text
        await pilot.press("k")  # again: still locked, no second lock stacked on it
        await pilot.pause(0.3)
        assert isinstance(app.screen, IdleScreen)
        assert sum(isinstance(s, IdleScreen) for s in app.screen_stack) == 1
        small_disk.free()
        await pilot.press("j")
        assert await wait_for(pilot, lambda: not isinstance(app.screen, IdleScreen), 5)
        await pilot.pause()
        await pilot.press("q", "y")
        await pilot.pause()
        await pilot.press("enter")
    kinds = [decode_body(b).kind for _, b, _ in read_rows(app.session.recorder.ledger.path)]
    idle_at = kinds.index("idle")
    assert kinds.count("active") == 1, kinds
    active_at = kinds.index("active")
    views = [i for i, k in enumerate(kinds) if k == "view" and i > idle_at]
    assert views and views[0] > active_at, kinds
