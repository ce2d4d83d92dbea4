"""Where the suite's time goes: a pytest plugin that records, for every test phase
(setup, call, teardown), the wall time and the CPU time this process and its
children spent (getrusage SELF + CHILDREN, user + system), and writes one JSON
line a phase.

A phase whose wall time is far above its CPU time waits (a sleep, a timeout, a
subprocess, a terminal) rather than computes: those are the ones to cut by
waiting on the event that matters. Children's CPU counts only once they are
reaped, so a child still running when the phase ends is not counted.

    .venv/bin/python -m pytest -p scripts.bench.testcost -n 0 -q tests/test_x.py
    TESTCOST_OUT=/tmp/cost.jsonl (default: testcost.jsonl in the current directory)
    .venv/bin/python scripts/bench/testcost.py /tmp/cost.jsonl   # per file, per test

Under xdist each worker appends its own lines (the file is opened in append mode
and each line is written whole).
"""

from __future__ import annotations

import collections
import json
import os
import resource
import sys
import time

import pytest


def _cpu() -> float:
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _sched() -> tuple[float, float]:
    """This thread's time on a CPU and time waiting for one (a runnable thread the
    busy machine did not run), from /proc/thread-self/schedstat; zeros without it."""
    try:
        with open("/proc/thread-self/schedstat", encoding="ascii") as f:
            run, queued = f.read().split()[:2]
    except (OSError, ValueError):
        return 0.0, 0.0
    return int(run) / 1e9, int(queued) / 1e9


def _out() -> str:
    return os.environ.get("TESTCOST_OUT", "testcost.jsonl")


def _record(item: pytest.Item, phase: str, wall: float, cpu: float, blocked: float) -> None:
    line = json.dumps(
        {"id": item.nodeid, "phase": phase, "wall": wall, "cpu": cpu, "blocked": blocked}
    )
    with open(_out(), "a", encoding="utf-8") as f:
        f.write(line + "\n")


def _timed(phase: str):
    @pytest.hookimpl(hookwrapper=True)
    def hook(item, *args, **kwargs):
        w0, c0, (r0, q0) = time.perf_counter(), _cpu(), _sched()
        yield
        wall = time.perf_counter() - w0
        r1, q1 = _sched()
        # The main thread's wall time neither on a CPU nor waiting for one: asleep
        # (a timeout, a sleep, a subprocess, an fsync, another thread). Load-free.
        blocked = max(0.0, wall - (r1 - r0) - (q1 - q0)) if r1 else 0.0
        _record(item, phase, wall, _cpu() - c0, blocked)

    return hook


pytest_runtest_setup = _timed("setup")
pytest_runtest_call = _timed("call")
pytest_runtest_teardown = _timed("teardown")


def summarize(path: str, top: int = 40) -> None:
    """Totals per phase, per file and per test: wall, CPU, and the main thread's
    blocked time (asleep, whatever the load)."""
    per_test: dict[str, list[float]] = collections.defaultdict(lambda: [0.0] * 3)
    per_file: dict[str, list[float]] = collections.defaultdict(lambda: [0.0] * 4)
    per_phase: dict[str, list[float]] = collections.defaultdict(lambda: [0.0] * 3)
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            for acc in (per_test[r["id"]], per_phase[r["phase"]]):
                acc[0] += r["wall"]
                acc[1] += r["cpu"]
                acc[2] += r.get("blocked", 0.0)
    for tid, (wall, cpu, blocked) in per_test.items():
        fl = per_file[tid.split("::")[0]]
        fl[0] += wall
        fl[1] += cpu
        fl[2] += blocked
        fl[3] += 1
    w, c, b = (sum(v[i] for v in per_test.values()) for i in range(3))
    print(f"{len(per_test)} tests: wall {w:.1f} s, cpu {c:.1f} s, blocked {b:.1f} s")
    for phase, (w, c, b) in sorted(per_phase.items()):
        print(f"  {phase:9s} wall {w:8.1f}  cpu {c:8.1f}  blocked {b:8.1f}")
    print(f"\nper file (top {top} by wall): wall cpu blocked n")
    for name, (w, c, b, n) in sorted(per_file.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"{w:8.1f} {c:8.1f} {b:8.1f} {int(n):5d}  {name}")
    print(f"\nper test (top {top} by blocked): wall cpu blocked")
    for name, (w, c, b) in sorted(per_test.items(), key=lambda kv: -kv[1][2])[:top]:
        print(f"{w:8.1f} {c:8.1f} {b:8.1f}  {name}")


if __name__ == "__main__":
    summarize(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 40)
