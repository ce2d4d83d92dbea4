"""A time budget for lexing untrusted text on the UI thread.

Pygments lexers are regular expressions written for friendly input, and some
backtrack catastrophically on hostile input: an unterminated Scala string of
backslashes doubles its cost every two characters (pygments issue 3247), so a
line of 60 bytes takes hours. One such match is a single C call holding the
GIL: lexing in a worker thread would stall the event loop all the same, and a
clock check between tokens would never run. So lexing runs under a one-shot
interval timer (SIGALRM): CPython's regex engine checks for signals every few
thousand steps, and the handler raises `Overrun` inside the lexer. A clock
check between tokens catches a lexer that is slow but never stuck in one
match. Off the main thread, where Python takes no signals, only the clock
check applies.

The handler raises only in the lexer's own code (`LEXER_MODULES`). A signal
runs its handler in whatever Python code is running, and while lexing that can
be a weakref callback or a `__del__` run by the garbage collector: an
exception raised there never reaches the lexer (Python reports it as
"unraisable" and goes on), so the overrun was lost and the lexing went on. There
the handler only notes the overrun, which `within` raises at the next token,
and re-arms the timer so that a regex match begun meanwhile is still cut short.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterable
from types import FrameType
from typing import TypeVar

T = TypeVar("T")
_CHECK_EVERY = 64  # tokens between clock checks
LEXER_MODULES = ("pygments.",)  # where the handler may raise (the lexers' own code)
_RETRY = 0.001  # seconds: the timer again, when the signal came outside the lexer


class Overrun(Exception):
    """Lexing took longer than its budget."""


_armed = False  # the handler acts only while a budget is running
_due = False  # the budget ran out while the lexer was not running: raise at the next token


def _in_lexer(frame: FrameType | None) -> bool:
    name = frame.f_globals.get("__name__", "") if frame is not None else ""
    return isinstance(name, str) and name.startswith(LEXER_MODULES)


def _expire(signum: int, frame: FrameType | None) -> None:
    global _due
    if not _armed:
        return
    if _in_lexer(frame):
        raise Overrun
    _due = True  # raised by `within` at the next token, never inside a callback
    signal.setitimer(signal.ITIMER_REAL, _RETRY)  # and again, should a match begin first


def _timer_available() -> bool:
    """Signals reach Python only on the main thread; a timer someone else armed is
    left alone (the clock check still applies)."""
    if not hasattr(signal, "setitimer"):
        return False
    if threading.current_thread() is not threading.main_thread():
        return False
    return signal.getitimer(signal.ITIMER_REAL)[0] == 0


def within(items: Iterable[T], seconds: float) -> list[T]:
    """All of `items` (a lazy lexer's tokens), or Overrun once more than `seconds`
    have passed, whether between two items or inside one regex match."""
    global _armed, _due
    deadline = time.monotonic() + seconds
    timer = _timer_available()
    previous: object = None
    if timer:
        previous = signal.signal(signal.SIGALRM, _expire)
        _due = False
        _armed = True
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        out: list[T] = []
        for i, item in enumerate(items):
            out.append(item)
            if (timer and _due) or (i % _CHECK_EVERY == 0 and time.monotonic() > deadline):
                raise Overrun
        return out
    finally:
        if timer:
            _armed = False  # first: a late signal now does nothing
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)  # type: ignore[arg-type]
            _due = False


__all__ = ["LEXER_MODULES", "Overrun", "within"]
