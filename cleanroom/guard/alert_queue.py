"""Alerts wait here between the threads that raise them and the one that records them.

Observer and poller threads `put`; the UI `drain`s on a timer and records each
result as an `alert` entry, in the order the alerts were first raised. Nothing
is dropped and nothing waits on the consumer:

- **Coalesced.** Alerts with the same (category, subject) that arrive before the
  next drain become one, whose `count` says how many there were, with a tally
  by action and the first few paths as examples.
- **Bounded.** At most `max_subjects` distinct subjects wait at once; beyond
  that, each further subject joins its category's single `OVERFLOW` entry, so
  counts stay exact while memory stays fixed however large the flood.
- **Never blocking.** `put` holds a lock for a dictionary update; `drain` holds
  it only to swap the dictionary out.
"""

from __future__ import annotations

import os
import threading
from collections import Counter
from dataclasses import dataclass, field

from .policy import Category

OVERFLOW = "other places"  # the subject that absorbs a flood of distinct subjects
MAX_DETAIL = 1000
MAX_PATH = 200
MAX_ACTIONS = 8


@dataclass
class Pending:
    """One coalesced alert waiting to be recorded."""

    category: Category
    subject: str
    detail: str = ""  # the first free-text explanation given
    count: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """A one-line description for the ledger (the UI sanitizes it for display)."""
        parts = [self.subject]
        if self.actions:
            parts.append(", ".join(f"{a} ×{n}" for a, n in self.actions.most_common()))
        if self.detail:
            parts.append(self.detail)
        named = self.subject.split(" ", 1)[-1]  # "snapshot /x" names /x already
        shown = [e for e in self.examples if e != named]
        if shown:
            parts.append("e.g. " + ", ".join(shown))
        text = "; ".join(parts)
        return text if len(text) <= MAX_DETAIL else text[: MAX_DETAIL - 1] + "…"


class AlertQueue:
    def __init__(self, max_subjects: int = 64, max_examples: int = 3) -> None:
        self.max_subjects = max_subjects
        self.max_examples = max_examples
        self._lock = threading.Lock()
        self._pending: dict[tuple[Category, str], Pending] = {}
        self.raised = 0  # every put, ever: a flood's size is visible in tests and logs

    def put(
        self, category: Category, subject: str, action: str = "", path: str = "", detail: str = ""
    ) -> None:
        """Queue one occurrence. Thread-safe, O(1), never raises for odd paths."""
        example = printable(path) if path else ""
        with self._lock:
            self.raised += 1
            key = (category, subject)
            entry = self._pending.get(key)
            if entry is None:
                if len(self._pending) >= self.max_subjects:
                    key = (category, OVERFLOW)
                    entry = self._pending.get(key)
                if entry is None:
                    entry = self._pending[key] = Pending(category, key[1], detail[:MAX_DETAIL])
            entry.count += 1
            if action:
                if action in entry.actions or len(entry.actions) < MAX_ACTIONS:
                    entry.actions[action] += 1
                else:
                    entry.actions["other"] += 1
            if (
                example
                and len(entry.examples) < self.max_examples
                and example not in entry.examples
            ):
                entry.examples.append(example)

    def drain(self) -> list[Pending]:
        """Everything queued since the last drain, oldest first."""
        with self._lock:
            pending, self._pending = self._pending, {}
        return list(pending.values())

    def __len__(self) -> int:
        return len(self._pending)


def printable(path: str | bytes) -> str:
    """A path as a string the ledger can always encode (undecodable bytes become
    backslash escapes), shortened in the middle if very long."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    if len(text) > MAX_PATH:
        half = MAX_PATH // 2
        text = text[:half] + "…" + text[-half:]
    return text
