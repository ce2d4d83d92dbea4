"""The recorder looks at the guard every quarter second and before every answer
(cleanroom/recorder/server.py's docstring, docs/protocol.md §2): not once more
after each request, which doubled the guard's cost per keystroke."""

from __future__ import annotations

import time

from cleanroom.recorder import messages as m
from cleanroom.recorder.dispatch import Dispatcher
from cleanroom.recorder.server import TICK
from tests.recorderkit import RawClient, cleanup, start

REQUESTS = 200


def test_the_guard_is_looked_at_before_each_answer_and_each_quarter_second(kit, ledger_dir):
    running = start(kit, ledger_dir)
    try:
        client = RawClient(running.socket)
        client.hello()
        dispatcher = running.server.live.dispatcher
        ticks = 0
        real = Dispatcher.tick

        def counted() -> None:  # the real tick, counted
            nonlocal ticks
            ticks += 1
            real(dispatcher)

        dispatcher.tick = counted
        began = time.monotonic()
        for _ in range(REQUESTS):
            assert isinstance(client.ask(m.Status()), m.State)
        elapsed = time.monotonic() - began
        time.sleep(3 * TICK)  # idle: the loop's own looks go on
        idle = ticks
        client.close()
    finally:
        cleanup(running)
    assert idle > REQUESTS  # every answer looked, and the idle quarter seconds too
    assert idle <= REQUESTS + (elapsed + 3 * TICK) / TICK + 3, (idle, elapsed)
