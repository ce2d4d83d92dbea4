"""`KeyFooter`: Textual's `Footer`, rebuilt only when the keys it shows change.

Textual's footer removes and mounts all its key widgets again on every change of
bindings: each focus change, each screen pushed or popped, even when the keys
shown stay the same. That was about a tenth of the CPU of every key a reviewer
pressed (and of the suite's Pilot tests): each rebuild restyles every key widget.
Here a change of bindings first compares what the footer would show (key, its
display, description, action, enabled, tooltip, group) with what it shows; the
same footer is left alone, a different one is rebuilt exactly as Textual would.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen
from textual.widgets import Footer


class KeyFooter(Footer):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._composed: tuple | None = None  # what the last compose showed

    def shown(self) -> tuple:
        """Everything `Footer.compose` reads, as a comparable value (the ledger
        is not involved: the footer shows key names, never source)."""
        if not self._bindings_ready:
            return ()
        active = self.screen.active_bindings
        keys = tuple(
            (binding.key, self.app.get_key_display(binding), binding.description,
             binding.action, enabled, tooltip, binding.tooltip, binding.group)
            for (_, binding, enabled, tooltip) in active.values()
            if binding.show
        )  # fmt: skip
        palette = None
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            entry = active.get(self.app.COMMAND_PALETTE_BINDING)
            if entry is not None:
                _, binding, enabled, _ = entry
                palette = (binding.key, self.app.get_key_display(binding),
                           binding.description, binding.action, enabled,
                           binding.tooltip)  # fmt: skip
        return keys, palette

    def compose(self):  # noqa: ANN201 - Footer's own signature
        self._composed = self.shown()
        yield from super().compose()

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen:
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        if self.is_attached and self.shown() != self._composed:
            await self.recompose()
