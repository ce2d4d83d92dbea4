"""`SeqDwell` answers as the dict of dwell per view it replaces (ADR 0310)."""

from __future__ import annotations

import sys

import pytest

from cleanroom.forensics.dwell import SeqDwell


@pytest.mark.parametrize(
    "dwell",
    [{}, {7: 0}, {1: 5}, {9: 1, 2: 3, 5: 0, -4: 8}, {i * 3: i for i in range(1000)}],
)
def test_it_answers_as_the_dict(dwell):
    d = SeqDwell(dwell)
    assert d == dwell and len(d) == len(dwell) and list(d) == sorted(dwell)
    for seq in range(-6, 3002):
        assert d.get(seq, -1) == dwell.get(seq, -1)
        assert d.get(seq) == dwell.get(seq)  # SeqDwell's own get, no KeyError inside
        assert (seq in d) == (seq in dwell)
    with pytest.raises(KeyError):
        d[10**6]
    assert d.get(2**70) is None and d.get(-(2**70), 3) == 3  # beyond the array's integers


def test_it_holds_far_less_than_a_dict():
    dwell = {1_000_000 + i: 1_000_000 + i for i in range(100_000)}
    d = SeqDwell(dwell)
    held = sys.getsizeof(d._seqs) + sys.getsizeof(d._us)
    ints = sum(sys.getsizeof(k) + sys.getsizeof(v) for k, v in dwell.items())
    assert held * 4 < sys.getsizeof(dwell) + ints
