"""A file's hottest lines as ranges a person reads: neighbouring hot runs merged.

Coverage keeps runs of lines with equal dwell, so one screen read twice and its
neighbour read once are two runs, and a list of the hottest runs reads as
fragments ("1-12, 13-25, 26-40"). `hot_ranges` takes the `n` hottest runs,
joins those that touch into one range (its dwell and count are those of its
hottest line), and lists the ranges hottest first.
"""

from __future__ import annotations

from .coverage import FileCoverage, Segment


def hot_ranges(f: FileCoverage, n: int) -> list[Segment]:
    runs = sorted(f.hottest(n), key=lambda s: s.first)
    merged: list[Segment] = []
    for s in runs:
        last = merged[-1] if merged else None
        if last is not None and s.first == last.last + 1:
            merged[-1] = Segment(last.first, s.last, max(last.dwell_us, s.dwell_us),
                                 max(last.shown, s.shown))  # fmt: skip
        else:
            merged.append(s)
    return sorted(merged, key=lambda s: (-s.dwell_us, s.first))
