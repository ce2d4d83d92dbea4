"""`LockedApp`: a Textual App with every way out closed (see
../shared/notes/textual-8.md §2 and docs/adr/). Subclasses get:

- no command palette, no system commands, no text selection;
- no clipboard (OSC 52), screenshots, file delivery, URL opening or suspend;
- an action allowlist (`ALLOWED_ACTIONS`, from `actions`) checked in `run_action`,
  which every key binding, markup click and widget-triggered action passes through;
- the Linux driver only (never one named by the environment);
- a crash that shows a fixed message, never a traceback with locals (`crash`).

Every refused attempt is reported to `on_blocked`, which the review app records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from textual import actions as textual_actions
from textual import events
from textual.app import SystemCommand
from textual.dom import DOMNode
from textual.driver import Driver
from textual.screen import Screen

from .actions import ALLOWED
from .crash import CrashSafeApp
from .screens.behind import BehindScreen


class LockedApp(CrashSafeApp, inherit_bindings=False):
    ENABLE_COMMAND_PALETTE: ClassVar[bool] = False
    COMMANDS: ClassVar[set[Any]] = set()
    ALLOW_SELECT: ClassVar[bool] = False
    ALLOWED_ACTIONS: ClassVar[frozenset[str]] = ALLOWED  # replay names its own

    def on_blocked(self, action: str, detail: str = "") -> None:
        """Called for every refused attempt. Subclasses record it."""

    def terminal_gone(self) -> None:
        """The terminal's input ended (driver.py): no key will ever come. Exits
        129, as a hang-up does; the reviewer terminal seals first (signals.py)."""
        self.exit(return_code=129)

    async def on_event(self, event: events.Event) -> None:
        from .driver import KeyRun, TerminalGone

        if isinstance(event, KeyRun):  # keys read together (driver.py): each as if alone
            for key in event.keys:
                await self.on_event(key)
            return
        if isinstance(event, TerminalGone):
            self.terminal_gone()
            return
        await super().on_event(event)

    async def run_action(
        self,
        action: str | textual_actions.ActionParseResult,
        default_namespace: DOMNode | None = None,
        namespaces: Mapping[str, DOMNode] | None = None,
    ) -> bool:
        name = action[1] if isinstance(action, tuple) else textual_actions.parse(action)[1]
        if name not in self.ALLOWED_ACTIONS:
            self.on_blocked(name, "action not in the allowlist")
            return False
        return await super().run_action(action, default_namespace, namespaces)

    def get_default_screen(self) -> Screen[Any]:
        """The main screen: under a dialog, it hands each change up once (screens/behind.py)."""
        return BehindScreen(id="_default")

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        return ()

    def get_driver_class(self) -> type[Driver]:
        from .driver import ChordDriver  # Alt chords arrive whole (driver.py)

        return ChordDriver

    def copy_to_clipboard(self, text: str) -> None:
        self.on_blocked("copy", f"{len(text)} characters")

    def open_url(self, url: str, *, new_tab: bool = True) -> None:
        self.on_blocked("open_url", "")

    def action_screenshot(self, *args: Any, **kwargs: Any) -> None:
        self.on_blocked("screenshot")

    def save_screenshot(self, *args: Any, **kwargs: Any) -> str:
        self.on_blocked("screenshot")
        raise PermissionError("screenshots are disabled in the clean room")

    def export_screenshot(self, *args: Any, **kwargs: Any) -> str:
        self.on_blocked("screenshot")
        raise PermissionError("screenshots are disabled in the clean room")

    def deliver_screenshot(self, *args: Any, **kwargs: Any) -> str | None:
        self.on_blocked("screenshot")
        raise PermissionError("screenshots are disabled in the clean room")

    def deliver_text(self, *args: Any, **kwargs: Any) -> str | None:
        self.on_blocked("deliver")
        raise PermissionError("file delivery is disabled in the clean room")

    def deliver_binary(self, *args: Any, **kwargs: Any) -> str | None:
        self.on_blocked("deliver")
        raise PermissionError("file delivery is disabled in the clean room")

    def action_suspend_process(self) -> None:
        self.on_blocked("suspend")

    def action_command_palette(self) -> None:
        self.on_blocked("command_palette")
