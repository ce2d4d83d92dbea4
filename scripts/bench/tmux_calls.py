#!/usr/bin/env python3
"""What one tmux command costs a real-terminal test (tests/tmuxkit.py).

    .venv/bin/python scripts/bench/tmux_calls.py [--calls 300]

Starts a tmux session (120x36, a pane printing a screenful) and reads its screen
(`capture-pane -p`) `--calls` times each way: a `tmux` process per command, and
a line to tmuxkit's control-mode client (`tmux -C`, one per session); then times
`Tmux.cpu_ticks` (the idle check `settle` reads twice a step). Prints, per call,
the CPU of this process and of its reaped children, and the wall time. Quote it
with the load average (`uptime`): the machine is shared, and a loaded one makes
every process's wall time longer, not the CPU per call.
"""

# ruff: noqa: E402
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.tmuxkit import Tmux


def cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, kids.ru_utime + kids.ru_stime


def timed(label: str, calls: int, call) -> None:
    (own, kids), wall = cpu(), time.monotonic()
    for _ in range(calls):
        call()
    (own2, kids2), wall2 = cpu(), time.monotonic()
    per = 1000 / calls
    print(f"{label:<28} self {(own2 - own) * per:6.2f} ms  children {(kids2 - kids) * per:6.2f}"
          f" ms  wall {(wall2 - wall) * per:6.2f} ms  per call")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=300)
    calls = parser.parse_args().calls
    print(f"load average: {os.getloadavg()}")
    with tempfile.TemporaryDirectory() as tmp:
        term = Tmux(Path(tmp))
        term.start("seq 1 34; sleep 600")
        try:
            term.wait_for("34")
            argv = ["tmux", "-S", term.socket, "capture-pane", "-p", "-t", term.name]

            def process() -> None:
                subprocess.run(argv, capture_output=True, text=True, timeout=30)

            timed("capture-pane, a process", calls, process)
            timed("capture-pane, control", calls, term.screen)
            timed("cpu_ticks", calls, term.cpu_ticks)
        finally:
            term.close()


if __name__ == "__main__":
    main()
