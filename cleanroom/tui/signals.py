"""Signals sent to the reviewer terminal from outside.

The terminal runs in raw mode, so ctrl+c, ctrl+\\ and ctrl+z typed by the
reviewer arrive as keys (`session.blocked_keys`); a signal comes from another
process or from the terminal itself. Without handlers, SIGTERM, SIGHUP and
SIGQUIT killed the process with source left on screen under a RECORDING bar,
unrecorded and unsealed, and SIGTSTP stopped it with source on screen and the
guard and idle lock stopped with it.

- SIGTERM, SIGINT, SIGQUIT, SIGHUP: the source is hidden at once (a screen
  naming the signal covers everything), an `alert` of category `signal` records
  which signal came, the session is sealed with the reason `signal: NAME`, the
  terminal is restored and the process exits with 128 + the signal's number
  (143, 130, 131, 129). If the seal cannot be written the ledger stays unsealed
  and the next start resumes or abandons it. SIGHUP means the terminal is gone:
  nothing is drawn, the entry and the seal are still written.
- End of input (`TerminalGone`, from the driver's input thread): the terminal is
  gone but no SIGHUP came (a review with no controlling terminal, `setsid`, or
  a terminal whose pty was closed under it). It ends the session as SIGHUP
  does, named `end of input` in the entry and the seal's reason, exit 129.
  A hang-up wakes the reader before the kernel sends SIGHUP (`__tty_hangup`),
  so the app waits `GONE_GRACE_S` for a SIGHUP before it names the end `end
  of input`: the reason then says which of the two it was.
- SIGTSTP: ignored, and recorded as `blocked` (`suspend`), at most one entry a
  second (the rest are counted in the next one). SIGTTIN and SIGTTOU: ignored.
- SIGSTOP cannot be caught or ignored: a stopped terminal shows what it showed,
  and its guard and idle lock stop with it (docs/threat-model.md).

docs/guard.md ("Signals") is the contract; tests/test_e2e_signals_tmux.py tries it.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Static

from ..session.recorder import RecordingError, SealUnfinished
from .screens.locking import LockScreen

ENDING = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP)
IGNORED = (signal.SIGTTIN, signal.SIGTTOU)
GONE = "end of input"  # the terminal went without a SIGHUP (`terminal_gone`)
GONE_GRACE_S = 0.5  # how long end of input waits for the SIGHUP a hang-up sends after it
SUSPEND_RECORD_S = 1.0  # at most one `blocked` entry for SIGTSTP per second


def exit_code(signum: int) -> int:
    """The exit status after the session was ended by `signum` (the shell's convention)."""
    return 128 + int(signum)


def after_signal(signum: int, report: Callable[[], int]) -> int:
    """Once the terminal is restored: print the verdict (`report`), unless the
    terminal hung up (there is nowhere to print it), and return the exit status."""
    if signum != signal.SIGHUP:
        report()
    return exit_code(signum)


class EndingScreen(LockScreen):
    """Covers everything (code, search results, names) while a signal ends the session."""

    UNLOCK_KEYS = frozenset()
    DEFAULT_CSS = """
    EndingScreen { align: center middle; background: black; }
    EndingScreen > Static { width: auto; }
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.signal_name = name

    def compose(self) -> ComposeResult:
        yield Static(f"{self.signal_name} received: the session is ending.", markup=False)


class SignalHandling:
    """Mixed into `ReviewApp`; uses its session, countersigner, screen and exit."""

    ended_by: int | None = None  # the signal that ended the session, once one did
    _input_ended = False  # end of input seen, waiting `GONE_GRACE_S` for a SIGHUP
    _suspends = 0  # SIGTSTPs not yet recorded
    _suspend_recorded = 0.0

    def install_signal_handlers(self) -> None:
        """On the running loop, after the driver put its own SIGTSTP handler in."""
        loop = asyncio.get_running_loop()
        for signum in ENDING:
            loop.add_signal_handler(signum, self.end_on_signal, int(signum))
        loop.add_signal_handler(signal.SIGTSTP, self.refuse_suspend)
        for signum in IGNORED:
            signal.signal(signum, signal.SIG_IGN)

    def refuse_suspend(self) -> None:
        app: Any = self
        self._suspends += 1
        now = time.monotonic()
        if now - self._suspend_recorded < SUSPEND_RECORD_S:
            return
        count, self._suspends, self._suspend_recorded = self._suspends, 0, now
        detail = f"SIGTSTP from outside, ignored ({count} since the last such entry)"
        app.service.blocked("suspend", detail)

    def end_on_signal(self, signum: int) -> None:
        if self.ended_by is not None:
            return  # already ending
        self.ended_by = signum
        name = signal.Signals(signum).name
        if signum == signal.SIGHUP:  # the terminal is gone: draw nothing
            self._gone(name, f"{name} was sent to the reviewer terminal from outside")
            return
        app: Any = self
        app.opened = None
        from .codeview import CodeView

        app.query_one(CodeView).hide(f"{name} received: the session is ending")
        app.push_screen(EndingScreen(name))
        app.call_after_refresh(self._record_and_seal, name)

    def terminal_gone(self) -> None:
        """The terminal's input ended: it is gone. A SIGHUP may still be on its way."""
        if self.ended_by is not None or self._input_ended:
            return  # already ending
        self._input_ended = True
        app: Any = self
        app.set_timer(GONE_GRACE_S, self._no_sighup_came)

    def _no_sighup_came(self) -> None:
        if self.ended_by is not None:
            return  # the SIGHUP came and ended the session
        self.ended_by = signal.SIGHUP
        self._gone(GONE, "the reviewer terminal's input ended (the terminal is gone)")

    def _gone(self, name: str, why: str) -> None:
        """Nowhere to draw: record and seal at once."""
        app: Any = self
        app.opened = None
        self._record_and_seal(name, why)

    def _record_and_seal(self, name: str, why: str | None = None) -> None:
        app: Any = self
        if app.receipt is None:  # not sealed yet (a sealed screen may be up)
            why = why or f"{name} was sent to the reviewer terminal from outside"
            try:
                app.service.signalled(name, f"{why}; the session ends")
            except RecordingError:
                pass  # the seal below fails the same way, and the next start resumes
            try:
                reason = name if name == GONE else f"signal: {name}"
                app.receipt = app.service.seal(app.countersigner, reason)
            except SealUnfinished as exc:
                app.receipt = exc.finished.receipt
            except RecordingError:
                pass  # left unsealed: resumable at the next start
        app.exit(return_code=exit_code(self.ended_by or 0))
