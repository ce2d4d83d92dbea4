"""The note editor's text fields, locked down: the reviewer types a note, and
nothing else goes in or out. A paste from the terminal (the system clipboard,
bracketed paste) is refused and recorded as `blocked`; copy, cut and paste
actions are not in the allowlist (actions.py), so ctrl+c/ctrl+x/ctrl+v are
refused and recorded before they run, and `LockedApp.copy_to_clipboard`
writes nothing anywhere (docs/adr/0401-notes-in-the-terminal.md)."""

from __future__ import annotations

from textual import events
from textual.widgets import Input, TextArea

from .bounded_input import BoundedInput


def _refuse_paste(widget: Input | TextArea, event: events.Paste) -> None:
    event.stop()
    event.prevent_default()  # the base class's handler would insert the text
    widget.app.on_blocked("paste", f"{len(event.text)} characters into a note")  # type: ignore[attr-defined]


class NoteInput(BoundedInput):
    async def _on_paste(self, event: events.Paste) -> None:
        _refuse_paste(self, event)


class NoteBody(TextArea):
    """The note's body: plain text, no highlighting, soft-wrapped."""

    def __init__(self, text: str = "", *, id: str | None = None) -> None:
        super().__init__(text, id=id, soft_wrap=True, tab_behavior="focus",
                         show_line_numbers=False)  # fmt: skip

    async def _on_paste(self, event: events.Paste) -> None:
        _refuse_paste(self, event)
