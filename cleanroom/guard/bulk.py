"""Bulk capture: lines shown faster than anyone reads them, over any stretch of time.

Paging through files to photograph or scrape them shows many *new* lines per
second; reading shows a screenful every several seconds, and going back over
lines already seen shows nothing new. Pure: the caller passes the time, so tests
script any pace.

- `SeenLines` turns each viewport (or each search result row) into the number of
  line-equivalents never shown before: (line, 100-column band) cells, so a wide
  screen scrolled sideways through long lines counts as paging down does.
- `BulkDetector` keeps, for each horizon of `BulkLimits` (10 s, 1 min and
  10 min by default), the new lines shown in the trailing horizon, and compares
  their average per second over the whole horizon with that horizon's limit. No
  pause resets a horizon: a pager paced just slower than any one window is still
  caught by the longer ones. A horizon fires once when its average first goes
  over its limit, and again only after it has fallen back to the limit.
"""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

from .policy import BulkLimits, Horizon

BAND = 100  # columns of one line that count as one line read (a "line-equivalent")


def _bands(col: int, cols: int) -> range:
    """The column bands a view of columns col..col+cols-1 counts: every band from the
    first, a bound from above. Views once carried each line's characters left of
    `col`, and counting only the bands on screen let a view of column 1000 of short
    lines carry whole files while counting nothing (attack on issue 13, F1); views
    now carry only their cells (ADR 0204), and the count stays conservative."""
    return range(0, (max(0, col) + max(1, cols) - 1) // BAND + 1)


class SeenLines:
    """The parts of each file already shown, in line-equivalents that width cannot beat.

    A line is cut into bands of `BAND` columns; each (line, band) cell shown counts
    once, ever. Band 0 of every line in view counts (an empty line is a line read),
    and another band counts only for a line long enough to show something in it
    (`lengths`, bytes per line: an upper bound of its columns; None means every line
    is long enough). So a screen of short lines counts its lines, as paging down
    does, and scrolling sideways through long lines counts every 100 new columns
    of each line as one more line."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, int], list[tuple[int, int]]] = {}

    def add(
        self,
        name: str,
        first: int,
        last: int,
        col: int = 0,
        cols: int = 0,
        lengths: list[int] | None = None,
    ) -> int:
        """Mark columns 0..col+cols-1 (cols 0: up to column col) of lines first..last
        (inclusive) of `name` delivered; return how many line-equivalents were new."""
        if last < first:
            return 0
        bands = _bands(col, cols)
        if lengths is not None:  # no band past the longest line in view (band 0 always)
            longest = max(lengths, default=0)
            bands = range(0, max(1, min(bands.stop, -(-longest // BAND))))
        new = 0
        for band in bands:
            if band == 0 or lengths is None:
                new += self._add((name, band), first, last)
                continue
            run = None  # a run of consecutive lines long enough to reach this band
            for line, size in enumerate(lengths[: last - first + 1], first):
                if size > band * BAND:
                    run = (run[0], line) if run else (line, line)
                    continue
                if run:
                    new += self._add((name, band), *run)
                    run = None
            if run:
                new += self._add((name, band), *run)
        return new

    def _add(self, key: tuple[str, int], first: int, last: int) -> int:
        """Mark lines first..last of one band shown; return how many were new."""
        spans = self._seen.setdefault(key, [])
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
        self._seen[key] = merged
        return new


@dataclass(frozen=True)
class Episode:
    """A horizon over its limit, as of the moment it fired."""

    horizon: Horizon
    at: float
    lines: int  # new lines shown in the trailing horizon

    def describe(self) -> str:
        h = self.horizon
        return (
            f"{self.lines} new lines in the last {h.seconds:g} s "
            f"({self.lines / h.seconds:.1f} per second; limit {h.lines_per_second:g} "
            f"per second over {h.seconds:g} s)"
        )


class _Window:
    """New lines shown in the trailing `horizon.seconds`, and whether it fired."""

    def __init__(self, horizon: Horizon) -> None:
        self.horizon = horizon
        self.recent: deque[tuple[float, int]] = deque()
        self.lines = 0
        self.over = False

    def feed(self, now: float, new_lines: int) -> Episode | None:
        h = self.horizon
        while self.recent and self.recent[0][0] <= now - h.seconds:
            self.lines -= self.recent.popleft()[1]
        if new_lines:
            self.recent.append((now, new_lines))
            self.lines += new_lines
        over = self.lines > h.lines_per_second * h.seconds
        fired = over and not self.over
        self.over = over
        return Episode(h, now, self.lines) if fired else None


class BulkDetector:
    def __init__(self, limits: BulkLimits) -> None:
        self.limits = limits
        self._windows = [_Window(h) for h in limits.horizons]

    def feed(self, now: float, new_lines: int) -> list[Episode]:
        """`new_lines` never-seen lines were shown at time `now` (seconds, any
        monotonic origin). Returns an episode for each horizon that went over its
        limit with this feed (usually none). O(1) amortized per horizon."""
        return [e for w in self._windows if (e := w.feed(now, new_lines)) is not None]


@dataclass
class Pace:
    """What one reviewer has been shown and how fast: the lines seen and the
    horizons' counts, kept by whoever outlives a session. The recorder keeps one
    for its whole life, so sealing and starting a new session every few seconds
    does not start the count again (attack on issue 13, F1b: ten sessions of 450
    new lines each read 4,500 lines in 4 s with no alert)."""

    limits: object  # policy.BulkLimits
    seen: SeenLines = field(default_factory=SeenLines)
    detector: BulkDetector = field(init=False)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.detector = BulkDetector(self.limits)  # type: ignore[arg-type]
