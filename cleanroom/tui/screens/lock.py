"""A lock raised by a guard alert: the screen shows no source until the reviewer
acknowledges with Enter (recorded as `unlock`), so whatever happened around the
session cannot go on unseen. Every other key is swallowed (`LockScreen`)."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static

from ...sanitize import clean
from .locking import LockScreen
from .once import ClosesOnce


class AlertLockScreen(ClosesOnce, LockScreen):
    DEFAULT_CSS = """
    AlertLockScreen { align: center middle; background: black; }
    AlertLockScreen > Vertical { width: 76; height: auto; border: double $error; padding: 1 2; }
    """

    def __init__(self, category: str, detail: str) -> None:
        super().__init__()
        self.category, self.detail = category, detail

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Locked by the guard", style="bold"), markup=False)
            yield Static(f"{clean(self.category)}: {clean(self.detail)}", markup=False)
            yield Static("This has been recorded. Press Enter to continue.", markup=False)
