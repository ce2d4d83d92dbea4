"""The idle lock: after a quiet spell the screen blanks, so dwell times stay honest.
Any key brings the session back (the app records both moments)."""

from __future__ import annotations

from textual import events
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from .once import ClosesOnce


class IdleScreen(ClosesOnce, Screen[None]):
    DEFAULT_CSS = """
    IdleScreen { align: center middle; background: black; }
    IdleScreen > Static { width: auto; color: $text-muted; }
    """

    def compose(self) -> ComposeResult:
        yield Static("Locked while idle. Press any key to continue.", markup=False)

    def on_key(self, event: events.Key) -> None:
        event.stop()
        self.dismiss()
