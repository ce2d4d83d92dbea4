"""`EventList`: every entry of the ledger, one sanitized line each, the current
one highlighted. Drawn on the Line API, so a 100k-entry ledger costs only the
lines on screen."""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...forensics.replay import Replay
from .stage import step_line

CURRENT = Style(reverse=True, bold=True)
ALERT = Style(color="yellow", bold=True)
ALARM_KINDS = frozenset({"alert", "recording_failed", "session_resume", "blocked", "crash"})


class EventList(ScrollView, can_focus=False):
    DEFAULT_CSS = "EventList { width: 36; border-right: solid $panel; }"

    @dataclass
    class Picked(Message):
        """A row was clicked: show that step."""

        index: int

    def __init__(self, replay: Replay, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.replay = replay
        self.current = 0
        self._lines: dict[int, str] = {}

    def on_mount(self) -> None:
        self.virtual_size = Size(self.size.width, len(self.replay))

    def select(self, index: int) -> None:
        self.current = index
        top, height = int(self.scroll_offset.y), max(1, self.size.height)
        if not top <= index < top + height:
            self.scroll_to(y=max(0, index - height // 2), animate=False, force=True)
        self.refresh()

    def render_line(self, y: int) -> Strip:
        index = int(self.scroll_offset.y) + y
        width = self.size.width
        if index >= len(self.replay):
            return Strip.blank(width)
        line = self._lines.get(index)
        if line is None:
            line = self._lines[index] = step_line(self.replay, index, compact=True)
        kind = self.replay.steps[index].entry.kind
        style = CURRENT if index == self.current else ALERT if kind in ALARM_KINDS else Style()
        return Strip([Segment(line, style)]).crop_extend(0, width, style)

    def on_click(self, event: events.Click) -> None:
        index = int(self.scroll_offset.y) + event.y
        if 0 <= index < len(self.replay):
            self.post_message(self.Picked(index))
