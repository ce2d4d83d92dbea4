"""A lock screen cut by a small terminal's bottom edge has not shown the alerts it
lists (atk12b): an Enter then lifts nothing; once the terminal is large enough
for the whole box, the same alerts are drawn and the Enter lifts them."""

from __future__ import annotations

from cleanroom.guard.policy import Category
from cleanroom.tui.screens.lock import AlertLockScreen, one_row
from tests.test_tui_guard import guarded_app
from tests.test_tui_guard import wait_for as until
from tests.test_tui_lock_stack_neighbours import begin, entries
from tests.tuikit import lock_drawn


async def test_a_box_below_the_bottom_edge_counts_nothing_shown_until_it_fits(kit, ledger_dir):
    app, _, ledger = guarded_app(kit, ledger_dir)
    queue = app.session.guard.queue
    async with app.run_test(size=(80, 24)) as pilot:
        await begin(pilot)
        await pilot.resize_terminal(80, 5)
        await pilot.pause()
        queue.put(Category.SNAPSHOT_ACCESS, "snapshot /s", "opened", "/s")
        queue.put(Category.KEYS_ACCESS, "keys /k", "opened", "/k/a")
        assert await until(pilot, lambda: isinstance(app.screen, AlertLockScreen), 10)
        await pilot.pause(0.3)
        assert not lock_drawn(app)  # listed, but the box does not fit 5 rows
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, AlertLockScreen)  # nothing lifted
        await pilot.resize_terminal(80, 24)
        assert await until(pilot, lambda: lock_drawn(app), 10)
        await pilot.press("enter")
        assert await until(pilot, lambda: not isinstance(app.screen, AlertLockScreen), 10)
        app.session.guard.stop()
    bodies = entries(ledger)
    locks = [b.seq for b in bodies if b.kind == "alert" and b.payload["response"] == "lock"]
    unlocks = [b.payload["alerts"] for b in bodies if b.kind == "unlock"]
    assert unlocks == [locks], (unlocks, locks)  # one unlock, after the box fitted


def test_a_long_alert_takes_one_row():
    assert one_row("x" * 10) == "x" * 10
    cut = one_row("keys_access: " + "A" * 500)
    assert cut.endswith("\u2026") and len(cut) == 70
    wide = one_row("\u4e00" * 100)  # two cells each
    assert wide.endswith("\u2026") and len(wide) <= 36
