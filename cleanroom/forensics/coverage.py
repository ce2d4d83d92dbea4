"""Per file and content: which lines were on screen, how often and for how long.

Coverage is keyed by (path, blob) and kept as runs of lines with equal dwell,
so a file of a hundred million lines costs what its viewed intervals cost. The
same path with other content is another version of the file, whose line numbers
name other lines, so versions are never added together. Each `Shown` interval
adds its dwell to every line it covered; idle time and outages are already
excluded by `screen.shown`. A line shown for zero measurable time (the last
entry before a crash) still counts as seen. Search result rows count too: the
caller turns each page of rows on screen into one `Shown` per run of lines of
one file (`resultlines.rows_as_shown`); those of one page share their start and `seq`, so
the time on screen of a file counts that page once.

`FileCoverage.heatmap(n)` folds the lines into at most `n` cells for drawing:
each cell holds the most-watched line in it, so one hot line is never averaged
away, and a heat level from 0 (never shown) to `LEVELS - 1`.
"""

from __future__ import annotations

import bisect
import heapq
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .screen import Shown
from .shownlines import shown_lines

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
    """One file version's coverage as runs of lines (`runs`: consecutive `Segment`s
    from line 1 to `lines`, unseen stretches included), so its cost follows the
    intervals shown, never the length of the file."""

    path: bytes
    blob: str
    lines: int
    runs: list[Segment]
    on_screen_us: int = 0  # time any line of this content was on screen
    intervals: int = 0
    sessions: dict[str, int] = field(default_factory=dict)  # session key -> on-screen µs

    @property
    def max_dwell_us(self) -> int:
        return max((s.dwell_us for s in self.runs), default=0)

    @property
    def lines_seen(self) -> int:
        return sum(s.last - s.first + 1 for s in self.runs if s.shown)

    def at(self, line: int) -> Segment | None:
        """The run holding `line` (1-based), or None outside the file."""
        i = bisect.bisect_right(self.runs, line, key=lambda s: s.first) - 1
        return self.runs[i] if 0 <= i < len(self.runs) and line <= self.runs[i].last else None

    def segments(self) -> list[Segment]:
        """The whole file as runs of lines with equal dwell and count."""
        return list(self.runs)

    def hottest(self, n: int) -> list[Segment]:
        """The `n` seen segments with the most dwell, hottest first."""
        seen = [s for s in self.runs if s.shown]
        return heapq.nsmallest(n, seen, key=lambda s: (-s.dwell_us, s.first))

    def heatmap(self, cells: int, scale_us: int | None = None) -> list[Cell]:
        """At most `cells` cells over the file. Levels are relative to `scale_us`
        (default: this file's hottest line); pass one scale to compare files."""
        scale = self.max_dwell_us if scale_us is None else scale_us
        n = max(1, min(cells, self.lines))
        out = []
        runs, j = self.runs, 0
        for k in range(n):
            first, last = self.lines * k // n + 1, self.lines * (k + 1) // n
            while j < len(runs) and runs[j].last < first:
                j += 1
            dwell, seen, i = 0, False, j
            while i < len(runs) and runs[i].first <= last:
                dwell, seen = max(dwell, runs[i].dwell_us), seen or bool(runs[i].shown)
                i += 1
            out.append(Cell(first, last, dwell, seen, heat_level(dwell, seen, scale)))
        return out


def heat_level(dwell_us: int, seen: bool, scale_us: int) -> int:
    """0 for never shown; else 1..LEVELS-1 on a log scale up to `scale_us`."""
    if not seen:
        return 0
    if scale_us <= 0 or dwell_us <= 0:
        return 1
    frac = math.log1p(dwell_us / 1000) / math.log1p(scale_us / 1000)
    return max(1, min(LEVELS - 1, 1 + round(frac * (LEVELS - 2))))


def level_floor_us(level: int, scale_us: int) -> int:
    """The least dwell `heat_level` puts at `level` or above on `scale_us`, for a
    legend with numbers (0 for level 1: any time at all, even none measured)."""
    if level <= 1 or scale_us <= 0:
        return 0
    frac = (level - 1.5) / (LEVELS - 2)  # where `round` in heat_level goes up to `level`
    us = math.ceil(1000 * math.expm1(frac * math.log1p(scale_us / 1000)))
    while us > 0 and heat_level(us - 1, True, scale_us) >= level:  # float edges
        us -= 1
    while heat_level(us, True, scale_us) < level:
        us += 1
    return us


def coverage(
    sessions: Iterable[tuple[str, Sequence[Shown]]],
    line_counts: Mapping[FileKey, int] | None = None,
) -> list[FileCoverage]:
    """Coverage per (path, blob) over `sessions`: (session key, its intervals).
    `line_counts` gives the length of each content where known (from `file_open`
    or the snapshot): views are clamped to it. Otherwise the highest line shown
    stands in. Sorted by path."""
    # Per file, each session's intervals in a list of their own: one reference per
    # interval, not a (session, interval) pair (64 bytes a view, held until the
    # sweep: tens of MB at 700,000 views, issue 14).
    by_file: dict[FileKey, dict[str, list[Shown]]] = defaultdict(dict)
    for key, intervals in sessions:
        for s in intervals:
            vp = s.viewport
            mine = by_file[(vp.path, vp.blob)]
            group = mine.get(key)
            if group is None:
                group = mine[key] = []
            group.append(s)
    counts = line_counts or {}
    return [_one(fk, items, counts.get(fk, 0)) for fk, items in sorted(by_file.items())]


def _one(fk: FileKey, items: dict[str, list[Shown]], known_lines: int) -> FileCoverage:
    """A file's runs by a sweep over the interval ends: O(k log k) for k intervals,
    `items` by session. Lines beyond a known length are not counted (the terminal
    cannot show them)."""
    lines = known_lines if known_lines > 0 else max(
        (s.viewport.last for group in items.values() for s in group), default=1
    )  # fmt: skip
    lines = shown_lines(lines)
    delta: dict[int, list[int]] = defaultdict(lambda: [0, 0])  # line -> [dwell, count] change
    per_session: dict[str, int] = defaultdict(int)
    total = 0
    screens = 0
    for key, group in items.items():
        counted: set[tuple[int, int]] = set()  # one screen counts its time once
        for s in group:
            first = max(1, s.viewport.first)
            last = min(lines, s.viewport.last)
            screen = (s.viewport.seq, s.start_us)
            if screen not in counted:
                counted.add(screen)
                per_session[key] += s.dwell_us
                total += s.dwell_us
            if first > last:
                continue
            a, b = delta[first], delta[last + 1]
            a[0] += s.dwell_us
            a[1] += 1
            b[0] -= s.dwell_us
            b[1] -= 1
        screens += len(counted)
    runs: list[Segment] = []
    dwell = count = 0
    start = 1
    for line in sorted({*delta, 1, lines + 1}):
        if line > start and line <= lines + 1:
            _add(runs, Segment(start, line - 1, dwell, count))
            start = line
        d = delta.get(line)
        if d is not None:
            dwell += d[0]
            count += d[1]
    return FileCoverage(fk[0], fk[1], lines, runs, total, screens, dict(per_session))


def _add(runs: list[Segment], seg: Segment) -> None:
    """Append `seg`, merged into the last run when their dwell and count agree."""
    if runs and (runs[-1].dwell_us, runs[-1].shown) == (seg.dwell_us, seg.shown):
        runs[-1] = Segment(runs[-1].first, seg.last, seg.dwell_us, seg.shown)
    else:
        runs.append(seg)
