"""The status bar: who is reviewing, how much is recorded, the latest witness
code, alerts, and whether recording works (the one thing that must never be
unclear)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from ..sanitize import clean


@dataclass(frozen=True)
class Status:
    reviewer: str
    session: str
    entries: int
    witness: str
    alerts: int = 0
    failure: str | None = None
    hit: str = ""  # "hit k of N" (tui/hitstate.py): built from counts, no untrusted text


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 1; background: $panel; color: $text; }
    """

    def __init__(self) -> None:
        super().__init__("", markup=False, id="status")
        self._status: Status | None = None

    def show(self, status: Status) -> None:
        """Draw `status`. Called at every recorded view: the bar is one row whatever it
        says, so a new status repaints the bar only, without a layout of the screen."""
        if status == self._status:
            return
        self._status = status
        text = Text(no_wrap=True, overflow="ellipsis")
        if status.failure is None:
            text.append(" ● RECORDING ", "bold white on dark_green")
        else:
            text.append(" ✖ NOT RECORDING ", "bold white on red")
        # The witness code and the alert count come next: at 80 columns the end of
        # the line is what is cut, and the witness code must never be.
        text.append(f" witness {status.witness} ", "bold")
        if status.alerts:
            text.append(f" ALERTS {status.alerts} ", "bold black on yellow")
        if status.failure is not None:
            text.append(f" {clean(status.failure)} ", "bold white on red")
        if status.hit:
            text.append(f" {clean(status.hit)} ", "bold reverse")
        text.append(f" entries {status.entries}  {clean(status.reviewer)}")
        text.append(f"  session {status.session[:8]}")
        self.update(text, layout=False)
