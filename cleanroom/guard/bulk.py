"""Bulk capture: lines shown faster than anyone reads them, for a sustained stretch.

Paging through files to photograph or scrape them shows many *new* lines per
second for a long time; reading shows a screenful every several seconds, and
going back over lines already seen shows nothing new. Pure: the caller passes
the time, so tests script any pace.

- `SeenLines` turns each viewport into the number of lines never shown before.
- `BulkDetector` measures new lines per second over the trailing `window`
  seconds at every viewport. A stretch starts when that rate first exceeds the
  limit, and breaks when it falls to the limit or the screen rests longer than
  `window` (so one tall screenful does not count as a pace). A stretch that
  lasts `seconds` fires once.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from .policy import BulkLimits


class SeenLines:
    """The lines of each blob already shown, as merged inclusive intervals."""

    def __init__(self) -> None:
        self._seen: dict[str, list[tuple[int, int]]] = {}

    def add(self, blob: str, first: int, last: int) -> int:
        """Mark lines first..last (inclusive) of `blob` shown; return how many were new."""
        if last < first:
            return 0
        spans = self._seen.setdefault(blob, [])
        new = last - first + 1
        merged = []
        lo, hi = first, last
        for a, b in spans:
            if b < first - 1 or a > last + 1:
                merged.append((a, b))
                continue
            new -= max(0, min(b, last) - max(a, first) + 1)  # overlap already seen
            lo, hi = min(lo, a), max(hi, b)
        merged.append((lo, hi))
        merged.sort()
        self._seen[blob] = merged
        return new


@dataclass(frozen=True)
class Episode:
    """A stretch of bulk reading, as of the moment it fired."""

    started: float
    at: float
    lines: int

    def describe(self, limits: BulkLimits) -> str:
        took = max(self.at - self.started, 1e-9)
        return (
            f"{self.lines} new lines in {took:.1f} s ({self.lines / took:.0f} per second; "
            f"limit {limits.lines_per_second:g} per second for {limits.seconds:g} s)"
        )


class BulkDetector:
    def __init__(self, limits: BulkLimits) -> None:
        self.limits = limits
        self._recent: deque[tuple[float, int]] = deque()
        self._since: float | None = None  # start of the current fast stretch
        self._lines = 0
        self._fired = False
        self._last: float | None = None

    def feed(self, now: float, new_lines: int) -> Episode | None:
        """One viewport at time `now` showing `new_lines` never-seen lines. Returns the
        episode when this viewport makes a stretch long enough, else None."""
        lim = self.limits
        if self._last is not None and now - self._last > lim.window:
            self._since = None  # the screen rested: no sustained pace
        self._last = now
        while self._recent and self._recent[0][0] <= now - lim.window:
            self._recent.popleft()
        self._recent.append((now, new_lines))
        in_window = sum(n for _, n in self._recent)
        if in_window / lim.window <= lim.lines_per_second:
            self._since = None
            return None
        if self._since is None:
            self._since, self._lines, self._fired = self._recent[0][0], in_window, False
        else:
            self._lines += new_lines
        if not self._fired and now - self._since >= lim.seconds:
            self._fired = True
            return Episode(self._since, now, self._lines)
        return None
