"""A recorder killed while the reviewer's screen is under the guard's lock, then
started again on the same ledger (atk12b's high finding): the session resumes
locked. Before, it resumed unlocked: source was served after an alert that
locked and no unlock, the terminal's lock screen could never be lifted (every
Enter refused `order`), and views recorded behind it counted as seen.

Now the resumed session holds the lock alerts no unlock lifted (recorder/
held_locks.py), hands them to the terminal again under new numbers, which the lock
screen lists before its Enter can cover them, and the unlock names them. The
file on screen is opened again (recorded) at the first view after the unlock."""

from __future__ import annotations

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.screens.lock import AlertLockScreen
from tests.recorderproc import (
    until,
    waiting_room,  # noqa: F401 (a fixture)
)
from tests.test_recorder_attack13 import lock_by_reading_the_snapshot
from tests.test_tui_remote_stall import SIZE, shown
from tests.tuikit import lock_drawn


async def test_a_restarted_recorder_resumes_the_lock_and_the_terminal_lifts_it(waiting_room):  # noqa: F811
    room = waiting_room
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await until(pilot, lambda: "value_0 = 0" in shown(app))
        lock_by_reading_the_snapshot(room)
        await until(pilot, lambda: lock_drawn(app), tries=200)
        before = len(app.screen.alerts)
        room.kill9()
        room.socket.unlink(missing_ok=True)
        room.start()
        # The terminal reconnects at its next look and is told the alerts again,
        # under numbers its screen has not listed: listed and drawn anew.
        await until(pilot, lambda: lock_drawn(app) and len(app.screen.alerts) > before, tries=400)
        assert "value_0 = 0" not in shown(app)
        held = [
            b.seq for b in room.entries() if b.kind == "alert" and b.payload["response"] == "lock"
        ]
        assert held
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, AlertLockScreen))
        await until(pilot, lambda: "value_0 = 0" in shown(app), tries=400)
    service.close()
    bodies = room.entries()
    kinds = [b.kind for b in bodies]
    resumed = kinds.index("session_resume")
    unlock = kinds.index("unlock", resumed)
    assert bodies[unlock].payload["alerts"] == [s for s in held if s < bodies[resumed].seq]
    # Nothing of the file was recorded as shown between the resume and the unlock.
    assert not {"file_open", "view", "tree_list"} & set(kinds[resumed:unlock]), kinds[resumed:]
    assert "view" in kinds[unlock:]
