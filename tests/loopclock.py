"""How an event loop spent the time between two of its timer ticks, from the
kernel's per-thread accounting (/proc/thread-self/schedstat), so tests bound CPU
and blocked time rather than wall-clock gaps: a loaded machine stretches the gaps
between a loop's timers, but neither the time the loop spends blocked (in a
select, on a lock, behind work that should run elsewhere) nor the time it runs
without returning to its timers (work done on the loop)."""

from __future__ import annotations

import itertools
import time
from typing import NamedTuple


class Mark(NamedTuple):
    at: float  # time.monotonic()
    ran: float  # seconds this thread has run on a CPU
    queued: float  # seconds it was runnable but not run (the machine's load)


def mark() -> Mark:
    """Taken on the loop's own thread (a timer's callback, or the test's code)."""
    with open("/proc/thread-self/schedstat", encoding="ascii") as f:
        ran, queued = f.read().split()[:2]
    return Mark(time.monotonic(), int(ran) / 1e9, int(queued) / 1e9)


def most_blocked(marks: list[Mark]) -> float:
    """The longest the loop was blocked between two consecutive marks: wall time less
    the time it ran or waited for a CPU. A loop held by a request or a lock is
    blocked; a loop the machine is too busy to run is not."""
    pairs = itertools.pairwise(marks)
    return max(((b.at - a.at) - (b.ran - a.ran) - (b.queued - a.queued) for a, b in pairs),
               default=0.0)  # fmt: skip


def most_run(marks: list[Mark]) -> float:
    """The most CPU the loop used between two consecutive marks: work done on the
    loop between two timer ticks (a scan there would show as seconds)."""
    return max((b.ran - a.ran for a, b in itertools.pairwise(marks)), default=0.0)
