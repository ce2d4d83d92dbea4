"""`ClosesOnce`: a screen that is dismissed at most once, and only while it is on
top of the stack.

Textual's `Screen.dismiss` pops whatever screen is on top. A second Enter queued
on a result list, or a dismiss arriving after a lock came up, would pop the main
screen (ScreenStackError: the terminal died) or the lock over this screen (the
source back on screen). A stale dismiss is ignored instead.
"""

from __future__ import annotations

from typing import Any

from textual.await_complete import AwaitComplete


class ClosesOnce:
    """Mixed in before the Screen class (a plain mixin: a Screen base here would
    put Screen's CSS ahead of ModalScreen's)."""

    _dismissed_once = False

    @property
    def dismissed(self) -> bool:
        """True once dismissed: late callbacks (workers, timers) must not touch it."""
        return self._dismissed_once

    def dismiss(self, result: Any = None) -> AwaitComplete:
        if self._dismissed_once or not self.is_active:  # type: ignore[attr-defined]
            return AwaitComplete()
        self._dismissed_once = True
        return super().dismiss(result)  # type: ignore[misc]
