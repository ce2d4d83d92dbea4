"""Issue 12, atk12f's first finding: `n`, `N`, or Enter on a search result while the
recorder is stopped (SIGSTOP) crashed the terminal (the fixed message, the session
lost): the result's `where` failed as "not answering" and nothing caught it.
Every recorder failure reached from a key is now the failure path: the source
hidden, the bar red, the reason said, and the terminal still running; once the
recorder answers again, the same key opens the result, recorded first."""

from __future__ import annotations

import os
import signal

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.results import ResultList
from cleanroom.tui.screens.search import SearchScreen
from tests.recorderproc import room, until  # noqa: F401 (room: a fixture)
from tests.test_tui_remote_stall import SIZE, bar, shown
from tests.test_tui_remote_stall_keys import stopped


async def _search(pilot, app) -> SearchScreen:
    await pilot.press("enter", "s")
    await until(pilot, lambda: isinstance(app.screen, SearchScreen))
    screen = app.screen
    await pilot.press(*"value_1", "enter")
    await until(pilot, lambda: screen.found is not None and screen.found.kept > 1)
    return screen


async def _stop(pilot, app, room) -> None:  # noqa: F811
    os.kill(room.process.pid, signal.SIGSTOP)
    await until(pilot, lambda: stopped(room.process.pid))
    # No key: the status poll finds the recorder stalled (its process stopped).
    await until(pilot, lambda: "not answering" in (app.service.failure or ""), tries=400)


async def test_n_and_shift_n_on_a_result_while_the_recorder_is_stopped(room):  # noqa: F811
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await _search(pilot, app)
        await pilot.press("enter")  # the first result opens
        await until(pilot, lambda: app.opened is not None and "value_1" in shown(app))
        await _stop(pilot, app, room)
        try:
            await pilot.press("n")
            await pilot.pause(0.3)
            await pilot.press("N")
            await pilot.pause(0.3)
            assert not app.crashed
            assert app.is_running
            assert "value_" not in shown(app)  # hidden, not drawn unrecorded
            assert "NOT RECORDING" in bar(app)
        finally:
            os.kill(room.process.pid, signal.SIGCONT)
        await until(pilot, lambda: "NOT RECORDING" not in bar(app), tries=400)
        await pilot.press("n")  # works again, recorded first
        await until(pilot, lambda: "result 2 of" in str(app.sub_title) and "value_1" in shown(app))
        assert not app.crashed
    service.seal()
    service.close()
    kinds = room.kinds()
    assert "session_end" in kinds and "crash" not in kinds, kinds


async def test_enter_on_the_blanked_results_while_the_recorder_is_stopped(room):  # noqa: F811
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _search(pilot, app)
        screen.query_one(ResultList).focus()
        await _stop(pilot, app, room)
        try:
            await pilot.press("enter")  # on the blanked list
            await pilot.pause(0.3)
            assert not app.crashed
            assert app.is_running
            assert "value_" not in shown(app)
        finally:
            os.kill(room.process.pid, signal.SIGCONT)
        await until(pilot, lambda: "NOT RECORDING" not in bar(app), tries=400)
        assert not app.crashed
    service.seal()
    service.close()
    assert "crash" not in room.kinds()
