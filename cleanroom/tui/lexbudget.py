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
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterable
from typing import Any, TypeVar

T = TypeVar("T")
_CHECK_EVERY = 64  # tokens between clock checks


class Overrun(Exception):
    """Lexing took longer than its budget."""


_armed = False  # the handler raises only while a budget is running


def _expire(signum: int, frame: Any) -> None:
    if _armed:
        raise Overrun


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
    global _armed
    deadline = time.monotonic() + seconds
    timer = _timer_available()
    previous: Any = None
    if timer:
        previous = signal.signal(signal.SIGALRM, _expire)
        _armed = True
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        out: list[T] = []
        for i, item in enumerate(items):
            out.append(item)
            if i % _CHECK_EVERY == 0 and time.monotonic() > deadline:
                raise Overrun
        return out
    finally:
        if timer:
            _armed = False  # first: a late signal now does nothing
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)


__all__ = ["Overrun", "within"]
