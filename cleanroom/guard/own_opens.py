"""Opens of a watched file that Cleanroom itself announced, matched one for one.

The rule is that Cleanroom opens the snapshot before the guard starts and never
again. Code that must open it again during the session (a search pass with a
connection of its own) announces how many opens it is about to make; each
inotify open of that path then uses up one credit instead of raising an alert.

Matching is by count, not by time, so it stays sound when another process opens
the file at the same moment: its open uses a credit, Cleanroom's own open then
finds none, and exactly one alert results (attributed to the wrong open of the
two, which does not matter: one open was not Cleanroom's). What must hold is
that the announced count is never *higher* than the opens made; a lower count
only causes a false alert. Credits not used within `expiry` seconds lapse, and
a failed open withdraws its credits, so an unused credit cannot hide a later
open for long.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Grant:
    path: str
    left: int
    until: float


class OwnOpens:
    def __init__(self, clock: Callable[[], float], expiry: float = 5.0) -> None:
        self._clock = clock
        self._expiry = expiry
        self._lock = threading.Lock()
        self._grants: list[Grant] = []

    def grant(self, path: str, count: int) -> Grant:
        if count < 1:
            raise ValueError("an announcement covers at least one open")
        g = Grant(path, count, self._clock() + self._expiry)
        with self._lock:
            self._grants.append(g)
        return g

    def withdraw(self, grant: Grant) -> None:
        with self._lock:
            grant.left = 0
            self._grants = [g for g in self._grants if g.left > 0]

    def consume(self, path: str) -> bool:
        """True if an open of `path` was announced (and uses up that credit)."""
        now = self._clock()
        with self._lock:
            self._grants = [g for g in self._grants if g.left > 0 and g.until > now]
            for g in self._grants:
                if g.path == path:
                    g.left -= 1
                    return True
        return False
