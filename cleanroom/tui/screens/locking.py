"""`LockScreen`: a full screen over the session that swallows every key but its
own unlock. The app hands it each key before any binding or widget sees one
(`ReviewApp.on_event`), so nothing behind a lock can open, search or scroll.

No toast is drawn over a lock screen: those screens carry what the reviewer must
copy down (the FINAL witness code, the receipt) or why the session stopped, and
a toast once covered half the witness code. Toasts are cleared when a lock
screen comes to the front, and the app shows none while one is in front
(`ReviewApp.notify`); alerts are in the ledger either way."""

from __future__ import annotations

from typing import ClassVar

from textual.screen import Screen


class LockScreen(Screen[None]):
    SHOWS_RECORDED = False  # fixed words, a witness code, why: failure_blank.py
    UNLOCK_KEYS: ClassVar[frozenset[str] | None] = frozenset({"enter"})  # None: any key

    def on_screen_resume(self) -> None:
        self.app.clear_notifications()

    def unlocks(self, key: str) -> bool:
        return self.UNLOCK_KEYS is None or key in self.UNLOCK_KEYS

    def unlock(self) -> None:
        """Its unlock key was pressed."""
        self.dismiss()
