#!/usr/bin/env python3
"""Expanding a directory of 100,000 files in the reviewer terminal (issue 12).

    .venv/bin/python scripts/bench/big_dir.py                 # in-process and --connect
    .venv/bin/python scripts/bench/big_dir.py --only local

Builds (once, under --cache-dir) a vendor-signed snapshot with `big/` holding
100,000 files (tests/bigdirkit.py), runs the reviewer app in Pilot's headless
driver at 100x40, in-process (LocalService) and through a recorder on a real
socket in this process (RemoteService: the `review --connect` client), and for
each reports: the time from the key that expands `big/` to its first page drawn
(500 names and a "… N more" row, its `tree_list` recorded first); the largest
gap between ticks of a 20 ms timer meanwhile (keys, the guard's drain and the
idle lock are handled between ticks); and the same for choosing "… more" (the
listing is kept, so later pages are cheap). Quote medians of several runs with
the load average: the machine is shared.
"""

# ruff: noqa: E402
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))

from tests import recorderkit
from tests.bigdirkit import big_source, build
from tests.ledgerkit import Kit
from tests.tuikit import listed


async def expand(app, gaps: list[float]) -> tuple[float, float, float, float]:
    from cleanroom.tui.filetree import MORE, FileTree

    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("enter")
        await listed(pilot)
        tree = app.query_one(FileTree)
        tree.focus()
        big = next(n for n in tree.root.children if n.data.path == b"big")
        tree.move_cursor(big)
        last = [time.monotonic()]

        def tick() -> None:
            now = time.monotonic()
            gaps.append(now - last[0])
            last[0] = now

        timer = app.set_interval(0.02, tick)
        await pilot.pause()
        gaps.clear()
        t0 = time.monotonic()
        await pilot.press("space")
        await listed(pilot, timeout=300)
        first, first_gap = time.monotonic() - t0, max(gaps or [0.0])
        more = next(n for n in big.children if n.data.kind == MORE)
        tree.move_cursor(more)
        await pilot.pause()
        gaps.clear()
        t0 = time.monotonic()
        await pilot.press("enter")
        await listed(pilot, timeout=300)
        second, second_gap = time.monotonic() - t0, max(gaps or [0.0])
        timer.stop()
        await pilot.press("q", "y")
        await pilot.pause()
        await pilot.press("enter")
    return first, first_gap, second, second_gap


def run_once(kind: str, snapshot: Path, work: Path) -> tuple[float, float, float, float]:
    from cleanroom.recorder.client import RemoteService
    from cleanroom.session.recorder import Recorder
    from cleanroom.session.review import Facts, ReviewSession
    from cleanroom.tui.app import ReviewApp

    kit = Kit()
    ledgers = work / f"ledgers-{time.time_ns()}"
    ledgers.mkdir(parents=True)
    source = big_source(snapshot, kit)
    gaps: list[float] = []
    if kind == "local":
        ledger = kit.new_ledger(ledgers)
        facts = Facts("Ada Reviewer", "Agency", "ws-01", "big 1", str(ledger.path))
        return asyncio.run(expand(ReviewApp(ReviewSession(Recorder(ledger), source, facts)), gaps))
    running = recorderkit.start(kit, ledgers, source=source)
    service = RemoteService(running.socket)
    try:
        return asyncio.run(expand(ReviewApp(service), gaps))
    finally:
        service.close()
        recorderkit.cleanup(running)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/cleanroom-bench"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", choices=("local", "remote"))
    args = parser.parse_args()
    base = args.cache_dir / "bigdir"
    base.mkdir(parents=True, exist_ok=True)
    snapshot = build(base, Kit())
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    for kind in ("local", "remote"):
        if args.only not in (None, kind):
            continue
        rows = [run_once(kind, snapshot, base) for _ in range(args.runs)]
        med = [statistics.median(r[i] for r in rows) for i in range(4)]
        print(
            f"{kind:6}  first page {med[0]:.2f} s (largest tick gap {med[1] * 1000:.0f} ms)"
            f"   next page {med[2]:.2f} s (gap {med[3] * 1000:.0f} ms)   runs {args.runs}"
        )


if __name__ == "__main__":
    main()
