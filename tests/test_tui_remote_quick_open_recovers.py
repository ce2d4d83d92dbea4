"""Issue 12, atk12f's fourth finding: quick open said "Recording failed; nothing
listed" after the recorder came back, until another key. Search results come
back on their own once recording works (the reviewer's guide says so); quick
open's names now do too: listed again, recorded first, with no key pressed."""

from __future__ import annotations

import os
import signal

from textual.widgets import OptionList, Static

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.screens.quickopen import QuickOpenScreen
from tests.recorderproc import room, until  # noqa: F401 (room: a fixture)
from tests.test_tui_remote_stall import SIZE, bar
from tests.test_tui_remote_stall_keys import stopped


async def test_quick_open_lists_its_names_again_once_the_recorder_answers(room):  # noqa: F811
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, QuickOpenScreen))
        screen = app.screen
        names = screen.query_one(OptionList)
        count = screen.query_one("#count", Static)
        await pilot.press(*"lon")
        await until(pilot, lambda: names.option_count > 0)
        os.kill(room.process.pid, signal.SIGSTOP)
        try:
            await until(pilot, lambda: stopped(room.process.pid))
            await pilot.press("g")  # its names cannot be recorded: none listed
            await until(pilot, lambda: "nothing listed" in str(count.render()), tries=400)
            assert names.option_count == 0
        finally:
            os.kill(room.process.pid, signal.SIGCONT)
        await until(pilot, lambda: "NOT RECORDING" not in bar(app), tries=400)
        # No key: the names of "long" are asked again, recorded, then listed.
        await until(pilot, lambda: names.option_count > 0, tries=400)
        assert "nothing listed" not in str(count.render())
        assert app.screen is screen
    service.seal()
    service.close()
    listed = [e.payload for e in room.entries() if e.kind == "quick_open_list"]
    assert listed and listed[-1]["query"] == "long", listed[-3:]  # what is shown, recorded
