"""The idle timer behind a guard lock (ADR 0218). A guard lock left up for the idle
time (the reviewer away when the alert came) had the idle lock pushed over it;
the recorder, in its guard lock, refused that `idle` (`locked`) and every
return after it (`active`, `locked`: only `unlock` lifts a guard lock), and the
idle lock in front took every key: the reviewer never reached the guard lock's
Enter again, locked out for good. The guard lock already hides everything and
only a recorded unlock lifts it, so the idle lock no longer comes up behind it;
its time starts again from the Enter that lifts it. A real recorder process and
its real guard (the snapshot read by another process); the real app, driven by
Pilot."""

from __future__ import annotations

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.screens.locking import LockScreen
from cleanroom.tui.screens.witness import StartScreen
from tests.recorderproc import room, until  # noqa: F401 (room: a fixture)
from tests.test_recorder_attack13 import lock_by_reading_the_snapshot
from tests.test_tui_remote_stall import SIZE, shown
from tests.tuikit import lock_drawn


def counted(service: RemoteService, calls: list[str]) -> None:
    """Count the lock keys' requests (the real ones, asked as ever): each Enter on a
    lock asks exactly one, `unlock` or `active`."""
    for name in ("unlock", "active"):
        real = getattr(service, name)

        def asked(*args, real=real, name=name):
            calls.append(name)
            return real(*args)

        setattr(service, name, asked)


async def test_the_idle_time_passing_behind_a_guard_lock_does_not_lock_out(room):  # noqa: F811
    service = RemoteService(room.socket)
    app = ReviewApp(service)  # its idle timer is fired by the test, as `_tick` fires it
    calls: list[str] = []
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, StartScreen))
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, StartScreen))
        app.open_path(b"src/long.py")
        await until(pilot, lambda: "value_0 = 0" in shown(app))
        lock_by_reading_the_snapshot(room)
        await until(pilot, lambda: lock_drawn(app))
        app._last_input -= app.idle_seconds + 1  # the reviewer has been away that long
        app._tick()  # the idle timer's second
        await pilot.pause()
        counted(service, calls)
        for _ in range(20):  # as a reviewer would: Enter until the lock comes off
            if not isinstance(app.screen, LockScreen):
                break
            asked = len(calls)
            await pilot.press("enter")
            await until(pilot, lambda asked=asked: len(calls) > asked)
            await pilot.pause()
        else:
            raise AssertionError(f"locked out: every Enter was refused ({calls})")
        await until(pilot, lambda: "value_0 = 0" in shown(app))  # recorded, then shown
    service.seal()
    service.close()
    entries = room.entries()
    kinds = [e.kind for e in entries]
    lock = next(i for i, e in enumerate(entries)
                if e.kind == "alert" and e.payload["response"] == "lock")  # fmt: skip
    assert "unlock" in kinds[lock:], kinds
    refused = [e.payload for e in entries[lock:] if e.kind == "refused"]
    assert not any(p["request"] in ("idle", "active") for p in refused), refused
