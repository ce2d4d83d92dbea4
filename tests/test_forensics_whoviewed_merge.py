"""`whoviewed.merge` (sorted once per distinct range since issue 14's speed work)
gives exactly the union the plain definition gives: boring inputs and random ones."""

from __future__ import annotations

import random

from cleanroom.forensics.whoviewed import merge


def _union(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The definition: every line covered, as maximal runs of consecutive lines."""
    lines = sorted({n for a, b in ranges for n in range(a, b + 1)})
    out: list[tuple[int, int]] = []
    for n in lines:
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def test_boring_inputs() -> None:
    assert merge([]) == []
    assert merge([(5, 5)]) == [(5, 5)]
    assert merge([(3, 2)]) == []  # empty after clipping: dropped
    assert merge([(1, 4), (1, 4), (1, 4)]) == [(1, 4)]
    assert merge([(5, 9), (1, 4)]) == [(1, 9)]  # adjacent runs join
    assert merge([(1, 3), (5, 6)]) == [(1, 3), (5, 6)]
    assert merge([(1, 10), (2, 3), (4, 12)]) == [(1, 12)]
    assert merge(iter([(2, 2), (1, 1)])) == [(1, 2)]  # any iterable, once


def test_random_ranges_give_the_union() -> None:
    rng = random.Random(14)
    for _ in range(500):
        ranges = []
        for _ in range(rng.randint(0, 30)):
            a = rng.randint(1, 60)
            ranges.append((a, a + rng.randint(-3, 12)))
        assert merge(ranges) == _union([r for r in ranges if r[0] <= r[1]]), ranges
