"""Issue 12, outside attack atk12e finding 7: the 15-minute witness refresh came
while the idle lock was up; the recorder refused it (`refused`, reason
`locked`, request `witness`) and the status bar kept the older code after the
unlock. A witness is `witness_shown`: a code put on screen, and a lock hides the
bar, so the terminal does not ask behind a lock; it asks right after the
recorded return. A real recorder process, its real idle state.

Both timers are fired by the test, in order (the idle lock's as `_tick` fires it,
the witness interval's): an idle timer of 2 s once raced the test's own steps
under load (the lock came up over the start screen before the first Enter, which
then lifted the idle lock instead, and the start screen stayed in front)"""

from __future__ import annotations

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.screens.idle import IdleScreen
from cleanroom.tui.screens.witness import StartScreen
from tests.recorderproc import room, until  # noqa: F401 (room: a fixture)
from tests.test_tui_remote_stall import SIZE, bar, shown


async def come_back(pilot, lock: IdleScreen) -> None:
    """Press a key until the return is recorded. The loop waits 0.1 s for the
    recorder's answer (ADR 0217); under load it may come later, and then the lock
    stays up and the next key tries again (screens/idle.py): as a reviewer would."""
    tries: list[str | None] = []
    returning = lock._returning
    assert returning is not None
    lock._returning = lambda: tries.append(returning()) or tries[-1]
    for _ in range(20):
        asked = len(tries)
        await pilot.press("x")
        await until(pilot, lambda asked=asked: len(tries) > asked)
        if tries[-1] is None:
            return
    raise AssertionError(f"the return was never recorded: {tries}")


async def test_a_witness_due_behind_the_idle_lock_is_asked_after_the_return(room):  # noqa: F811
    service = RemoteService(room.socket)
    app = ReviewApp(service)  # its own idle timer (300 s) never fires here
    async with app.run_test(size=SIZE) as pilot:
        await until(pilot, lambda: isinstance(app.screen, StartScreen))
        await pilot.press("enter")  # past the start screen
        await until(pilot, lambda: not isinstance(app.screen, StartScreen))
        app.open_path(b"src/long.py")
        await until(pilot, lambda: "value_0 = 0" in shown(app))
        app._lock_idle()  # the idle timer fires (`_tick`, idle_seconds after the last key)
        await until(pilot, lambda: isinstance(app.screen, IdleScreen))
        lock = app.screen
        old = service.shown_witness
        await until(pilot, lambda: "idle" in room.kinds())  # (its answer may come late)
        app._fresh_witness()  # the witness interval's timer (15 min) fires under the lock
        await pilot.pause(0.2)
        assert service.shown_witness == old
        await come_back(pilot, lock)  # the return, recorded; then the owed witness
        await until(pilot, lambda: not isinstance(app.screen, IdleScreen))
        await until(pilot, lambda: service.shown_witness != old)
        seq, code = service.shown_witness
        await until(pilot, lambda: f"{seq}:{code}" in bar(app))
    service.seal()
    service.close()
    entries = room.entries()
    kinds = [e.kind for e in entries]
    refused = [e.payload for e in entries if e.kind == "refused"]
    assert not refused, refused
    assert kinds.index("active") < len(kinds) - 1 - kinds[::-1].index("witness_shown")
    witnesses = [e.payload for e in entries if e.kind == "witness_shown"]
    assert witnesses[-1]["code"] == code
