#!/usr/bin/env python3
"""A burst of 10,000 file creations under a media root, against a real guard.

    .venv/bin/python scripts/bench/guard_flood.py            # 5 runs of 10,000
    .venv/bin/python scripts/bench/guard_flood.py --runs 3 --files 20000

The room of tests/test_guard_flood.py (tests/guardkit.py: a real snapshot, ledger,
keys and inotify watches): a child process makes the files with mknod, then deletes
one; this process drains the guard every 50 ms, as the UI's timer does, until that
deletion is seen. Per run: the seconds the child took to make the files and until
the burst's last event was seen, the alerts it came as, and each drain's wall time
and CPU time of this thread (`time.thread_time`). Wall time includes waiting for
the GIL, which the watchdog thread holds while it handles the flood, and for a
core on a shared machine; CPU time is the drain's own work. Reported (medians
over runs of p50, p99 and max), never asserted; quote it with the load average.
"""

# ruff: noqa: E402
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))

from tests.guardkit import build, of
from tests.test_guard_flood import BURST, tally


def one_run(files: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="guard-flood-") as tmp:
        room = build(Path(tmp))
        try:
            walls: list[float] = []
            cpus: list[float] = []
            child = subprocess.Popen([sys.executable, "-c", BURST, str(room.media), str(files)])
            start = time.monotonic()
            made = 0.0  # seconds the child took to make the files
            while not any(tally("deleted", a.detail) for a in of("media", room.seen)):
                if of("guard_failure", room.seen) or time.monotonic() - start > 1800:
                    raise SystemExit(f"events lost or stuck: {room.seen}")
                if not made and child.poll() is not None:
                    made = time.monotonic() - start
                w0, c0 = time.perf_counter(), time.thread_time()
                room.seen += room.guard.drain()
                cpus.append(time.thread_time() - c0)
                walls.append(time.perf_counter() - w0)
                time.sleep(0.05)
            seconds = time.monotonic() - start
            child.wait()
            made = made or seconds
            media = of("media", room.seen)
            assert sum(a.count for a in media) == files + 1, "counts are not exact"
        finally:
            room.close()
    return {
        "made_s": made,
        "seen_s": seconds,
        "alerts": len(media),
        "drains": len(walls),
        **{f"wall_{k}": v for k, v in spread(walls).items()},
        **{f"cpu_{k}": v for k, v in spread(cpus).items()},
    }


def spread(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)
    return {
        "p50": ordered[len(ordered) // 2] * 1000,
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        "max": ordered[-1] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=10_000)
    args = parser.parse_args()
    load = os.getloadavg()
    runs = [one_run(args.files) for _ in range(args.runs)]
    print(f"{args.files} files, {args.runs} runs, load {load[0]:.1f} at the start")
    print("median over runs; times of one drain in ms")
    for key in runs[0]:
        values = [r[key] for r in runs]
        print(f"  {key:9} {statistics.median(values):9.2f}   (runs: "
              + ", ".join(f"{v:.2f}" for v in values) + ")")  # fmt: skip


if __name__ == "__main__":
    main()
