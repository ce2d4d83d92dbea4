"""`EventList`: every entry of the ledger, one sanitized line each, the current
one highlighted. Drawn on the Line API, so a 100k-entry ledger costs only the
lines on screen. It takes the width the screen gives it (a third, at least 36
columns), with the date in each line when there is room; `only` narrows it to
the entries that name one file (`file_rows`)."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...forensics.replay import Replay
from ..painter import PAD
from .stage import step_line

CURRENT = Style(reverse=True, bold=True)
ALERT = Style(color="yellow", bold=True)
ALARM_KINDS = frozenset({"alert", "recording_failed", "session_resume", "blocked", "crash"})


WIDE = 60  # columns from which each line carries the date, not only the time


def file_rows(replay: Replay, path: bytes) -> list[int]:
    """The steps whose entry names file `path` (opened, viewed, gone to)."""
    return [
        i for i, step in enumerate(replay.steps)
        if getattr(step.entry.event, "raw_path", None) == path
    ]  # fmt: skip


class EventList(ScrollView, can_focus=False):
    DEFAULT_CSS = "EventList { width: 1fr; min-width: 36; border-right: solid $panel; }"

    @dataclass
    class Picked(Message):
        """A row was clicked: show that step."""

        index: int

    def __init__(self, replay: Replay, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.replay = replay
        self.current = 0
        self.rows: list[int] | None = None  # the steps listed; None: all of them
        self._lines: dict[tuple[int, bool], str] = {}

    def on_mount(self) -> None:
        self.virtual_size = Size(self.size.width, self._count())

    def on_resize(self) -> None:
        self.virtual_size = Size(self.size.width, self._count())

    def _count(self) -> int:
        return len(self.replay) if self.rows is None else len(self.rows)

    def _step(self, row: int) -> int | None:
        if self.rows is None:
            return row if 0 <= row < len(self.replay) else None
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _row(self, index: int) -> int:
        """The row of step `index`, or of the listed step before it."""
        if self.rows is None:
            return index
        return max(0, bisect.bisect_right(self.rows, index) - 1)

    def only(self, rows: list[int] | None) -> None:
        """List only the steps `rows` (ascending), or every step again for None."""
        self.rows = rows
        self.virtual_size = Size(self.size.width, self._count())
        self.scroll_to(y=0, animate=False, force=True)
        self.select(self.current)

    def select(self, index: int) -> None:
        self.current = index
        row = self._row(index)
        top, height = int(self.scroll_offset.y), max(1, self.size.height)
        if not top <= row < top + height:
            self.scroll_to(y=max(0, row - height // 2), animate=False, force=True)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        index = self._step(int(self.scroll_offset.y) + y)
        if index is None:
            return Strip.blank(width, PAD)
        compact = width < WIDE
        line = self._lines.get((index, compact))
        if line is None:
            if len(self._lines) > 10_000:
                self._lines.clear()
            line = self._lines[(index, compact)] = step_line(self.replay, index, compact)
        kind = self.replay.steps[index].entry.kind
        style = CURRENT if index == self.current else ALERT if kind in ALARM_KINDS else Style()
        return Strip([Segment(line, style)]).crop_extend(0, width, style)

    def on_click(self, event: events.Click) -> None:
        index = self._step(int(self.scroll_offset.y) + event.y)
        if index is not None:
            self.post_message(self.Picked(index))
