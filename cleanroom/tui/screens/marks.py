"""Marks: `m` asks for the letter of a mark to set; `'` lists the marks set and
jumps to the one whose letter is typed. Each dismisses with a letter, or None."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from ..failure_blank import HIDDEN, BlanksOnFailure
from .dialogs import DIALOG_CSS
from .once import ClosesOnce

LETTERS = "abcdefghijklmnopqrstuvwxyz"


class _LetterScreen(ClosesOnce, ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "dismiss", "Cancel")]

    def on_key(self, event: events.Key) -> None:
        if event.character is not None and event.character in LETTERS and event.key != "escape":
            event.stop()
            self.dismiss(event.character)


class SetMarkScreen(_LetterScreen):
    SHOWS_RECORDED = False
    DEFAULT_CSS = DIALOG_CSS.format(name="SetMarkScreen")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Set a mark at the top line: type a letter a-z (Escape cancels).",
                         markup=False)  # fmt: skip


class MarksScreen(BlanksOnFailure, _LetterScreen):
    """The marks set (letter, file, line; names sanitized by the caller)."""

    DEFAULT_CSS = DIALOG_CSS.format(name="MarksScreen")

    def __init__(self, marks: list[tuple[str, str, int]]) -> None:
        super().__init__()
        self.marks = marks

    def compose(self) -> ComposeResult:
        rows = [f"  {k}  line {line:>7}  {name}" for k, name, line in self.marks]
        with Vertical():
            yield Static("Marks: type a letter to jump (Escape cancels).", markup=False)
            yield Static("\n".join(rows) or "  No marks yet: m and a letter sets one.",
                         markup=False, id="marks")  # fmt: skip

    def blank_shown(self) -> None:
        """Recording failed: the marks' file names go (failure_blank.py); a letter
        still jumps, recorded first as every jump is."""
        self.query_one("#marks", Static).update(HIDDEN)
