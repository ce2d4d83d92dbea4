"""`ReplayApp`: step through a verified ledger and see what the reviewer saw.

Locked down like the reviewer terminal (`LockedApp`: no clipboard, screenshots,
export, shell or URLs; only the replay actions run). It records nothing and
writes nothing: the asciicast export is a separate, non-interactive command.
Each step draws `stage_of(step)` with the reviewer's own painter, banner,
result rows and file-name labels, so a viewport looks exactly as it did on the
workstation.
"""

from __future__ import annotations

import bisect
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, ScrollableContainer, Vertical
from textual.timer import Timer
from textual.widgets import Static

from ...forensics.describe import duration
from ...forensics.replay import Replay
from ...sanitize import clean, decode
from ..actions import REPLAY_ACTIONS, REPLAY_ALLOWED, REPLAY_NAVIGATION, bindings
from ..keyfooter import KeyFooter
from ..lockdown import LockedApp
from ..screens.help import HelpScreen
from .events import EventList, file_rows
from .jump import JumpScreen
from .stage import stage_of
from .view import ReplayView

SPEEDS = (1, 2, 4, 8, 16, 32, 64)
MAX_WAIT_S = 2.0  # when playing, a longer pause between entries is cut to this


class ReplayApp(LockedApp):
    CSS_PATH = Path(__file__).with_name("replay.tcss")
    BINDINGS = bindings(REPLAY_ACTIONS)
    ALLOWED_ACTIONS = REPLAY_ALLOWED
    TITLE = "Cleanroom replay"

    def __init__(self, replay: Replay, title: str, *, start: int = 0, alarm: bool = False) -> None:
        super().__init__()
        self.replay = replay
        self.heading, self.alarm = title, alarm
        self.index = min(max(start, 0), max(len(replay) - 1, 0))
        self.speed = 1
        self._timer: Timer | None = None
        self.only: bytes | None = None  # the file whose events alone are listed and stepped

    def compose(self) -> ComposeResult:
        title = Static(Text(self.heading, style="bold"), id="title", markup=False)
        title.set_class(self.alarm, "alarm")
        yield title
        with Horizontal(id="main"):
            yield EventList(self.replay, id="events")
            with Vertical(id="viewer"):
                yield Static("", id="banner", markup=False)
                with ScrollableContainer(id="stage", can_focus=False):
                    yield ReplayView(id="code")
                    yield Static("", id="results", markup=False)
                    yield Static("", id="message", markup=False)
        yield Static("", id="status", markup=False)
        yield KeyFooter()

    def on_mount(self) -> None:
        self.animation_level = "none"
        if len(self.replay):
            self.show(self.index)
        else:
            self.query_one("#message", Static).update("This ledger has no entries to replay.")

    # -- drawing a step ----------------------------------------------------------

    def show(self, index: int) -> None:
        self.index = index
        stage = stage_of(self.replay, index)
        banner = self.query_one("#banner", Static)
        banner.update(stage.banner)
        banner.set_class(stage.alarm, "alarm")
        code = self.query_one(ReplayView)
        code.display = stage.kind == "code"
        if stage.kind == "code":
            assert stage.opened is not None and stage.viewport is not None
            code.show(stage.opened.document, stage.viewport)
        results = self.query_one("#results", Static)
        results.display = stage.kind in ("results", "names") and bool(stage.rows)
        if stage.rows:
            rows = Text("\n").join(stage.rows)
            rows.no_wrap, rows.overflow = True, "ellipsis"  # one result per row, as listed
            results.update(rows)
        message = self.query_one("#message", Static)
        message.display = bool(stage.message)
        message.update(stage.message)
        self.query_one(EventList).select(index)
        self._status()

    def _status(self) -> None:
        n = len(self.replay)
        entry = self.replay.steps[self.index].entry
        playing = f"▶ playing {self.speed}×" if self._timer else f"⏸ paused ({self.speed}×)"
        checks = list(self.replay.searches.values())
        bad = sum(1 for c in checks if not c.ok)
        searches = (f"searches: {bad} of {len(checks)} DIFFER" if bad
                    else f"searches: {len(checks)} re-run, all match")  # fmt: skip
        rows = self.query_one(EventList).rows
        only = (f"  only {clean(decode(self.only))}: {len(rows or [])} events"
                if self.only is not None else "")  # fmt: skip
        text = (f" #{entry.seq}  {self.index + 1}/{n}  {entry.time or '?'}"
                f"  +{duration(self.replay.offset_us(self.index))}  {clean(entry.kind)}"
                f"  {playing}  {searches}{only}")  # fmt: skip
        self.query_one("#status", Static).update(Text(text, no_wrap=True, overflow="ellipsis"))

    def on_event_list_picked(self, message: EventList.Picked) -> None:
        self._pause()
        self.show(message.index)

    def on_blocked(self, action: str, detail: str = "") -> None:
        self.notify(f"Not allowed in replay: {clean(action)}", markup=False)

    # -- actions (names in actions.REPLAY_ACTIONS) --------------------------------

    def action_next_step(self) -> None:
        self._pause()
        self._move(+1)

    def action_previous_step(self) -> None:
        self._pause()
        self._move(-1)

    def action_first_step(self) -> None:
        self._pause()
        self._go(0)

    def action_last_step(self) -> None:
        self._pause()
        self._go(len(self.replay) - 1)

    def action_next_search(self) -> None:
        self._pause()
        later = [i for i in self.replay.search_indexes if i > self.index]
        if later:
            self.show(later[0])
        else:
            self.notify("No more searches after this entry.", markup=False)

    def action_jump(self) -> None:
        self._pause()
        self.push_screen(JumpScreen(self.replay), self._jumped)

    def _jumped(self, index: int | None) -> None:
        if index is not None:
            self.show(index)

    def action_toggle_play(self) -> None:
        if self._timer is not None:
            self._pause()
        else:
            self._schedule()
        self._status()

    def action_faster(self) -> None:
        self.speed = SPEEDS[min(SPEEDS.index(self.speed) + 1, len(SPEEDS) - 1)]
        self._status()

    def action_slower(self) -> None:
        self.speed = SPEEDS[max(SPEEDS.index(self.speed) - 1, 0)]
        self._status()

    def action_help(self) -> None:
        note = "Replay records nothing and nothing can be copied, saved or printed from it."
        self.push_screen(HelpScreen(REPLAY_ACTIONS, note, REPLAY_NAVIGATION))

    def action_filter_file(self) -> None:
        """List and step through only the events of the file on screen; again: all."""
        events = self.query_one(EventList)
        if self.only is not None:
            self.only = None
            events.only(None)
            self._status()
            return
        screen = self.replay.steps[self.index].screen if len(self.replay) else None
        vp = screen.viewport if screen else None
        path = vp.path if vp else screen.file.raw_path if screen and screen.file else None
        if path is None:
            self.notify("No file on screen: show a file's event first.", markup=False)
            return
        self._pause()
        self.only = path
        events.only(file_rows(self.replay, path))
        self._status()

    def action_quit(self) -> None:
        self.exit()

    # -- moving and playing --------------------------------------------------------

    def _go(self, index: int) -> None:
        if len(self.replay):
            self.show(min(max(index, 0), len(self.replay) - 1))

    def _move(self, step: int) -> None:
        rows = self.query_one(EventList).rows
        if rows is None:
            self._go(self.index + step)
            return
        # Filtered: the next (or previous) listed step, staying put at either end.
        at = bisect.bisect_right(rows, self.index) if step > 0 else bisect.bisect_left(
            rows, self.index) - 1  # fmt: skip
        if 0 <= at < len(rows):
            self.show(rows[at])

    def _schedule(self) -> None:
        if self.index + 1 >= len(self.replay):
            self._timer = None
            return
        wait = min(self.replay.gap_us(self.index) / 1e6 / self.speed, MAX_WAIT_S)
        self._timer = self.set_timer(max(wait, 0.01), self._advance)

    def _advance(self) -> None:
        self.show(self.index + 1)
        self._schedule()
        self._status()

    def _pause(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
