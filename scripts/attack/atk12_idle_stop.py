"""atk12: the idle lock with the recorder stopped before the lock and at the key
(Pilot, a real recorder process). Run by path with pytest -s."""

import os
import signal

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.screens.idle import IdleScreen
from tests.recorderproc import room, until  # noqa: F401
from tests.test_tui_remote_stall import SIZE, bar, shown


async def test_idle(room):  # noqa: F811
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await until(pilot, lambda: "value_0 = 0" in shown(app))
        for moment in ("before_lock", "at_key"):
            if moment == "before_lock":
                os.kill(room.process.pid, signal.SIGSTOP)
                app._lock_idle()
                await pilot.pause(0.5)
            else:
                app._lock_idle()
                await pilot.pause(0.5)
                os.kill(room.process.pid, signal.SIGSTOP)
            assert isinstance(app.screen, IdleScreen)
            await pilot.press("x")
            await pilot.pause(3)
            print(moment, "stopped: screen", app.screen, "value_ shown", "value_" in shown(app))
            assert isinstance(app.screen, IdleScreen)
            os.kill(room.process.pid, signal.SIGCONT)
            await pilot.pause(2)
            await pilot.press("x")
            await until(pilot, lambda: not isinstance(app.screen, IdleScreen), tries=200)
            await until(pilot, lambda: "value_0" in shown(app), tries=200)
            print(moment, "after:", bar(app)[:80])
    service.seal()
    service.close()
    ents = room.entries()
    print([(e.kind, e.payload.get("action") if e.kind == "blocked" else "") for e in ents][4:])
