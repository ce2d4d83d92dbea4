"""atk12: random keys (fixed seed: ATK_SEED) while the recorder stalls (SIGSTOP for
0.05-2.5 s at random moments), Pilot and a real recorder process. Every code line
shown must lie in a recorded view, and the settled screen in the last one. Not part
of the suite (minutes): run it by path, as ATTACK.md says."""

from __future__ import annotations

import os
import random
import re
import signal
import threading
import time

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from tests.recorderproc import room, until  # noqa: F401 (a fixture)
from tests.test_tui_remote_stall import SIZE, bar, shown

KEYS = ["pagedown", "pageup", "down", "up", "space", "home", "end", "w", "n", "N",
        "m", "a", "apostrophe", "a", "escape", "colon", "4", "0", "0", "enter",
        "ctrl+f", "v", "enter", "ctrl+o", "alt+right", "f"]  # fmt: skip
LINE = re.compile(r"value_(\d+) = ")


def views(built) -> list[tuple[int, int]]:
    return [(e.payload["first"], e.payload["last"]) for e in built.entries()
            if e.kind == "view" and e.payload["path"] == "src/long.py"]  # fmt: skip


async def test_random_keys_under_short_stalls(room):  # noqa: F811
    rng = random.Random(int(os.environ.get("ATK_SEED", "12")))
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    shown_lines: set[int] = set()
    stop = threading.Event()

    def staller() -> None:
        r = random.Random(7)
        while not stop.is_set():
            time.sleep(r.uniform(0.05, 0.6))
            os.kill(room.process.pid, signal.SIGSTOP)
            time.sleep(r.choice([0.05, 0.12, 0.2, 0.4, 1.0, 2.5]))
            os.kill(room.process.pid, signal.SIGCONT)

    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        app.open_path(b"src/long.py")
        await until(pilot, lambda: "value_0 = 0" in shown(app))
        t = threading.Thread(target=staller, daemon=True)
        t.start()
        try:
            for _ in range(int(os.environ.get("ATK_KEYS", "400"))):
                await pilot.press(rng.choice(KEYS))
                await pilot.pause(rng.choice([0, 0.01, 0.05, 0.1]))
                text = shown(app)
                shown_lines |= {int(n) + 1 for n in LINE.findall(text)}
        finally:
            stop.set()
            t.join()
            os.kill(room.process.pid, signal.SIGCONT)
        await until(pilot, lambda: "NOT RECORDING" not in bar(app), tries=600)
        await pilot.press("escape", "escape")
        await pilot.pause(1.0)
        final = {int(n) + 1 for n in LINE.findall(shown(app))}
        print("bar", bar(app))
    service.seal()
    service.close()
    recorded = views(room)
    covered = {n for a, b in recorded for n in range(a, b + 1)}
    print(
        "views",
        len(recorded),
        "shown lines",
        len(shown_lines),
        "final",
        min(final, default=None),
        max(final, default=None),
        "last view",
        recorded[-1],
    )
    kinds = [e.kind for e in room.entries()]
    print({k: kinds.count(k) for k in set(kinds)})
    assert shown_lines <= covered, sorted(shown_lines - covered)[:20]
    if final:
        a, b = recorded[-1]
        assert a <= min(final) and max(final) <= b, (min(final), max(final), recorded[-1])
