"""Coverage holds one reference per screen interval while it sweeps, not a pair
(issue 14: bounded memory). `coverage.coverage` grouped every interval of a file
as a (session, interval) tuple before the sweep, and the sweep kept a
(session, seq, start) tuple per screen: 183 bytes an interval on CPython 3.11,
tens of MB at 700,000 views. It now groups them per file and session in lists
and counts screens per session: about 103 bytes. The result is the same."""

from __future__ import annotations

import tracemalloc

from cleanroom.forensics.coverage import coverage
from cleanroom.forensics.screen import Shown, Viewport

BLOB = "ab" * 32
N = 20_000  # intervals per session
BOUND = 140  # bytes an interval at the peak of coverage(): 183 before, about 103 after


def _sessions():
    def views(salt: int) -> list[Shown]:
        return [
            Shown(Viewport(b"a.c", BLOB, i % 300 + 1, i % 300 + 40, 0, 80, i), i * 10 + salt,
                  i * 10 + salt + 5, 5, "view")
            for i in range(N)
        ]  # fmt: skip

    return {"s1": views(0), "s2": views(1)}


def test_the_sweep_holds_little_beyond_the_intervals():
    sessions = _sessions()
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        (f,) = coverage(sessions.items(), {(b"a.c", BLOB): 400})
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    assert peak / (2 * N) < BOUND, f"{peak / (2 * N):.0f} bytes an interval"
    assert f.intervals == 2 * N and f.on_screen_us == 2 * N * 5
    assert f.sessions == {"s1": N * 5, "s2": N * 5}


def test_a_screen_shown_as_several_runs_counts_once_per_session():
    vp = [Viewport(b"a.c", BLOB, a, b, 0, 0, 7) for a, b in ((1, 3), (10, 12))]
    page = [Shown(v, 100, 150, 50, "view") for v in vp]  # one page of result rows, two runs
    (f,) = coverage([("s1", page), ("s2", page)], {(b"a.c", BLOB): 20})
    assert f.intervals == 2 and f.on_screen_us == 100
    assert f.sessions == {"s1": 50, "s2": 50}
