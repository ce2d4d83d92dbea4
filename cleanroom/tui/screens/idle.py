"""The idle lock: after a quiet spell the screen blanks, so dwell times stay honest.
Any key brings the session back, and does nothing else (the app records both
moments)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Static

from .locking import LockScreen
from .once import ClosesOnce


class IdleScreen(ClosesOnce, LockScreen):
    UNLOCK_KEYS = None  # any key
    DEFAULT_CSS = """
    IdleScreen { align: center middle; background: black; }
    IdleScreen > Static { width: auto; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Locked while idle. Press any key to continue.", markup=False)
