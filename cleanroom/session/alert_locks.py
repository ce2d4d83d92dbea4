"""Which guard alerts hold the lock, and which of them the reviewer was shown
(ADR 0220).

Every alert handed to the terminal gets a number, 1, 2, 3... in this session,
in the order the guard raised them. Each `lock` alert holds the guard lock
until an `unlock` lifts it. The terminal's unlock says up to which number its
lock screen showed every lock alert (`shown`), and lifts the lock only when
that covers every alert holding it: one unlock never lifts a lock whose alert
was not on the screen (a second alert while a lock screen was up was once
lifted by the older screen's Enter, its text never shown). The `unlock` entry
names the alerts it acknowledged by their ledger seqs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any


class LockHeld(Exception):  # noqa: N818 (a state, not a fault)
    """The unlock names not every alert holding the lock: nothing is lifted."""

    def __init__(self, unshown: list[int]) -> None:
        said = ", ".join(str(n) for n in unshown[:8]) or "one still being raised"
        super().__init__(f"an alert holding the lock was not shown yet: {said}")
        self.unshown = unshown


@dataclass
class _Held:
    number: int
    alert: Any
    seq: int | None = None  # the `alert` entry's, once recorded


@dataclass
class AlertLocks:
    handed: int = 0  # alerts numbered so far
    held: list[_Held] = field(default_factory=list)  # lock alerts since the last unlock
    lifted: list[int] = field(default_factory=list)  # the seqs the last unlock named
    lifted_top: int = 0  # the highest number among them: an unlock again must cover it
    _unrecorded: list[tuple[Any, int]] = field(default_factory=list)  # (alert, number)

    def hand_out(self, fresh: Iterable[Any]) -> list[int]:
        """Number the alerts about to be handed to the terminal, oldest first."""
        numbers = []
        for alert in fresh:
            self.handed += 1
            numbers.append(self.handed)
            self._unrecorded.append((alert, self.handed))
            if getattr(alert, "response", "") == "lock":
                self.held.append(_Held(self.handed, alert))
        return numbers

    def carry(self, held: list[tuple[Any, int]], after: int) -> None:
        """A resumed session's lock alerts that no unlock lifted, each recorded at its
        seq: they hold the lock again. Numbered above `after` (the ledger's next
        seq, more than the alerts any earlier process recorded and so handed out),
        so a terminal that was shown an earlier process's numbers must list these
        anew before its unlock covers them."""
        self.handed = max(self.handed, after)
        for alert, seq in held:
            self.handed += 1
            self.held.append(_Held(self.handed, alert, seq))

    def holding(self) -> list[tuple[Any, int]]:
        """The alerts that hold the lock now, with their numbers: handed again to a
        terminal that connects to the session while it is locked (the one they
        were handed to is gone, and the new one must list them)."""
        return [(h.alert, h.number) for h in self.held]

    def is_handed(self, alert: Any) -> bool:
        return any(a is alert for a, _ in self._unrecorded)

    def recorded(self, alert: Any, seq: int) -> None:
        """`alert` (the very object handed out) is in the ledger at `seq`."""
        number = next((n for a, n in self._unrecorded if a is alert), None)
        if number is None:
            return  # recorded without being handed out (at the seal)
        self._unrecorded = [(a, n) for a, n in self._unrecorded if a is not alert]
        for held in self.held:
            if held.number == number:
                held.seq = seq

    def acknowledge(self, shown: int, more_coming: bool = False) -> list[int]:
        """The seqs of the alerts lifted by an unlock whose screen showed every lock
        alert numbered up to `shown`: all that hold the lock, each recorded.
        Raises LockHeld when one was not shown, or `more_coming` (a lock alert
        raised, not yet handed out)."""
        unshown = [h.number for h in self.held if h.number > shown]
        if unshown or more_coming:
            raise LockHeld(unshown)
        unrecorded = [h.number for h in self.held if h.seq is None]
        if unrecorded:  # the caller records them first: never lift one the ledger lacks
            raise LockHeld(unrecorded)
        return [h.seq for h in self.held if h.seq is not None]

    def lift(self, seqs: list[int]) -> None:
        self.lifted_top = max((h.number for h in self.held), default=0)
        self.held, self.lifted = [], seqs
