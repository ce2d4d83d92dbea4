"""Checks of the machine: the network (the guard's own check), the kernel's link
protections, and the clock.

What can be checked about time on an air-gapped machine is whether the clocks
behave, not whether they are right: no time server is reachable, by design. So
the check says when the monotonic clock goes backwards, when the wall clock is
before 2025 (the real-time clock lost its battery), and when it is behind the
newest ledger file (it was set back since the last session). Within a session
the ledger itself flags steps (`CLOCK_STEP`, `SESSION_CLOCK`, docs/verdict.md).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from ..guard.network import NetworkState, read_network
from . import layout
from .layout import Layout
from .problems import Problem

EARLIEST = datetime(2025, 1, 1, tzinfo=UTC).timestamp()
SLACK = 2.0  # seconds a ledger file's time may lead the clock (file system granularity)
SAMPLES = 10_000


def check_network(read: Callable[[], NetworkState] = read_network) -> list[Problem]:
    state = read()
    return [] if state.isolated else [Problem("NETWORK_UP", state.explain())]


def check_sysctls(proc_sys_fs: Path = Path("/proc/sys/fs")) -> list[Problem]:
    """A reviewer who can hard-link a file they cannot read keeps a name for it
    after a move; a followed symlink in a shared directory redirects a writer."""
    out = []
    for name, code in (
        ("protected_hardlinks", "PROTECTED_HARDLINKS"),
        ("protected_symlinks", "PROTECTED_SYMLINKS"),
    ):
        try:
            value = (proc_sys_fs / name).read_text().strip()
        except OSError:
            value = "unreadable"
        if value != "1":
            out.append(Problem(code, f"fs.{name} is {value}; set it to 1 (sysctl -w fs.{name}=1)"))
    return out


def clock_problems(
    monotonic: Sequence[float], wall: float, newest_ledger: float | None
) -> list[Problem]:
    """The clock's problems, from monotonic samples taken in order, the wall time,
    and the modification time of the newest ledger file (None if there is none)."""
    out = []
    back = next((i for i in range(1, len(monotonic)) if monotonic[i] < monotonic[i - 1]), None)
    if back is not None:
        step = monotonic[back - 1] - monotonic[back]
        out.append(
            Problem(
                "CLOCK_NOT_MONOTONIC",
                f"the monotonic clock went back {step:.6f} s between two readings",
            )
        )
    if wall < EARLIEST:
        out.append(
            Problem("CLOCK_UNSET", f"the wall clock says {_iso(wall)}; set it from a trusted clock")
        )
    if newest_ledger is not None and wall + SLACK < newest_ledger:
        out.append(
            Problem(
                "CLOCK_BEHIND_LEDGER",
                f"the wall clock ({_iso(wall)}) is {newest_ledger - wall:.0f} s behind the "
                f"newest ledger file ({_iso(newest_ledger)}); was it set back?",
            )
        )
    return out


def check_clock(lay: Layout) -> list[Problem]:
    samples = [time.monotonic() for _ in range(SAMPLES)]
    return clock_problems(samples, time.time(), newest_ledger(lay.at(layout.LEDGERS)))


def newest_ledger(directory: Path) -> float | None:
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return None
    times = []
    for e in entries:
        try:
            if e.is_file(follow_symlinks=False):
                times.append(e.stat(follow_symlinks=False).st_mtime)
        except OSError:
            continue
    return max(times, default=None)


def _iso(t: float) -> str:
    try:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, OSError, ValueError):
        return f"{t:.0f}"
