"""Small dialogs: go to line, and confirm ending the session."""

from __future__ import annotations

from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ..bounded_input import BoundedInput
from .once import ClosesOnce
from .tint import tint_cached

DIALOG_CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 60; height: auto; border: thick $primary; padding: 1 2; }}
"""


class InputDialog(ClosesOnce, ModalScreen[Any]):
    """A dialog around one Input. Keys typed right after it opens can arrive
    before the input has focus; they are handed to the input, not lost. Keys
    a `BoundedInput` cannot take (it is full) cost nothing: 100 KB typed into
    quick open kept the terminal busy 40 s, each key a refused insert, a bell
    and a redraw, and Escape waited behind them (outside attack on issue 12)."""

    def drops(self, event: events.Key) -> bool:
        """True for a printable key the focused input is too full to take (nothing
        selected to type over): the app drops it before forwarding it, and
        `limit_reached` is told. Keys already on their way to the input when it
        filled are dropped there (`BoundedInput`)."""
        box = self.focused
        if not (event.is_printable and isinstance(box, BoundedInput)):
            return False
        if not box.refuses(event.character):
            return False
        self.limit_reached()
        return True

    def limit_reached(self) -> None:
        """A key was dropped: the input is full. Cheap: it runs once per key."""

    def on_key(self, event: events.Key) -> None:
        if self.focused is None and event.is_printable and event.character:
            box = self.query_one(Input)
            box.focus()
            box.insert_text_at_cursor(event.character)
            event.stop()

    def render(self):  # noqa: ANN201 - Screen.render's own type
        return tint_cached(super().render())  # redrawn per key typed: screens/tint.py


class GotoScreen(InputDialog):
    """`:`: a line number; dismisses with it, or None."""

    SHOWS_RECORDED = False  # a line count, the typed number (failure_blank.py)

    BINDINGS = [Binding("escape", "dismiss", "Cancel")]
    DEFAULT_CSS = DIALOG_CSS.format(name="GotoScreen")

    def __init__(self, line_count: int) -> None:
        super().__init__()
        self.line_count = line_count

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Go to line (1-{self.line_count}):", markup=False)
            yield BoundedInput(restrict=r"[0-9]*", max_length=12, id="line")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        self.dismiss(min(max(int(text), 1), self.line_count) if text else None)


class ConfirmEndScreen(ClosesOnce, ModalScreen[bool]):
    """`q`: end and seal the session only after an explicit yes."""

    SHOWS_RECORDED = False  # fixed words (failure_blank.py)

    BINDINGS = [
        Binding("y", "confirm", "Yes, end and seal"),
        Binding("n,escape", "cancel", "No, go back"),
    ]
    DEFAULT_CSS = DIALOG_CSS.format(name="ConfirmEndScreen")

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("End this review session?", markup=False)
            yield Static(
                "The ledger will be sealed and no more can be viewed in this session.\n"
                "y: end and seal    n: go back",
                markup=False,
            )

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)
