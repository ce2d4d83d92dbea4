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
the credits of code that failed (a search cancelled while its worker processes
start) lapse `grace` seconds after the failure, so an unused credit cannot hide
a later open for long. Not at once: the opens such code did make before it
failed may still be on their way through inotify and the observer thread, and
taking credits back under them reports Cleanroom's own opens (a reviewer who
replaces searches quickly would raise `snapshot_access` alerts, then be locked
out: attack round 2 on issue 13).
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
    def __init__(self, clock: Callable[[], float], expiry: float = 5.0,
                 grace: float = 3.0) -> None:  # fmt: skip
        self._clock = clock
        self._expiry = expiry
        self._grace = grace
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
        """The code that announced `grant` failed: its credits lapse `grace` seconds
        from now (or sooner, if they would have anyway)."""
        with self._lock:
            grant.until = min(grant.until, self._clock() + self._grace)

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
