"""Quick open's names for a session: each request bounded, typing narrows.

`pathmatch` matches one path in linear time, but a query of 128 terms over
200,000 names still took over 30 s at load 15 (issue 12), past the terminal's
answer timeout. So one request does a bounded amount of work (`WORK` units, at
most `SECONDS`), and the answer says how far it got: the matches among the
first `searched` of `total` names. Checked every `BLOCK` names, as the guard is
looked at (`cancelled`).

Typing narrows instead of starting again (as fzf does): a query whose every
term contains, in order, the characters of a term of an earlier query (a term
got longer, or a term was added) can only match names that earlier query
matched, so only those are checked, and the scan of the rest goes on from
where it stopped. A query met before (a backspace, or listing again after a
lock) goes on from its own progress, so asking it again takes it further each
time, until every name is searched. A narrowing key whose candidates take more
than its budget answers for fewer names than the key before it: the first
candidate it could not check bounds what it may claim.

`Progress` is kept for the last `KEEP` queries; it never changes once kept,
so two requests at once (a stale terminal worker still finishing) are safe.
"""

from __future__ import annotations

import heapq
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .pathmatch import MAX_QUERY, Cancelled, folded, score, span, terms_of

BLOCK = 256  # names between two looks at the budget and at `cancelled`
# Work units: PATH_COST per name, and 2 per character of the distinct terms (a find
# forward and one back); a unit is 0.08 to 0.17 µs of a quiet core (scripts/bench/quick_open.py)
PATH_COST = 6
WORK = 3_000_000  # units one request may spend: 0.25 to 0.5 s of a quiet core
SECONDS = 1.0  # and at most this long, however loaded the machine is
KEEP = 8  # queries whose progress is kept

Scored = tuple[int, int, int, int]  # (file name?, width, path length, index)


@dataclass(frozen=True)
class Matched:
    """One request's answer: the best `paths` (at most the limit) of the
    `matches` among the first `searched` of the `total` names."""

    paths: list[bytes]
    matches: int
    searched: int
    total: int

    @property
    def partial(self) -> bool:
        return self.searched < self.total


@dataclass(frozen=True)
class Progress:
    """How far a query got. `verified`: the names found to match, all below
    `pending`'s; `pending`: names below `scanned` that may match, still to check
    (ascending); every other name below `scanned` does not match; names from
    `scanned` on are not looked at yet. `best`: the top of `verified`, scored."""

    terms: tuple[str, ...]
    verified: array
    pending: array
    scanned: int
    best: list[Scored]

    @property
    def resolved(self) -> int:
        return self.pending[0] if self.pending else self.scanned


class NameMatcher:
    def __init__(self, paths: Sequence[bytes], limit: int,
                 work: int = WORK, seconds: float = SECONDS) -> None:  # fmt: skip
        self.paths = paths
        self.texts = folded(paths)
        self.limit = limit
        self.work = work
        self.seconds = seconds
        self._kept: OrderedDict[tuple[str, ...], Progress] = OrderedDict()
        self._lock = threading.Lock()

    def match(self, query: str, cancelled: Callable[[], bool] = lambda: False) -> Matched:
        """The answer for `query`, within the budget. Raises Cancelled when
        `cancelled()` turns true (the progress made is kept all the same)."""
        terms = terms_of(query[:MAX_QUERY])
        total = len(self.paths)
        if not terms:
            return Matched(list(self.paths[: self.limit]), total, total, total)
        run = _Run(self, terms, cancelled)
        progress = run.go(self._start(terms))
        with self._lock:
            self._kept[terms] = progress
            self._kept.move_to_end(terms)
            while len(self._kept) > KEEP:
                self._kept.popitem(last=False)
        if run.cancelled:
            raise Cancelled(query)
        shown = [self.paths[s[3]] for s in progress.best]
        return Matched(shown, len(progress.verified), progress.resolved, total)

    def _start(self, terms: tuple[str, ...]) -> Progress:
        """This query's own progress, else one to narrow: the earlier query it
        implies that got furthest (fewest candidates among equals), else none."""
        with self._lock:
            own = self._kept.get(terms)
            if own is not None:
                return own
            bases = [p for p in self._kept.values() if _implies(terms, p.terms)]
        empty = array("I")
        if not bases:
            return Progress(terms, empty, empty, 0, [])
        base = max(bases, key=lambda p: (p.scanned, -len(p.verified) - len(p.pending)))
        return Progress(terms, empty, base.verified + base.pending, base.scanned, [])


def _implies(terms: tuple[str, ...], earlier: tuple[str, ...]) -> bool:
    """True when every name matching `terms` matches `earlier`: each earlier
    term's characters lie, in order, in one of `terms`."""
    return all(any(span(t, e) is not None for t in terms) for e in earlier)


class _Run:
    """One request's work on a `Progress`, counted against the budget."""

    def __init__(self, matcher: NameMatcher, terms: tuple[str, ...],
                 cancelled: Callable[[], bool]) -> None:  # fmt: skip
        self.texts = matcher.texts
        self.limit = matcher.limit
        self.terms = list(terms)
        self.per_name = PATH_COST + 2 * sum(len(t) for t in terms)
        self.left = matcher.work
        self.deadline = time.monotonic() + matcher.seconds
        self.is_cancelled = cancelled
        self.cancelled = False

    def _spend(self, names: int) -> bool:
        """Count `names` names' work; False once the budget is spent or the
        request is cancelled."""
        self.left -= names * self.per_name
        if self.is_cancelled():
            self.cancelled = True
            return False
        return self.left > 0 and time.monotonic() < self.deadline

    def go(self, progress: Progress) -> Progress:
        verified = array("I", progress.verified)
        found: list[Scored] = []
        pending, done = progress.pending, 0
        going = True
        while going and done < len(pending):
            block = pending[done : done + BLOCK]
            self._check(block, verified, found)
            done += len(block)
            going = self._spend(len(block))
        scanned, total = progress.scanned, len(self.texts)
        while going and scanned < total:
            start, scanned = scanned, min(scanned + BLOCK, total)
            self._check(range(start, scanned), verified, found)
            going = self._spend(scanned - start)
        best = heapq.nsmallest(self.limit, progress.best + found)
        return Progress(progress.terms, verified, pending[done:], scanned, best)

    def _check(self, indices: Sequence[int], verified: array, found: list[Scored]) -> None:
        texts, terms = self.texts, self.terms
        for i in indices:
            text = texts[i]
            s = score(text, terms)
            if s is not None:
                verified.append(i)
                found.append((*s, len(text), i))
