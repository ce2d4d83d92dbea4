"""An Input that drops what it cannot take, at no cost.

Textual's Input answers a key it cannot insert (it is at `max_length`) with a
bell written to the terminal and a redraw of its cursor. 100 KB typed into
quick open (tmux `send-keys -l`) kept the terminal busy 40 s that way, and
Escape waited behind the keys (outside attack on issue 12). Here a printable
key that cannot go in, with nothing selected to type over, stops at once: no
bell, no redraw; `on_full` is called instead, and should be as cheap. The same
goes for a key its `restrict` pattern refuses (a letter in "go to line"): a
flood of those rang a bell per key too (second outside attack on issue 12).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from textual import events
from textual.widgets import Input


class BoundedInput(Input):
    def __init__(self, *args: Any, on_full: Callable[[], None] | None = None,
                 **kwargs: Any) -> None:  # fmt: skip
        super().__init__(*args, **kwargs)
        self._on_full = on_full

    @property
    def full(self) -> bool:
        """At its limit, with no selection a key would replace."""
        return bool(self.max_length) and len(self.value) >= self.max_length \
            and self.selection.is_empty  # fmt: skip

    def refuses(self, character: str | None) -> bool:
        """A key this input will not take: it is full, or `restrict` refuses the
        value the key would make (typed at the cursor, nothing selected)."""
        if self.full:
            return True
        if not (self.restrict and character and self.selection.is_empty):
            return False
        at = self.cursor_position
        value = self.value[:at] + character + self.value[at:]
        return re.fullmatch(self.restrict, value) is None

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable and self.refuses(event.character):
            event.stop()
            event.prevent_default()  # Input's own handler, with its bell, is not run
            self.restricted()

    def restricted(self) -> None:
        """Instead of the bell (also for a paste that does not fit)."""
        if self._on_full is not None:
            self._on_full()
