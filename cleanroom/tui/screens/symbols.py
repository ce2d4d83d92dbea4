"""Following code's dialogs (issue 15): a name to look up (`d`, `r`), a chooser
of symbols (an outline, several definitions), and symbol quick open (`ctrl+t`).

Nothing here asks the index: every list is handed in as the service answered it,
after the recorder recorded it (`symbol_outline`, `symbol_definitions`,
`symbol_quick_open`). Names and paths are untrusted and sanitized to be drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from ...sanitize import clean
from ...session.symbols import MAX_NAME_BYTES
from ..bounded_input import BoundedInput
from ..failure_blank import HIDDEN, BlanksOnFailure
from ..optionlist import SteadyOptionList
from ..symbol_rows import symbol_prompt
from .dialogs import DIALOG_CSS, InputDialog
from .once import ClosesOnce

LIST_CSS = """
{name} {{ align: center top; }}
{name} > Vertical {{ width: 90%; height: 80%; margin-top: 1; border: thick $primary; }}
{name} #title {{ height: 1; text-style: bold; }}
{name} #count {{ height: 1; color: $text-muted; }}
{name} OptionList {{ height: 1fr; }}
"""


class NameScreen(BlanksOnFailure, InputDialog):
    """A symbol name, pre-filled with the word at the cursor; dismisses with the
    name, or None."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel")]
    DEFAULT_CSS = DIALOG_CSS.format(name="NameScreen")

    def __init__(self, prompt: str, word: str) -> None:
        super().__init__()
        self.prompt, self.word = prompt, word

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.prompt, markup=False)
            yield BoundedInput(self.word, placeholder="a symbol name", max_length=MAX_NAME_BYTES,
                        id="name")  # fmt: skip

    def on_mount(self) -> None:
        for box in self.query(Input).results(Input):  # none if taken down before (atk15 F3)
            box.focus()

    def blank_shown(self) -> None:
        """Recording failed: the word taken from the code goes (failure_blank.py)."""
        box = self.query_one(Input)
        if self.word and box.value == self.word:
            box.value = ""

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.strip() or None)


@dataclass(frozen=True)
class Pages:
    """Where a list that is one page of a longer one (an outline, ADR 0127) lies:
    after its first `offset` rows, pages of `size`, `total` in all."""

    offset: int
    size: int
    total: int

    def next(self) -> int | None:
        after = self.offset + self.size
        return after if after < self.total else None

    def previous(self) -> int | None:
        return max(0, self.offset - self.size) if self.offset > 0 else None


@dataclass(frozen=True)
class PageTurn:
    """What a paged list is dismissed with when another page is asked for: the
    caller asks for it (recorded) and shows it in a new list."""

    offset: int


class SymbolListScreen(BlanksOnFailure, ClosesOnce, ModalScreen[Any]):
    """A chooser of symbols (outline, definitions), drawn as recorded; dismisses
    with the symbol chosen, None, or (a paged list: `]`, `[`) a PageTurn."""

    BINDINGS = [
        Binding("escape", "dismiss", "Close"),
        Binding("right_square_bracket", "list_page(1)", "Next page", show=False),
        Binding("left_square_bracket", "list_page(-1)", "Previous page", show=False),
    ]
    DEFAULT_CSS = LIST_CSS.format(name="SymbolListScreen")

    def __init__(self, title: str, rows: list[Any], count: str, with_path: bool = True,
                 at: int = 0, again: Callable[[], Any] | None = None,
                 pages: Pages | None = None) -> None:  # fmt: skip
        super().__init__()
        self.title_text, self.rows, self.count = title, rows, count
        self.with_path, self.at = with_path, at
        self._again = again
        self.pages = pages

    def action_list_page(self, step: int) -> None:
        """Another page of a paged list, if there is one that way."""
        if self.pages is None or not self.rows:  # blanked after a failure: no more
            return
        offset = self.pages.next() if step > 0 else self.pages.previous()
        if offset is None:
            self.app.bell()
            return
        self.dismiss(PageTurn(offset))

    def record_again(self) -> None:
        """A lock came off with this list in front: it is shown again, so it is
        recorded again first (the service's answer); if that fails, it closes."""
        try:
            found = self._again() if self._again is not None else None
        except Exception as exc:  # RecordingError, SymbolsUnavailable: show none of it
            self.app.notify(f"Not recorded, not shown: {exc}", markup=False,
                            severity="error")  # fmt: skip
            found = None
        if found is None or list(found.rows) != list(self.rows):
            self.dismiss(None)

    def blank_shown(self) -> None:
        """Recording failed: the rows go (failure_blank.py), and the title and
        count that name what they listed."""
        self.rows = []
        self.query_one(OptionList).clear_options()
        self.query_one("#title", Static).update(HIDDEN)
        self.query_one("#count", Static).update("")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self.title_text, markup=False, id="title")
            yield Static(self.count, markup=False, id="count")
            options = [Option(symbol_prompt(s, self.with_path)) for s in self.rows]
            yield SteadyOptionList(*options, id="symbols")

    def on_mount(self) -> None:
        # None when the list was taken down before it finished mounting (a key
        # flood: atk15 F3), which crashed the terminal with NoMatches.
        for options in self.query(OptionList).results(OptionList):
            if self.rows:
                options.highlighted = min(self.at, len(self.rows) - 1)
            options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.rows[event.option_index])


# typed -> the names recorded for it; raises SymbolsUnavailable or RecordingError
SymbolNames = Callable[[str], list[str]]


class SymbolQuickOpenScreen(InputDialog):
    """`ctrl+t`: type part of a symbol's name; the names are listed once recorded
    (`symbol_quick_open`, one per query). Dismisses with the name chosen, or None."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel"), Binding("down", "focus_list", show=False)]
    DEFAULT_CSS = LIST_CSS.format(name="SymbolQuickOpenScreen")

    def __init__(self, names: SymbolNames) -> None:
        super().__init__()
        self._names = names
        self.shown: list[str] = []
        self.shown_for: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield BoundedInput(placeholder="Type part of a symbol's name (case matters)",
                        max_length=MAX_NAME_BYTES, id="query")  # fmt: skip
            yield Static("Type a name.", id="count", markup=False)
            yield SteadyOptionList(id="matches")

    def on_mount(self) -> None:
        for box in self.query(Input).results(Input):  # none if taken down before (atk15 F3)
            box.focus()

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.value:
            self._match(event.value)

    def refresh_matches(self) -> None:
        """List the names again (after a lock): recorded again before shown."""
        if self.shown_for:
            self._match(self.shown_for)

    @work(thread=True, exclusive=True, group="symbol_names")
    def _match(self, typed: str) -> None:
        try:
            names = self._names(typed)
        except Exception as exc:  # SymbolsUnavailable, RecordingError: list none, say why
            self.app.call_from_thread(self._show, typed, [], clean(str(exc)))
            return
        self.app.call_from_thread(self._show, typed, names, "")

    def _show(self, typed: str, names: list[str], why: str) -> None:
        if self.dismissed or typed != self.query_one(Input).value:
            return
        self.shown, self.shown_for = names, typed
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(Text(clean(n))) for n in names])
        if names:
            options.highlighted = 0
        count = why or (f"{len(names)} names" if names else "No matches")
        self.query_one("#count", Static).update(count)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self.shown and event.value == self.shown_for:
            at = self.query_one(OptionList).highlighted or 0
            self.dismiss(self.shown[min(at, len(self.shown) - 1)])

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.shown[event.option_index])

    def action_focus_list(self) -> None:
        self.query_one(OptionList).focus()
