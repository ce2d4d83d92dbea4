"""The idle lock: after a quiet spell the screen blanks, so dwell times stay honest.
Any key brings the session back, and does nothing else (the app records both
moments). As under the guard's lock, only a recorded return lifts it: a key
whose return (`active`) cannot be recorded leaves the lock up, saying so, and
the next key tries again (fail closed; docs/guide-reviewer.md)."""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.widgets import Static

from ...sanitize import clean
from .locking import LockScreen
from .once import ClosesOnce

# Records the reviewer's return; None once recorded, else why it was not.
Returning = Callable[[], "str | None"]


class IdleScreen(ClosesOnce, LockScreen):
    UNLOCK_KEYS = None  # any key
    DEFAULT_CSS = """
    IdleScreen { align: center middle; background: black; }
    IdleScreen > Static { width: auto; max-width: 76; color: $text-muted; }
    IdleScreen > Static.unrecorded { color: $error; }
    """

    def __init__(self, returning: Returning | None = None) -> None:
        super().__init__()
        self._returning = returning
        self.unrecorded: str | None = None  # why the last return was not recorded

    def compose(self) -> ComposeResult:
        yield Static(self.said(), markup=False)

    def said(self) -> str:
        if self.unrecorded is None:
            return "Locked while idle. Press any key to continue."
        return (f"Still locked: your return was NOT recorded ({clean(self.unrecorded)}). "
                "Only a recorded return lifts this lock. Press any key to try again.")  # fmt: skip

    def unlock(self) -> None:
        why = None if self._returning is None else self._returning()
        if why is None:
            self.dismiss()
            return
        self.unrecorded = why
        said = self.query_one(Static)
        said.update(self.said())
        said.add_class("unrecorded")
