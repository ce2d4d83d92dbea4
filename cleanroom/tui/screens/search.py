"""`s`: search the snapshot. Literal or regex, case, path globs. The search runs
in a worker thread (Escape cancels). Its first page (the hits found within its
time, at most 100: ADR 0116) is listed as soon as it is recorded
(`search_start`), while the pass goes on; no row past it, and no count, until
the whole result is recorded with its hit count and digest. Enter opens the file at the chosen
line (before the count is known, that stops the search: `n` / `N` then step
through the first page); `n` / `N` on the main screen step through the results."""

from __future__ import annotations

import re
from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Checkbox, Input, OptionList, Static

from ...sanitize import clean
from ...session.recorder import RecordingError
from ...session.service import Results, ReviewService
from ...snapshot.search import Query, SearchError
from ..bounded_input import BoundedInput
from ..results import ResultList
from .dialogs import InputDialog

# What the boxes take: the protocol's bound on a query (docs/protocol.md §4), and
# as much for each list of globs. A key past it is dropped at no cost (BoundedInput).
MAX_SEARCH = 4096
MAX_GLOBS = 4096
GLOB_SEPARATOR = re.compile(r"(?<!\\)[,\s]+")  # a comma or space; `\,` is a comma


def globs(text: str) -> list[str]:
    """`*.c, *.h drivers/` as three globs: commas and spaces both separate."""
    return [g for g in GLOB_SEPARATOR.split(text) if g]


def switch_label(name: str, on: bool) -> str:
    return f"{name}: {'ON' if on else 'off'}"


class SearchScreen(InputDialog):
    """Dismisses with (found, chosen result index), or None."""

    BINDINGS = [Binding("escape", "cancel_search", "Close")]
    DEFAULT_CSS = """
    SearchScreen { align: center top; }
    SearchScreen > Vertical { width: 95%; height: 90%; margin-top: 1; border: thick $primary; }
    SearchScreen Horizontal { height: auto; }
    SearchScreen #include, SearchScreen #exclude { width: 1fr; }
    SearchScreen #state { height: 1; color: $text-muted; }
    """

    def __init__(self, service: ReviewService, last: Results | None = None,
                 start: Query | None = None) -> None:  # fmt: skip
        super().__init__()
        self.service = service
        self.found = last
        self.start = start  # run at once: find references (tui/symbol_nav.py)
        self._handles: list[Any] = []

    def compose(self) -> ComposeResult:
        with Vertical():
            yield BoundedInput(placeholder="Search the snapshot", max_length=MAX_SEARCH, id="query")
            with Horizontal():
                yield Checkbox(switch_label("Regex", False), id="regex")
                yield Checkbox(switch_label("Match case", True), value=True, id="case")
                # whole at 80x24
                yield BoundedInput(placeholder="*.c src/", max_length=MAX_GLOBS, id="include")
                yield BoundedInput(placeholder="not: test/", max_length=MAX_GLOBS, id="exclude")
            yield Static("", id="state", markup=False)
            yield ResultList(self._rows_gate, id="results")

    def on_mount(self) -> None:
        # Opens clean: the last results under a new query would say what it did not find.
        self.query_one("#query", Input).focus()
        if self.start is not None:  # shown as typed: regex on, case on, the query itself
            self.query_one("#query", Input).value = self.start.text
            self.query_one("#regex", Checkbox).value = self.start.regex
            self.query_one("#case", Checkbox).value = self.start.case
            self._state("Finding references… (Escape stops)")
            self._run(self.start)
        elif self.found is not None:
            self._state(
                f"The last search's {self.found.total:,} results: n / N on the main screen."
            )

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        name = "Regex" if event.checkbox.id == "regex" else "Match case"
        event.checkbox.label = switch_label(name, event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = self.query_one("#query", Input).value
        if not text:
            return
        try:
            query = Query(
                text,
                regex=self.query_one("#regex", Checkbox).value,
                case=self.query_one("#case", Checkbox).value,
                include=globs(self.query_one("#include", Input).value),
                exclude=globs(self.query_one("#exclude", Input).value),
            )
        except SearchError as exc:
            self._state(f"Not a valid search: {clean(exc)}")
            return
        self._state("Searching… (Escape stops)")
        self.query_one(ResultList).show(0)
        self._run(query)

    @work(thread=True, exclusive=True, group="search")
    def _run(self, query: Query) -> None:
        self._handles.clear()
        try:
            found = self.service.search(query, self._handles, self._first_page)
        except SearchError as exc:
            self.app.call_from_thread(self._state, f"Search stopped: {clean(exc)}")
            return
        except RecordingError as exc:
            self.app.call_from_thread(self._state, f"Not recorded, not shown: {clean(exc)}")
            return
        self.app.call_from_thread(self._show, found)

    class FirstPageRecorded(Message):
        """The first page of the running search is recorded (`search_start`)."""

        def __init__(self, found: Results) -> None:
            super().__init__()
            self.found = found

    def _first_page(self, found: Results) -> None:
        """From the search thread, which goes on at once (a message, not a wait on
        the UI): the first page is recorded; list it."""
        self.post_message(self.FirstPageRecorded(found))

    def on_search_screen_first_page_recorded(self, message: FirstPageRecorded) -> None:
        last = self.found
        if last is not None and last.done and last.seq > message.found.seq:
            return  # the whole result came first
        self._show(message.found)

    def _show(self, found: Results, focus: bool = True) -> None:
        if self.dismissed:  # Escape won the race: recorded, and now nothing to show
            return
        results = self.query_one(ResultList)
        again = self.found is not None and not self.found.done and found.done
        self.found = found
        shown = found.kept
        if not found.done:
            self._state(f"The first {shown:,} results; counting the rest… (Escape stops)")
        else:
            more = f" (showing the first {shown:,})" if shown < found.total else ""
            self._state(f"{found.total:,} results{more}. Enter opens; n / N step through them.")
        at = results.highlighted if again else None
        results.show(shown)
        if at is not None and at < shown:  # the whole result after its first page
            results.highlighted = at
        if shown and focus and not again:
            results.focus()

    class RowsRecorded(Message):
        """Result rows were recorded (the status bar's entry count changed), and
        these `rows` of search `seq` listed: their hits may be marked in the code."""

        def __init__(self, seq: int | None = None, rows: list[Any] | None = None) -> None:
            super().__init__()
            self.seq, self.rows = seq, rows or []

    def _rows_gate(self, first: int, last: int) -> list[Any] | None:
        if self.found is None:
            return None
        rows = self.service.rows(self.found, first, last)
        seq = None if rows is None else self.found.seq
        self.post_message(self.RowsRecorded(seq, rows))
        return rows

    def _state(self, message: str) -> None:
        if self.dismissed:
            return
        self.query_one("#state", Static).update(message)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if self.found is not None:
            if not self.found.done:  # the rest is not needed: stop it (recorded)
                for handle in self._handles:
                    handle.cancel()
            self.dismiss((self.found, event.option_index))

    def action_cancel_search(self) -> None:
        for handle in self._handles:
            handle.cancel()
        self.dismiss(None)
