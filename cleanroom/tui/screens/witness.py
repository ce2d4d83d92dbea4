"""Full screens that show a witness code for the room's paper log: the session's
start and its seal. The code is what later proves the ledger was not cut short."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ...sanitize import clean
from .locking import LockScreen
from .once import ClosesOnce

CSS = """
{name} {{ align: center middle; }}
{name} > Vertical {{ width: 76; height: auto; border: double $primary; padding: 1 2; }}
{name} .code {{ text-style: bold; color: $warning; padding: 1 0; }}
"""


def _facts(rows: list[tuple[str, str]]) -> Text:
    text = Text()
    for label, value in rows:
        text.append(f"{label:<12}", "bold")
        text.append(clean(value) + "\n")
    return text


class StartScreen(ClosesOnce, LockScreen):
    DEFAULT_CSS = CSS.format(name="StartScreen")

    def __init__(self, facts: list[tuple[str, str]], seq: int, code: str,
                 replaced: bool = False, resumed: bool = False) -> None:  # fmt: skip
        super().__init__()
        self.facts, self.seq, self.code = facts, seq, code
        self.replaced, self.resumed = replaced, resumed

    def compose(self) -> ComposeResult:
        with Vertical():
            if self.replaced:
                lost = ("The recorder ended the previous session while it could not reach "
                        "this terminal. A NEW session started.")  # fmt: skip
                yield Static(lost, markup=False)
            if self.resumed:
                yield Static("Review session RESUMED (it was not sealed). Recording is on.",
                             markup=False)  # fmt: skip
            else:
                yield Static("Review session started. Recording is on.", markup=False)
            yield Static(_facts(self.facts), markup=False)
            yield Static("Copy this witness code into the room's paper log:", markup=False)
            yield Static(f"{self.seq}:{self.code}", classes="code", markup=False)
            yield Static("Press Enter to begin.", markup=False)


class SealedScreen(ClosesOnce, LockScreen):
    DEFAULT_CSS = CSS.format(name="SealedScreen")

    def __init__(self, facts: list[tuple[str, str]], seq: int, code: str) -> None:
        super().__init__()
        self.facts, self.seq, self.code = facts, seq, code

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static("The session is sealed.", markup=False)
            yield Static(_facts(self.facts), markup=False)
            yield Static("Copy the FINAL witness code into the paper log:", markup=False)
            yield Static(f"{self.seq}:{self.code}", classes="code", markup=False)
            yield Static("Press Enter once it is written down.", markup=False)
