"""`ctrl+p`: open a file by typing parts of its path (fuzzy, in order).

Matching runs in a worker thread, one per keystroke, each cancelling the last
(`pathmatch`: linear time, checks for cancellation as it goes), so a hostile
file list never blocks the event loop: guard alerts and the idle lock still act
while it runs. Each answer is bounded (`name_matcher`): when it searched only
the first names, the count line says so in words and asks for more typing,
which narrows and takes the search further. Enter picks from the list for the
query as typed, waiting for its match if that is still running.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from ...sanitize import clean, decode
from ...session.name_matcher import Matched
from ...session.pathmatch import MAX_QUERY, Cancelled
from ...session.recorder import RecordingError
from ..bounded_input import BoundedInput
from ..optionlist import SteadyOptionList
from .dialogs import InputDialog

SHOWN = 100

# (query, cancelled) -> the paths to list, how many matched and among how many names,
# once recorded; None, or RecordingError saying why: they could not be recorded, list
# nothing and say so. The service matches; the names are what the ledger says was shown.
Names = Callable[[str, Callable[[], bool]], Matched | None]


class QuickOpenScreen(InputDialog):
    """Dismisses with (path, query, how many matched), or None."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel"), Binding("down", "focus_list", show=False)]
    DEFAULT_CSS = """
    QuickOpenScreen { align: center top; }
    QuickOpenScreen > Vertical { width: 90%; height: 70%; margin-top: 2; border: thick $primary; }
    QuickOpenScreen #count { height: 1; color: $text-muted; }
    """

    def __init__(self, names: Names) -> None:
        super().__init__()
        self._names = names
        self.matched = 0
        self.shown: list[bytes] = []
        self.shown_for: str | None = None
        self._submit_when_shown: str | None = None
        self._count_text = ""
        self._limit_said = False

    def compose(self) -> ComposeResult:
        with Vertical():
            yield BoundedInput(placeholder="Type part of a path (or several parts, spaced)",
                               max_length=MAX_QUERY, id="query",
                               on_full=self.limit_reached)  # fmt: skip
            yield Static("", id="count", markup=False)
            yield SteadyOptionList(markup=False, id="matches")

    def on_mount(self) -> None:
        self._match("")

    def on_input_changed(self, event: Input.Changed) -> None:
        self._match(event.value)

    def _refresh_matches(self, query: str) -> None:
        """List the matches of `query` again (after a lock): recorded before shown."""
        self._match(query)

    @work(thread=True, exclusive=True, group="quick_open")
    def _match(self, query: str) -> None:
        worker = get_current_worker()
        try:
            answer = self._names(query, lambda: worker.is_cancelled)
        except Cancelled:
            return
        except RecordingError as exc:  # fail closed: list nothing, and say why
            if not worker.is_cancelled:
                self.app.call_from_thread(self._show_failure, query, str(exc))
            return
        if answer is None:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._show_failure, query, "recording failed")
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._show_matches, query, answer)

    def _show_failure(self, query: str, why: str) -> None:
        """The names could not be recorded, so none is listed (not "No matches"):
        the list is emptied, whatever an earlier query listed."""
        if self.dismissed or query != self.query_one(Input).value:
            return
        self.shown, self.shown_for, self.matched = [], query, 0
        self._submit_when_shown = None
        self.query_one(OptionList).clear_options()
        self._say(f"Recording failed; nothing listed: {clean(why)}")

    def _show_matches(self, query: str, found: Matched) -> None:
        if self.dismissed or query != self.query_one(Input).value:
            return  # a newer keystroke's match is on its way (this one was recorded)
        shown = found.paths
        self.shown, self.shown_for, self.matched = shown, query, found.matches
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(Text(clean(decode(p))), id=p.hex()) for p in shown])
        if shown:
            options.highlighted = 0
        self._say(count_line(query, found))
        if self._submit_when_shown == query:
            self._submit_when_shown = None
            self._choose_highlighted()

    def _say(self, text: str) -> None:
        """The count line, and the limit when the query is at it."""
        self._count_text = text
        self._limit_said = len(self.query_one(Input).value) >= MAX_QUERY
        limit = f" · query limit reached ({MAX_QUERY} characters)" if self._limit_said else ""
        self.query_one("#count", Static).update(text + limit)

    def limit_reached(self) -> None:
        if not self._limit_said:
            self._say(self._count_text)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.value != self.shown_for:  # Enter came before the list caught up
            self._submit_when_shown = event.value
            return
        self._choose_highlighted()

    def _choose_highlighted(self) -> None:
        highlighted = self.query_one(OptionList).highlighted or 0
        if self.shown:
            self._choose(self.shown[min(highlighted, len(self.shown) - 1)].hex())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option.id)

    def _choose(self, option_id: str | None) -> None:
        if option_id is not None:
            query = self.query_one(Input).value
            self.dismiss((bytes.fromhex(option_id), query, self.matched))

    def action_focus_list(self) -> None:
        self.query_one(OptionList).focus()


def count_line(query: str, found: Matched) -> str:
    """What the list holds, in words: a partial answer says how far it searched."""
    shown, matched = len(found.paths), found.matches
    counted = f"{matched:,} match{'es' if matched != 1 else ''}"
    if found.partial:
        more = f"; showing the first {shown:,}" if shown < matched else ""
        return (f"{counted} in the first {found.searched:,} of {found.total:,} names{more}; "
                "type more to narrow")  # fmt: skip
    if matched == 0:
        return "No matches" if query.strip() else "No files"
    more = f", showing the first {shown:,}" if shown < matched else ""
    return f"{counted}{more}"
