"""Dwell per view entry, held as two arrays of machine integers (ADR 0310).

A report keeps, per session, the time each view entry stayed on screen, which
its writers look up entry by entry. A dict of Python ints cost about 100 bytes
a view (65 MB at 700,000 entries); two sorted arrays cost 16, and a lookup is a
bisection.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterator, Mapping


class SeqDwell(Mapping[int, int]):
    """seq -> µs, read-only."""

    def __init__(self, dwell: Mapping[int, int]) -> None:
        seqs = sorted(dwell)
        self._seqs = array("q", seqs)
        self._us = array("q", (dwell[s] for s in seqs))

    def __getitem__(self, seq: int) -> int:
        i = bisect.bisect_left(self._seqs, seq)
        if i < len(self._seqs) and self._seqs[i] == seq:
            return self._us[i]
        raise KeyError(seq)

    def get(self, seq: int, default: int | None = None) -> int | None:  # type: ignore[override]
        """`Mapping.get` without its KeyError: every writer asks for each entry."""
        seqs = self._seqs
        i = bisect.bisect_left(seqs, seq)
        if i < len(seqs) and seqs[i] == seq:
            return self._us[i]
        return default

    def __iter__(self) -> Iterator[int]:
        return iter(self._seqs)

    def __len__(self) -> int:
        return len(self._seqs)
