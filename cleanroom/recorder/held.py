"""`Held`: what the terminal has to record but could not yet (ADR 0217): blocked
attempts (`key`, `blocked`) pressed while the recorder did not answer, and the
notes that a request answered too late was not acted on. They are sent, in the
order they came, once the recorder answers again; at most `LIMIT` wait, and
one more entry then says how many did not fit."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from ..session.recorder import RecordingError
from . import messages as m
from .answers import RequestRefused

LIMIT = 64


class Held:
    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._queue: deque[Any] = deque()
        self._over = 0  # attempts past the limit, counted
        self._sending = threading.Lock()  # one thread sends them

    def __bool__(self) -> bool:
        return bool(self._queue) or bool(self._over)

    def add(self, request: Any) -> None:
        if len(self._queue) < self.limit:
            self._queue.append(request)
        else:
            self._over += 1

    def send(self, ask: Callable[[Any], Any]) -> None:
        """Ask each in turn; stop at the first that cannot be recorded (kept for the
        next time). A refused one is dropped (the refusal is recorded)."""
        if not self._sending.acquire(blocking=False):
            return  # another thread is sending them
        try:
            while self:
                if self._queue:
                    request = self._queue[0]
                else:
                    said = f"{self._over} more blocked attempts while recording failed"
                    request = m.Blocked(action="blocked", detail=said)
                try:
                    ask(request)
                except RequestRefused:
                    pass
                except RecordingError:
                    return
                if self._queue:
                    self._queue.popleft()
                else:
                    self._over = 0
        finally:
            self._sending.release()
