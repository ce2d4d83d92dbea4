"""A lock raised by a guard alert: the screen shows no source until the reviewer
acknowledges with Enter (recorded as `unlock`; an unlock that cannot be recorded
does not unlock), so whatever happened around the session cannot go on unseen.
Every other key is swallowed (`LockScreen`)."""

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

    def __init__(self, category: str, detail: str, unrecorded: str | None = None,
                 unlock_failed: bool = False) -> None:  # fmt: skip
        super().__init__()
        self.category, self.detail = category, detail
        self.unrecorded, self.unlock_failed = unrecorded, unlock_failed

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(Text("Locked by the guard", style="bold"), markup=False)
            yield Static(f"{clean(self.category)}: {clean(self.detail)}", markup=False)
            yield Static(self.said(), markup=False)

    def said(self) -> str:
        """Only what is true: whether the alert (or the unlock) is recorded."""
        if self.unlock_failed:
            return (f"Still locked: the unlock could not be recorded ({clean(self.unrecorded)}). "
                    "Press Enter to try again.")  # fmt: skip
        if self.unrecorded is not None:
            return (f"NOT recorded yet: {clean(self.unrecorded)}. It is kept and recorded once "
                    "recording works. Press Enter to continue.")  # fmt: skip
        return "This has been recorded. Press Enter to continue."
