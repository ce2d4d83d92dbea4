#!/usr/bin/env python3
"""Where a real-terminal test spends its time and CPU (tests/tmuxkit.py).

    .venv/bin/python scripts/bench/e2e_cost.py [--runs 3] TEST_ID [TEST_ID ...]

Runs pytest on the given tests `--runs` times (each run a fresh process, one test
at a time, no xdist) and prints, per test, the median over the runs of:

- wall: the test's own wall time (setup, call, teardown);
- test: CPU (user + system) of the pytest process, which for a Pilot test holds
  the app's too; kids: of the processes it reaped (`tmux` commands, the control
  client, `cleanroom verify`, ...);
- app: CPU of what ran in tmux panes (the review or demo, its recorder), read
  from the pane's process tree (each alive, with what it reaped) or, once the
  pane has exited, from the tmux server that reaped it, just before the test's
  `Tmux.close` kills the server; tmux: CPU of
  the tmux server itself (parsing the app's output, answering captures);
- start: wall from `Tmux.start` to the first screen showing "paper log" (the
  app's start-up: imports, snapshot, keys, recorder); wait: wall spent in
  `wait_for`/`wait_until`/`press_until`/`wait_exit`; settle: in `settle` (quiet checks).

Quote it with the load average it prints (`uptime`): on a shared machine wall
times stretch; CPU seconds move less.
"""

# ruff: noqa: E402
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
TICK = os.sysconf("SC_CLK_TCK")
FIELDS = ("wall", "test", "kids", "app", "tmux", "start", "wait", "settle")


def _stat(pid: int) -> list[int] | None:
    """utime, stime, cutime, cstime of `pid`, in ticks (None once it has gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rpartition(")")[2].split()
    except OSError:
        return None
    return [int(x) for x in fields[11:15]]


def _tree(pid: int) -> int:
    """CPU ticks of `pid` and every process under it still alive, with what each
    has reaped (a reaped child is counted once: in its parent's cutime)."""
    ticks, todo, seen = 0, [pid], set()
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        ticks += sum(_stat(pid) or [0])
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/children") as f:
                    todo += [int(child) for child in f.read().split()]
            except OSError:
                continue
    return ticks


class Plugin:
    """Wraps tests/tmuxkit.Tmux to account its waits and, at close, the CPU of the
    pane and the server; times each test with its own and its children's rusage."""

    def __init__(self) -> None:
        self.rows: dict[str, dict[str, float]] = {}
        self.acc: dict[str, float] = {}
        self._patch()

    def _patch(self) -> None:
        from tests import tmuxkit

        plugin = self
        cls = tmuxkit.Tmux
        real = {n: getattr(cls, n) for n in ("start", "close", "wait_for", "wait_until",
                                             "press_until", "wait_exit", "settle")}  # fmt: skip
        depth = {"n": 0}

        def timed(name: str, key: str):
            def wrapper(self, *args, **kwargs):
                outer = depth["n"] == 0
                depth["n"] += 1
                begun = time.monotonic()
                try:
                    return real[name](self, *args, **kwargs)
                finally:
                    depth["n"] -= 1
                    if outer:
                        plugin.acc[key] = plugin.acc.get(key, 0.0) + time.monotonic() - begun
                    started = getattr(self, "_bench_started", None)
                    if name == "wait_for" and started is not None and args[:1] == ("paper log",):
                        took = time.monotonic() - started
                        plugin.acc["start"] = plugin.acc.get("start", 0.0) + took
                        self._bench_started = None

            return wrapper

        def start(self, *args, **kwargs):
            self._bench_started = time.monotonic()
            real["start"](self, *args, **kwargs)
            self._bench_server = int(self._tmux("display-message", "-p", "#{pid}"))
            self._bench_pane = int(self._tmux("display-message", "-p", "-t", self.name,
                                              "#{pane_pid}"))  # fmt: skip

        def close(self):
            server = getattr(self, "_bench_server", None)
            if server is not None:
                own = _stat(server) or [0, 0, 0, 0]
                app = own[2] + own[3] + _tree(self._bench_pane)  # reaped, or alive
                plugin.acc["app"] = plugin.acc.get("app", 0.0) + app / TICK
                plugin.acc["tmux"] = plugin.acc.get("tmux", 0.0) + (own[0] + own[1]) / TICK
            real["close"](self)

        cls.start, cls.close = start, close
        cls.wait_for = timed("wait_for", "wait")
        cls.wait_until = timed("wait_until", "wait")
        cls.press_until = timed("press_until", "wait")
        cls.wait_exit = timed("wait_exit", "wait")
        cls.settle = timed("settle", "settle")

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item, nextitem):
        self.acc = {}
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        begun = time.monotonic()
        yield
        wall = time.monotonic() - begun
        own2 = resource.getrusage(resource.RUSAGE_SELF)
        kids2 = resource.getrusage(resource.RUSAGE_CHILDREN)
        row = {
            "wall": wall,
            "test": own2.ru_utime + own2.ru_stime - own.ru_utime - own.ru_stime,
            "kids": kids2.ru_utime + kids2.ru_stime - kids.ru_utime - kids.ru_stime,
        }
        row.update(self.acc)
        self.rows[item.nodeid] = row


def child(out: Path, args: list[str]) -> int:
    plugin = Plugin()
    code = pytest.main(["-q", "-p", "no:cacheprovider", "-p", "no:xdist", *args], plugins=[plugin])
    out.write_text(json.dumps(plugin.rows))
    return int(code)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        sys.exit(child(Path(sys.argv[2]), sys.argv[3:]))
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("tests", nargs="+")
    opts = parser.parse_args()
    runs: list[dict[str, dict[str, float]]] = []
    for i in range(opts.runs):
        print(f"run {i + 1}/{opts.runs}, load average {os.getloadavg()}", file=sys.stderr)
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "rows.json"
            done = subprocess.run([sys.executable, __file__, "--child", str(out), *opts.tests],
                                  cwd=ROOT)  # fmt: skip
            if done.returncode != 0:
                print(f"run {i + 1}: pytest exited {done.returncode}", file=sys.stderr)
            runs.append(json.loads(out.read_text()) if out.exists() else {})
    print(f"load average after: {os.getloadavg()}")
    print(f"{'median of ' + str(opts.runs) + ' (s)':<70}" + "".join(f"{f:>8}" for f in FIELDS))
    for test in dict.fromkeys(t for run in runs for t in run):
        rows = [run[test] for run in runs if test in run]
        cells = [statistics.median(r.get(f, 0.0) for r in rows) for f in FIELDS]
        print(f"{test[-69:]:<70}" + "".join(f"{c:8.1f}" for c in cells))


if __name__ == "__main__":
    main()
