"""`ctrl+p`: open a file by typing parts of its path (fuzzy, in order)."""

from __future__ import annotations

import re
from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, OptionList
from textual.widgets.option_list import Option

from ...sanitize import clean, decode
from .dialogs import InputDialog

SHOWN = 100

# (query, the paths about to be listed, how many matched) -> recorded? Nothing is
# listed unless it is: the names are what the ledger says was shown.
ListGate = Callable[[str, list[bytes], int], bool]


def fuzzy(paths: list[bytes], query: str, limit: int = SHOWN) -> tuple[list[bytes], int]:
    """Paths containing the query's characters in order, best first; and how many matched."""
    if not query:
        return paths[:limit], len(paths)
    pattern = re.compile(".*?".join(re.escape(c) for c in query), re.IGNORECASE)
    scored = []
    for p in paths:
        text = decode(p)
        m = pattern.search(text)
        if m:
            base = text.rsplit("/", 1)[-1]
            in_base = 0 if pattern.search(base) else 1
            scored.append((in_base, m.end() - m.start(), len(text), p))
    scored.sort()
    return [s[3] for s in scored[:limit]], len(scored)


class QuickOpenScreen(InputDialog):
    """Dismisses with (path, query, how many matched), or None."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel"), Binding("down", "focus_list", show=False)]
    DEFAULT_CSS = """
    QuickOpenScreen { align: center top; }
    QuickOpenScreen > Vertical { width: 90%; height: 70%; margin-top: 2; border: thick $primary; }
    """

    def __init__(self, paths: list[bytes], gate: ListGate) -> None:
        super().__init__()
        self.paths = paths
        self._gate = gate
        self.matched = len(paths)
        self.shown: list[bytes] = []
        self.shown_for: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Input(placeholder="Type part of a path", id="query")
            yield OptionList(markup=False, id="matches")

    def on_mount(self) -> None:
        self._refresh_matches("")

    def on_input_changed(self, event: Input.Changed) -> None:
        self._refresh_matches(event.value)

    def _refresh_matches(self, query: str) -> None:
        shown, self.matched = fuzzy(self.paths, query)
        if not self._gate(query, shown, self.matched):
            shown = []  # not recorded: list nothing
        self.shown, self.shown_for = shown, query
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(Text(clean(decode(p))), id=p.hex()) for p in shown])
        if shown:
            options.highlighted = 0

    def on_input_submitted(self, event: Input.Submitted) -> None:
        # Enter can arrive before the list caught up with fast typing: match again.
        if event.value != self.shown_for:
            self._refresh_matches(event.value)
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
