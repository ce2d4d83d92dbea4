"""`/` or `ctrl+f` (forward), `?` (backward): find in the open file. A query
and Match case; dismisses with (query, case), or None. Nothing is found here:
the recorder finds and records (`find`) once the dialog is closed."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Checkbox, Input, Static

from ...session.find_in_file import MAX_QUERY_BYTES
from ..bounded_input import BoundedInput
from .dialogs import DIALOG_CSS, InputDialog
from .search import switch_label


class FindScreen(InputDialog):
    SHOWS_RECORDED = False  # the open file's name (as the banner), the typed text
    BINDINGS = [Binding("escape", "dismiss", "Cancel")]
    DEFAULT_CSS = DIALOG_CSS.format(name="FindScreen")

    def __init__(self, name: str, backward: bool = False) -> None:
        super().__init__()
        self.file_name = name  # sanitized by the caller
        self.backward = backward

    def compose(self) -> ComposeResult:
        with Vertical():
            how = "Find backward in" if self.backward else "Find in"
            yield Static(f"{how} {self.file_name}:", markup=False)
            yield BoundedInput(placeholder="text (literal)", max_length=MAX_QUERY_BYTES, id="find")
            yield Checkbox(switch_label("Match case", False), id="case")

    def on_mount(self) -> None:
        for box in self.query(Input).results(Input):  # none if taken down before (atk15 F3)
            box.focus()

    def on_checkbox_changed(self, event: Checkbox.Changed) -> None:
        event.checkbox.label = switch_label("Match case", event.value)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        text = event.value
        if not text or len(text.encode("utf-8", "surrogateescape")) > MAX_QUERY_BYTES:
            self.dismiss(None)
            return
        self.dismiss((text, self.query_one(Checkbox).value))
