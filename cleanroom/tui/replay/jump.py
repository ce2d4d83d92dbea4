"""`t`: jump to a moment: `#SEQ`, `+M:SS` from the start, `HH:MM:SS` (UTC) or an
ISO date and time. A moment that cannot be read is explained in the dialog."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Input, Static

from ...forensics.replay import Replay, WhenError, parse_when
from ...sanitize import clean
from ..screens.dialogs import DIALOG_CSS, InputDialog


class JumpScreen(InputDialog):
    """Dismisses with a step index, or None."""

    BINDINGS = [Binding("escape", "dismiss", "Cancel")]
    DEFAULT_CSS = DIALOG_CSS.format(name="JumpScreen")

    def __init__(self, replay: Replay) -> None:
        super().__init__()
        self.replay = replay

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("Jump to #SEQ, +M:SS, HH:MM:SS (UTC) or a date and time:", markup=False)
            yield Input(max_length=64, id="when")
            yield Static("", id="why", markup=False)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.dismiss(None)
            return
        try:
            self.dismiss(parse_when(event.value, self.replay))
        except WhenError as exc:
            self.query_one("#why", Static).update(clean(str(exc)))
