"""The locks and the room's state told to the terminal (docs/protocol.md §4-§5,
ADR 0218, ADR 0220): the guard's lock raised, `idle` and `active`, `unlock` and
`status`. A mixin of `Dispatcher`, which holds the state they share."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from ..session.alert_locks import LockHeld
from ..session.review import ReviewSession
from . import messages as m
from .refusal import Refusal
from .table import ENDED, GUARD_LOCK, IDLE, NEW, READY, REASON

# An alert's detail is at most 1,000 characters (guard/alert_queue.py): under 6 KB
# encoded, so 1,000 alerts stay well inside one answer (MAX_ANSWER, 8 MiB).
TOLD_AT_ONCE = 1000


class LockRequests:
    session: ReviewSession
    state: str
    ended: str | None
    _after_hello: str
    _idle_since: float | None
    _locked_since: float | None
    _lifted: float | None
    _fresh: list[Any]
    _alert_failure: str | None
    _receipt: Any
    _unfinished: m.Unfinished | None

    if TYPE_CHECKING:  # provided by another mixin of Dispatcher; no stub at run time

        def _stop_search(self, why: str) -> None: ...  # SearchRequests'

        def _stop_search_quietly(self, why: str) -> None: ...  # SearchRequests'

    def _lock(self) -> None:
        """The guard locks. Before `hello` the lock waits for it (the state stays
        `new`); over an idle screen the idle stretch stays open: `unlock` goes back
        to `idle`, and only `active` (recorded) shows content again. A search
        under way stops (recorded)."""
        self._lifted = None  # an unlock now is this lock's, not the one lifted before
        if self._locked_since is None:
            self._locked_since = time.monotonic()
        if self.state == NEW:
            self._after_hello = GUARD_LOCK
        elif self.state != GUARD_LOCK:
            self.state = GUARD_LOCK
            self._stop_search_quietly("lock")

    def relock(self) -> None:
        """A resumed session left under the guard's lock: locked again, its alerts
        (session.locks, carried from the ledger) told to the terminal at its first
        `status`, as a reconnecting terminal is told them."""
        self._lock()
        self._fresh = sorted(self.session.locks.holding(), key=lambda pair: pair[1])

    def _idle(self, r: m.Idle) -> m._Answer:
        self._stop_search("idle")
        self._idle_since = self.session.idle(r.after_s)
        self.state = IDLE
        return m.Ok()

    def _active(self, r: m.Active) -> m._Answer:
        self.session.active(self._idle_since or time.monotonic())
        self.state, self._idle_since = READY, None
        return m.Ok()

    def _unlock(self, r: m.Unlock) -> m._Answer:
        if self.state != GUARD_LOCK:
            return self._unlock_again(r.shown)
        since = self._locked_since or time.monotonic()
        try:
            self.session.unlock("guard", time.monotonic() - since, r.shown)
        except LockHeld as exc:  # an alert holding it not shown yet: the lock stays (ADR 0220)
            raise Refusal("unshown", str(exc)) from None
        self.state = IDLE if self._idle_since is not None else READY
        self._locked_since, self._lifted = None, since
        return m.Ok()

    def _unlock_again(self, shown: int) -> m._Answer:
        """An unlock of the guard lock this recorder lifted last, with no lock since
        (ADR 0218): the terminal got the first one's answer too late, kept its lock
        up and recorded that it did not act on it; this is the Enter that lifts it.
        Recorded as an unlock (`locked_s` from when that lock came), the state left
        as it is: nothing more is permitted than before. With no lock lifted it is
        refused as the table refused it (`order`, or `locked` when idle). So is one
        whose screen did not show the alerts lifted (`shown` below their numbers: a
        terminal that reconnected after the lift, atk12b): it names none of them."""
        if self._lifted is None or shown < self.session.locks.lifted_top:
            raise Refusal(REASON[self.state])
        self.session.unlock_again("guard", time.monotonic() - self._lifted)
        return m.Ok()

    def _status(self, r: m.Status) -> m._Answer:
        # At most TOLD_AT_ONCE alerts an answer, the rest at the next looks: all of
        # them at once (a reconnection under a lock held by 150,000) overflowed
        # MAX_ANSWER, and the refused answer lost them (atk12b).
        fresh, self._fresh = self._fresh[:TOLD_AT_ONCE], self._fresh[TOLD_AT_ONCE:]
        seq, code = self.session.shown_witness
        if self._receipt is not None:
            seq, code = self._receipt.seq, self._receipt.witness.code
        elif self.state == ENDED:  # ended but not sealed (its seal failed): no final code
            seq, code = -1, ""
        alerts = [m.AlertInfo(a.category, a.detail, a.response, n) for a, n in fresh]
        # An alert's failure holds until an alert check or a seal records what it could not.
        failure = self.session.failure or (self._alert_failure if self._receipt is None else None)
        return m.State(state=self.state, failure=failure, fresh=alerts,
                       ended=self.ended, witness_seq=seq, witness_code=code,
                       unfinished=self._unfinished)  # fmt: skip
