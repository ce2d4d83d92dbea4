"""Keys while the recorder stalls, against the terminal of `review --connect` with a
real recorder process stopped by a real SIGSTOP (issue 12, what remained; ADR
0217).

- The event loop never waits out a stalled request: a key pressed at the moment
  the recorder stops held the loop for the whole 2 s bound (no timer, no lock,
  no other key meanwhile). Now the loop waits a fraction of a second, then goes
  on with the source hidden ("waiting for the recorder").
- No key is lost or half done: keys that move the view are acted on at once
  and their screen is shown once it is recorded; a blocked attempt (ctrl+s)
  pressed meanwhile was never recorded (atk12d's LOW 4) and now is, once the
  recorder answers again."""

from __future__ import annotations

import os
import signal

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.codeview import CodeView
from tests.loopclock import mark, most_blocked
from tests.recorderproc import room, until  # noqa: F401 (room: a fixture)
from tests.test_tui_remote_stall import SIZE, bar, shown


def stopped(pid: int) -> bool:
    with open(f"/proc/{pid}/stat", "rb") as f:
        data = f.read()
    return data[data.rindex(b")") + 2 :][:1] == b"T"


async def test_the_event_loop_keeps_running_while_a_request_stalls(room):  # noqa: F811
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    # Whether a timer found a wait, and the loop's clock then (loopclock.py).
    ticks: list[tuple[float, bool, float]] = []
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await until(pilot, lambda: "value_0 = 0" in shown(app))
        app.set_interval(0.05, lambda: ticks.append((service.waiting, mark())))
        os.kill(room.process.pid, signal.SIGSTOP)
        try:
            await until(pilot, lambda: stopped(room.process.pid))
            since = mark()
            await pilot.press("space")  # a view the recorder does not answer
            await until(pilot, lambda: "not answering" in (service.failure or ""), tries=400)
            declared = mark()
            await until(pilot, lambda: "value_" not in shown(app) and "NOT RECORDING" in bar(app))
        finally:
            os.kill(room.process.pid, signal.SIGCONT)
        # Timers ran while the answer was awaited: the loop was not held. Between two
        # of them the loop was blocked (not running, and not merely waiting for a CPU)
        # for the next timer, or for LOOP_WAIT at a request: never for the 2 s bound it
        # was held for before. Blocked, not wall time: a busy machine stretches the
        # gaps, not the time the loop spends blocked.
        during = [at for _, at in ticks if since.at <= at.at <= declared.at]
        marks = [since, *during, declared]
        blocked = most_blocked(marks)
        assert blocked < 1.0, blocked
        assert any(waiting for waiting, _ in ticks), "no timer fired during the wait"
        await until(pilot, lambda: "value_" in shown(app) and "NOT RECORDING" not in bar(app))
    service.seal()
    service.close()


async def test_keys_pressed_while_the_recorder_stalls_are_not_lost(room):  # noqa: F811
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await until(pilot, lambda: "value_0 = 0" in shown(app))
        view = app.query_one(CodeView)
        os.kill(room.process.pid, signal.SIGSTOP)
        try:
            await until(pilot, lambda: stopped(room.process.pid))
            await pilot.press("pagedown", "ctrl+s", "pagedown")  # during the stall's detection
            await until(pilot, lambda: "value_" not in shown(app))
            moved = view.scroll_offset.y
            assert moved > 0  # the view keys were acted on (the screen is hidden)
        finally:
            os.kill(room.process.pid, signal.SIGCONT)
        # Once recording works: the screen the keys moved to is recorded, then shown.
        first = int(moved) + 1
        await until(pilot, lambda: f"value_{first - 1} =" in shown(app)
                    and "NOT RECORDING" not in bar(app))  # fmt: skip
    service.seal()
    service.close()
    entries = room.entries()
    keys = [e.payload for e in entries if e.kind == "blocked" and "ctrl+s" in str(e.payload)]
    assert keys, [e.kind for e in entries]  # the attempt was recorded, late but not lost
    views = [e.payload for e in entries if e.kind == "view"]
    assert views[-1]["first"] == first, views[-1]
