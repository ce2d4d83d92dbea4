"""`CrashSafeApp`: an App whose crash shows a fixed message, never a traceback.

Textual prints an unhandled exception as a traceback *with local variables*, and
source text could be among them. Here every unhandled exception (and every
`panic`) ends the app with `FIXED` plus the lines `after_crash` returns (the
review app writes the details to a private crash file and seals the ledger:
`cleanroom.session.crash`). The exception is still kept for test frameworks,
as Textual does.
"""

from __future__ import annotations

import sys
from typing import Any

from textual.app import App

from ..sanitize import clean

FIXED = "The reviewer terminal stopped on an internal error. No details are shown here."


def crash_lines(outcome: Any) -> list[str]:
    """What the screen says after `FIXED`, from a `session.crash.CrashOutcome`: where
    the details went or why they could not be written, then either the final
    witness code or what becomes of the unsealed session: one account, in order,
    never two pieces of advice."""
    why = clean(outcome.failure or "no reason given")
    lines = []
    if outcome.crash_file is None:
        lines.append(f"No crash report was written: {why}.")
    else:
        lines.append(f"Details for the administrator: {clean(outcome.crash_file.path)}")
        lines.append("(readable only by the account that runs the recorder)")
        if not outcome.recorded:
            lines.append(f"The ledger could not name it: {why}.")
        elif outcome.receipt is None:
            lines.append(f"The seal failed: {why}.")
    if outcome.receipt is not None:
        lines.append("The session is sealed. Copy the FINAL witness code into the paper log:")
        lines.append(f"    {outcome.receipt.seq}:{clean(outcome.receipt.witness.code)}")
    else:
        lines.append(clean(outcome.unsealed))
    return lines


class Panic(RuntimeError):
    """Textual called `panic` (a fatal error it found itself)."""


class CrashSafeApp(App[None]):
    _crashed = False
    _crash_text = ""

    @property
    def crashed(self) -> bool:
        """The app ended on a crash (its screen said what became of the session)."""
        return self._crashed

    def after_crash(self, error: BaseException) -> list[str]:
        """Called once, on the event loop, for the first crash: end what must be
        ended and return lines to show after `FIXED` (plain text, already safe)."""
        return []

    def _handle_exception(self, error: Exception) -> None:
        self._return_code = 1
        if self._exception is None:
            self._exception = error
            self._exception_event.set()
        if not self._crashed:
            self._crashed = True
            try:
                lines = self.after_crash(error)
            except Exception:
                lines = []
            self._crash_text = "".join(f"{line}\n" for line in [FIXED, *lines])
        self._close_messages_no_wait()

    def _print_error_renderables(self) -> None:
        """Once the terminal is restored: the fixed message, as plain text (not
        wrapped or cut at any width), and nothing Textual queued."""
        self._exit_renderables.clear()
        if self._crash_text:
            sys.stderr.write(self._crash_text)
            sys.stderr.flush()
            self._crash_text = ""

    def panic(self, *renderables: Any) -> None:
        described = "\n".join(str(r) for r in renderables)
        self._handle_exception(Panic(described))
