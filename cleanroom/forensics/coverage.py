"""Per file and content: which lines were on screen, how often and for how long.

Coverage is keyed by (path, blob). The same path with other content is another
version of the file, whose line numbers name other lines, so versions are never
added together. Each `Shown` interval adds its dwell to every line it covered;
idle time and outages are already excluded by `screen.shown`. A line shown for
zero measurable time (the last entry before a crash) still counts as seen.

`FileCoverage.heatmap(n)` folds the lines into at most `n` cells for drawing:
each cell holds the most-watched line in it, so one hot line is never averaged
away, and a heat level from 0 (never shown) to `LEVELS - 1`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate

from .screen import Shown

LEVELS = 10  # heat levels: 0 = never on screen, 1..9 = log-scaled dwell

FileKey = tuple[bytes, str]  # (path, blob)


@dataclass(frozen=True, slots=True)
class Segment:
    """Lines first..last (1-based, inclusive), each shown `shown` times for `dwell_us`."""

    first: int
    last: int
    dwell_us: int
    shown: int


@dataclass(frozen=True, slots=True)
class Cell:
    """One heatmap cell: lines first..last, the hottest line's dwell, and its level."""

    first: int
    last: int
    dwell_us: int
    seen: bool
    level: int


@dataclass
class FileCoverage:
    path: bytes
    blob: str
    lines: int
    dwell_us: list[int]  # per line; index 0 is line 1
    shown: list[int]  # how many intervals covered each line
    on_screen_us: int = 0  # time any line of this content was on screen
    intervals: int = 0
    sessions: dict[str, int] = field(default_factory=dict)  # session key -> on-screen µs

    @property
    def max_dwell_us(self) -> int:
        return max(self.dwell_us, default=0)

    @property
    def lines_seen(self) -> int:
        return sum(1 for n in self.shown if n)

    def segments(self) -> list[Segment]:
        """The whole file as runs of lines with equal dwell and count."""
        out: list[Segment] = []
        start = 0
        for i in range(1, self.lines + 1):
            if i == self.lines or (self.dwell_us[i], self.shown[i]) != (
                self.dwell_us[start],
                self.shown[start],
            ):
                out.append(Segment(start + 1, i, self.dwell_us[start], self.shown[start]))
                start = i
        return out

    def hottest(self, n: int) -> list[Segment]:
        """The `n` seen segments with the most dwell, hottest first."""
        seen = [s for s in self.segments() if s.shown]
        return sorted(seen, key=lambda s: (-s.dwell_us, s.first))[:n]

    def heatmap(self, cells: int, scale_us: int | None = None) -> list[Cell]:
        """At most `cells` cells over the file. Levels are relative to `scale_us`
        (default: this file's hottest line); pass one scale to compare files."""
        scale = self.max_dwell_us if scale_us is None else scale_us
        n = max(1, min(cells, self.lines))
        out = []
        for k in range(n):
            a, b = self.lines * k // n, self.lines * (k + 1) // n
            dwell = max(self.dwell_us[a:b], default=0)
            seen = any(self.shown[a:b])
            out.append(Cell(a + 1, b, dwell, seen, heat_level(dwell, seen, scale)))
        return out


def heat_level(dwell_us: int, seen: bool, scale_us: int) -> int:
    """0 for never shown; else 1..LEVELS-1 on a log scale up to `scale_us`."""
    if not seen:
        return 0
    if scale_us <= 0 or dwell_us <= 0:
        return 1
    frac = math.log1p(dwell_us / 1000) / math.log1p(scale_us / 1000)
    return max(1, min(LEVELS - 1, 1 + round(frac * (LEVELS - 2))))


def coverage(
    sessions: Iterable[tuple[str, Sequence[Shown]]],
    line_counts: Mapping[FileKey, int] | None = None,
) -> list[FileCoverage]:
    """Coverage per (path, blob) over `sessions`: (session key, its intervals).
    `line_counts` gives the length of each content where known (from `file_open`
    or the snapshot); otherwise the highest line shown stands in. Sorted by path."""
    by_file: dict[FileKey, list[tuple[str, Shown]]] = defaultdict(list)
    for key, intervals in sessions:
        for s in intervals:
            by_file[(s.viewport.path, s.viewport.blob)].append((key, s))
    counts = line_counts or {}
    return [_one(fk, items, counts.get(fk, 0)) for fk, items in sorted(by_file.items())]


def _one(fk: FileKey, items: list[tuple[str, Shown]], known_lines: int) -> FileCoverage:
    highest = max((s.viewport.last for _, s in items), default=0)
    lines = max(known_lines, highest, 1)
    dwell_delta = [0] * (lines + 1)
    shown_delta = [0] * (lines + 1)
    per_session: dict[str, int] = defaultdict(int)
    total = 0
    for key, s in items:
        first = max(1, s.viewport.first)
        last = min(lines, s.viewport.last)
        per_session[key] += s.dwell_us
        total += s.dwell_us
        if first > last:
            continue
        dwell_delta[first - 1] += s.dwell_us
        dwell_delta[last] -= s.dwell_us
        shown_delta[first - 1] += 1
        shown_delta[last] -= 1
    dwell = list(accumulate(dwell_delta[:lines]))
    shown = list(accumulate(shown_delta[:lines]))
    return FileCoverage(fk[0], fk[1], lines, dwell, shown, total, len(items), dict(per_session))
