"""A terminal that connects to a session left under the guard's lock (issue 12,
ADR 0220). The alert that holds the lock was answered to the terminal that went
away; the new one was told nothing, showed no lock screen, and had every view
refused (`locked`) with no way to unlock: the source hidden for good, and the
reviewer never told why. The recorder now answers the alerts that hold the lock
again to the terminal that connects, which lists them; its unlock names them.
A real recorder process (`on_client_lost = "wait"`) and its real guard; the
first terminal a raw client that goes away, the second the real app (Pilot)."""

from __future__ import annotations

from cleanroom.recorder import messages as m
from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.screens.lock import AlertLockScreen
from cleanroom.tui.screens.locking import LockScreen
from tests.recorderkit import RawClient
from tests.recorderproc import (
    until,
    waiting_room,  # noqa: F401 (a fixture)
)
from tests.test_recorder_attack13 import lock_by_reading_the_snapshot
from tests.test_recorder_faults import wait_for
from tests.test_tui_remote_stall import SIZE, screen_text, shown
from tests.tuikit import lock_drawn


def leave_locked(room) -> None:
    """A terminal sees the guard lock come, then goes away without unlocking."""
    client = RawClient(room.socket)
    client.hello()
    lock_by_reading_the_snapshot(room)
    wait_for(lambda: client.ask(m.Status()).state == "guard_lock" and client.told > 0, 30)
    client.close()
    wait_for(lambda: "client_lost" in room.kinds())


async def test_a_terminal_that_comes_back_to_a_locked_session_lists_the_lock(waiting_room):  # noqa: F811
    room = waiting_room
    leave_locked(room)
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: lock_drawn(app), tries=200)
        assert "snapshot_access" in screen_text(app.screen)
        await pilot.press("enter")  # the guard's lock: recorded, naming its alert
        await until(pilot, lambda: not isinstance(app.screen, AlertLockScreen))
        await until(pilot, lambda: isinstance(app.screen, LockScreen))  # the start screen
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, LockScreen))
        app.open_path(b"src/long.py")
        await until(pilot, lambda: "value_0 = 0" in shown(app))
        service.seal()
    service.close()
    entries = room.entries()
    locks = [e.seq for e in entries if e.kind == "alert" and e.payload["response"] == "lock"]
    unlocks = [e for e in entries if e.kind == "unlock"]
    assert len(unlocks) == 1 and unlocks[0].payload["alerts"] == locks, (unlocks, locks)
    resumed = [e.seq for e in entries if e.kind == "client_resume"]
    assert resumed and resumed[0] < unlocks[0].seq
