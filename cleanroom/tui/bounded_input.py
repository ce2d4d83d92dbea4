"""An Input that drops what it cannot take, at no cost.

Textual's Input answers a key it cannot insert (it is at `max_length`) with a
bell written to the terminal and a redraw of its cursor. 100 KB typed into
quick open (tmux `send-keys -l`) kept the terminal busy 40 s that way, and
Escape waited behind the keys (outside attack on issue 12). Here a printable
key that cannot go in, with nothing selected to type over, stops at once: no
bell, no redraw; `on_full` is called instead, and should be as cheap.
"""

from __future__ import annotations

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

    async def _on_key(self, event: events.Key) -> None:
        if event.is_printable and self.full:
            event.stop()
            event.prevent_default()  # Input's own handler, with its bell, is not run
            self.restricted()

    def restricted(self) -> None:
        """Instead of the bell (also for a paste that does not fit)."""
        if self._on_full is not None:
            self._on_full()
