"""atk12b: the real terminal (Pilot) under the guard's lock when its recorder is
killed and restarted (the ledger resumed). What does the screen show, what does
Enter do, what does the ledger say? Run:
.venv/bin/python scripts/attack/atk12b_restart_terminal.py"""

from __future__ import annotations

import asyncio
import shutil
import sys

sys.path.insert(0, ".")
from cleanroom.recorder.client import RemoteService  # noqa: E402
from cleanroom.tui.app import ReviewApp  # noqa: E402
from cleanroom.tui.screens.lock import AlertLockScreen  # noqa: E402
from tests.recorderproc import build_room, until  # noqa: E402
from tests.test_recorder_attack13 import lock_by_reading_the_snapshot  # noqa: E402
from tests.test_tui_remote_stall import SIZE, screen_text, shown  # noqa: E402
from tests.tuikit import lock_drawn  # noqa: E402


async def main() -> None:
    room = build_room("wait")
    room.start()
    try:
        service = RemoteService(room.socket)
        app = ReviewApp(service)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            app.open_path(b"src/long.py")
            await until(pilot, lambda: "value_0 = 0" in shown(app))
            lock_by_reading_the_snapshot(room)
            await until(pilot, lambda: lock_drawn(app), tries=200)
            room.kill9()
            room.socket.unlink(missing_ok=True)
            room.start()
            for _ in range(40):
                await pilot.pause(0.1)
            print("front:", [type(s).__name__ for s in app.screen_stack])
            print("text:", screen_text(app.screen)[:300])
            await pilot.press("enter")
            for _ in range(20):
                await pilot.pause(0.1)
            print("after Enter:", [type(s).__name__ for s in app.screen_stack])
            print("text:", screen_text(app.screen)[:300])
            locked = isinstance(app.screen, AlertLockScreen)
            print("code behind:", "value_0 = 0" in shown(app), "lock in front:", locked)
        service.close()
        for e in room.entries()[-10:]:
            said = {k: v for k, v in e.payload.items() if k not in ("detail", "cert")}
            print(e.seq, e.kind, said)
    finally:
        room.stop()
        shutil.rmtree(room.base, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
