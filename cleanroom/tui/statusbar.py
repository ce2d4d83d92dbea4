"""The status bar: who is reviewing, how much is recorded, the latest witness
code, alerts, and whether recording works (the one thing that must never be
unclear)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
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
        self.update(self._line(status, self.size.width), layout=False)

    def on_resize(self) -> None:
        if self._status is not None:
            self.update(self._line(self._status, self.size.width), layout=False)

    @staticmethod
    def needed(status: Status) -> int:
        """The columns of the recording state and the whole witness code at their
        shortest: the code view draws no source on a terminal narrower (atk15 F2)."""
        return sum(cell_len(t) for t, _ in _parts(status, 2)[:2])

    @staticmethod
    def _line(status: Status, width: int) -> Text:
        """The bar's line for `width` cells. What must be read whole comes first (the
        recording state, the witness code, the alerts, the hit count) and the end of
        the line is what a narrow terminal cuts (a failure's reason, which the code
        view says too, then the counts and names). Where even those do not fit (80
        columns, an alert and a find hit: issue 15), the words around them shorten,
        RECORDING to REC and then the word "witness"; the code itself never."""
        for short in range(3):
            parts = _parts(status, short)
            if width <= 0 or sum(cell_len(t) for t, _ in parts) <= width or short == 2:
                break
        text = Text(no_wrap=True, overflow="ellipsis")
        for t, style in parts:
            text.append(t, style)
        if status.failure is not None:
            text.append(f" {clean(status.failure)} ", "bold white on red")
        text.append(f" entries {status.entries}  {clean(status.reviewer)}")
        text.append(f"  session {status.session[:8]}")
        return text


def _parts(status: Status, short: int) -> list[tuple[str, str]]:
    """The parts read whole, `short` 0 (full words), 1 (REC) or 2 (no "witness")."""
    parts: list[tuple[str, str]] = []
    if status.failure is None:
        parts.append((" ● REC " if short else " ● RECORDING ", "bold white on dark_green"))
    else:
        parts.append((" ✖ NOT RECORDING ", "bold white on red"))
    parts.append((f" {status.witness} " if short == 2 else f" witness {status.witness} ", "bold"))
    if status.alerts:
        parts.append((f" ALERTS {status.alerts} ", "bold black on yellow"))
    if status.hit:
        parts.append((f" {clean(status.hit)} ", "bold reverse"))
    return parts
