"""Issue 12's second attack, finding 2: a stalled recorder (SIGSTOP) turned the bar
red and said "source hidden", but every search result row stayed on screen until
a key. A recording failure now blanks, at once, every list that shows source or
names (results, symbol lists, quick open), not only the code view; result rows
come back only from a fresh recorded view once the recorder answers again."""

from __future__ import annotations

import os
import signal

from textual.strip import Strip
from textual.widgets import OptionList

from cleanroom.recorder.client import RemoteService
from cleanroom.tui.app import ReviewApp
from cleanroom.tui.results import ResultList
from cleanroom.tui.screens.quickopen import QuickOpenScreen
from cleanroom.tui.screens.search import SearchScreen
from tests.recorderproc import room, until  # noqa: F401 (room: a fixture)
from tests.test_tui_remote_stall import SIZE, bar


class Painted:
    """What the compositor last drew of a widget: its render_lines, watched."""

    def __init__(self, widget) -> None:
        self.last: list[Strip] = []
        inner = widget.render_lines

        def watched(crop):
            self.last = inner(crop)
            return self.last

        widget.render_lines = watched

    def text(self) -> str:
        return "\n".join(s.text for s in self.last)


async def test_a_stopped_recorder_blanks_the_search_results_at_once(room):  # noqa: F811
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "s")
        await until(pilot, lambda: isinstance(app.screen, SearchScreen))
        screen = app.screen
        painted = Painted(screen.query_one(ResultList))
        await pilot.press(*"value_", "enter")
        await until(pilot, lambda: "value_" in painted.text())
        os.kill(room.process.pid, signal.SIGSTOP)
        try:
            # No key: the status poll finds the recorder stalled.
            await until(pilot, lambda: "NOT RECORDING" in bar(app), tries=400)
            await pilot.pause(0.3)
            assert "value_" not in painted.text(), painted.text()
            assert app.screen is screen
        finally:
            os.kill(room.process.pid, signal.SIGCONT)
        # Back: the rows on screen are recorded again, then drawn.
        await until(pilot, lambda: "value_" in painted.text(), tries=400)
        assert "NOT RECORDING" not in bar(app)
    service.seal()
    service.close()


async def test_a_stopped_recorder_blanks_the_quick_open_names_at_once(room):  # noqa: F811
    service = RemoteService(room.socket)
    app = ReviewApp(service)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "ctrl+p")
        await until(pilot, lambda: isinstance(app.screen, QuickOpenScreen))
        screen = app.screen
        names = screen.query_one(OptionList)
        await pilot.press(*"long")
        await until(pilot, lambda: names.option_count > 0)
        os.kill(room.process.pid, signal.SIGSTOP)
        try:
            await until(pilot, lambda: "NOT RECORDING" in bar(app), tries=400)
            await pilot.pause(0.3)
            assert names.option_count == 0  # no name stays listed
            assert app.screen is screen
        finally:
            os.kill(room.process.pid, signal.SIGCONT)
        await until(pilot, lambda: "NOT RECORDING" not in bar(app), tries=400)
    service.seal()
    service.close()
