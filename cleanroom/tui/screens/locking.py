"""`LockScreen`: a full screen over the session that swallows every key but its
own unlock. The app hands it each key before any binding or widget sees one
(`ReviewApp.on_event`), so nothing behind a lock can open, search or scroll."""

from __future__ import annotations

from typing import ClassVar

from textual.screen import Screen


class LockScreen(Screen[None]):
    UNLOCK_KEYS: ClassVar[frozenset[str] | None] = frozenset({"enter"})  # None: any key

    def unlocks(self, key: str) -> bool:
        return self.UNLOCK_KEYS is None or key in self.UNLOCK_KEYS

    def unlock(self) -> None:
        """Its unlock key was pressed."""
        self.dismiss()
