"""Guard locks that stack (issue 12, "Locks over dialogs" and "Failing closed";
ADR 0220). A guard alert that came while an earlier lock screen was up was
never shown: the app pushed a lock screen only when none was in front, so the
older screen stayed with the older alert's text, and its Enter lifted both
locks (the recorder's one `unlock` lifted whatever held it). Now the one lock
screen lists every alert that holds the lock, its Enter names the alerts drawn,
and the `unlock` entry names the alerts it acknowledged by their ledger seqs; an
Enter that would lift an alert not drawn yet is refused and the lock stays.

A real recorder process and its real guard (another process reads the
snapshot, then a key file), real SIGSTOP; the real app, driven by Pilot."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.screens.lock import AlertLockScreen
from cleanroom.tui.screens.locking import LockScreen
from tests.recorderproc import room, until  # noqa: F401 (room: a fixture)
from tests.test_recorder_attack13 import lock_by_reading_the_snapshot
from tests.test_recorder_faults import wait_for
from tests.test_recorder_stopped_long import BOUND, stopped
from tests.test_tui_remote_stall import SIZE, screen_text, shown
from tests.tuikit import lock_drawn


def read_a_key_file(built) -> None:
    """Another process reads the vendor key: a `keys_access` alert (lock)."""
    reader = f"open({str(built.base / 'keys' / 'vendor.pub')!r}, 'rb').read()"
    subprocess.run([sys.executable, "-c", reader], check=True, timeout=30)


def lock_alerts(entries) -> list:
    return [e for e in entries if e.kind == "alert" and e.payload["response"] == "lock"]


def told(app, category: str) -> bool:
    """The lock screen in front lists an alert of `category`, drawn."""
    return lock_drawn(app) and category in screen_text(app.screen)


async def started(pilot) -> None:
    app = pilot.app
    await until(pilot, lambda: isinstance(app.screen, LockScreen))
    await pilot.press("enter")  # the start screen
    await until(pilot, lambda: not isinstance(app.screen, LockScreen))
    app.open_path(b"src/long.py")
    await until(pilot, lambda: "value_0 = 0" in shown(app))


def check_the_unlock_names_both(room) -> None:  # noqa: F811
    entries = room.entries()
    locks = lock_alerts(entries)
    categories = [e.payload["category"] for e in locks]
    assert categories == ["snapshot_access", "keys_access"], categories
    unlocks = [e for e in entries if e.kind == "unlock"]
    assert unlocks, [e.kind for e in entries]
    # Every lock alert is named by an unlock after it; the last names the keys alert.
    named = {s for u in unlocks for s in u.payload["alerts"]}
    assert {e.seq for e in locks} <= named, (named, [e.seq for e in locks])
    assert locks[1].seq in unlocks[-1].payload["alerts"]
    for u in unlocks:  # an unlock names only alerts recorded before it
        assert all(s < u.seq for s in u.payload["alerts"]), u.payload
    # After the last unlock the code is recorded again before anything is drawn.
    after = [e.kind for e in entries if e.seq > unlocks[-1].seq and e.kind != "tree_list"]
    assert after[:1] == ["view"], after


async def test_an_alert_under_an_up_lock_is_listed_and_its_unlock_names_both(room):  # noqa: F811
    app = ReviewApp(RemoteService(room.socket))
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        lock_by_reading_the_snapshot(room)
        await until(pilot, lambda: told(app, "snapshot_access"))
        first = app.screen
        read_a_key_file(room)  # a second alert, while the first lock is up
        # The reviewer is told of it on the screen that holds the lock; before,
        # the older screen stayed with the older alert's text alone.
        await until(pilot, lambda: told(app, "keys_access"), tries=200)
        assert app.screen is first and "snapshot_access" in screen_text(first)
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, LockScreen))
        await until(pilot, lambda: "value_0 = 0" in shown(app))  # recorded, then shown
        app.service.seal()
    app.service.close()
    check_the_unlock_names_both(room)


async def test_an_alert_while_the_lock_is_stuck_on_a_stopped_recorder(room):  # noqa: F811
    """The first lock's Enter is not answered (the recorder is stopped): the lock is
    stuck, saying so. A key file is read meanwhile. Once the recorder runs again
    the stuck screen lists the new alert; the Enter that lifts the lock names it."""
    app = ReviewApp(RemoteService(room.socket))
    pid = room.process.pid
    async with app.run_test(size=SIZE) as pilot:
        await started(pilot)
        lock_by_reading_the_snapshot(room)
        await until(pilot, lambda: told(app, "snapshot_access"))
        os.kill(pid, signal.SIGSTOP)
        try:
            stopped(pid)
            await pilot.press("enter")
            await until(pilot, lambda: "Still locked" in screen_text(app.screen), tries=200)
            read_a_key_file(room)
        finally:
            os.kill(pid, signal.SIGCONT)
        await until(pilot, lambda: told(app, "keys_access"), tries=400)
        assert isinstance(app.screen, AlertLockScreen)
        assert "value_" not in shown(app)
        for _ in range(5):  # Enter until the lock comes off (each asks one unlock)
            if not isinstance(app.screen, LockScreen):
                break
            await until(pilot, lambda: lock_drawn(app))
            await pilot.press("enter")
            await pilot.pause(0.3)
        await until(pilot, lambda: not isinstance(app.screen, LockScreen))
        await until(pilot, lambda: "value_0 = 0" in shown(app))
        app.service.seal()
    app.service.close()
    check_the_unlock_names_both(room)


def test_the_alerts_of_a_late_status_are_still_told(room):  # noqa: F811
    """The recorder answers each alert in one `status` only. A `status` answered
    after the terminal gave up waiting (the recorder stopped) was dropped with
    its alerts: a lock alert in it was never listed, and the lock it held could
    never be lifted (views refused `locked`, no lock screen). Its alerts are now
    kept for the terminal's next look."""
    service = RemoteService(room.socket)
    service.serve_loop()  # this thread is the terminal's event loop: it waits 0.1 s
    assert service.check_alerts().failure is None
    lock_by_reading_the_snapshot(room)
    wait_for(lambda: any(lock_alerts(room.entries())), 30)  # recorded, not yet told
    pid = room.process.pid
    os.kill(pid, signal.SIGSTOP)
    try:
        stopped(pid)
        assert service.check_alerts().fresh == []  # asked, not answered in time
    finally:
        os.kill(pid, signal.SIGCONT)
    readable, _, _ = select.select([service._sock], [], [], BOUND)
    assert readable, "the late answer never came"
    told = []
    for _ in range(8):  # the terminal's next looks
        check = service.check_alerts()
        told += [(a.category, n) for a, n in zip(check.fresh, check.numbers, strict=True)
                 if a.response == "lock"]  # fmt: skip
    assert [c for c, _ in told] == ["snapshot_access"], told
    service.unlock("guard", 1.0, told[0][1])  # what the lock screen listed lifts it
    service.check_alerts()
    assert service.state == "ready", service.state
    service.seal()
    service.close()
    unlocks = [e for e in room.entries() if e.kind == "unlock"]
    assert [u.payload["alerts"] for u in unlocks] == [[lock_alerts(room.entries())[0].seq]]
