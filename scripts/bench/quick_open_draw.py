#!/usr/bin/env python3
"""What one quick open costs the app to draw, under Pilot (no terminal).

    .venv/bin/python scripts/bench/quick_open_draw.py [--opens 16] [--runs 3]

Opens a file by quick open `--opens` times (ctrl+p, a path typed a key at a
time, Enter; two files of tests/tuikit.py's sample in turn) in a 120x36 app and
prints, per run, the app's CPU seconds per open (process time: the app and the
test share the process) and how many layouts and full-screen redraws one open
took, then the median CPU. Quote it with the load average it prints. For the
same in a real terminal: scripts/bench/e2e_cost.py on tests/test_tui_demo_walk.py.
"""

# ruff: noqa: E402
from __future__ import annotations

import argparse
import asyncio
import collections
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from textual._compositor import Compositor

from cleanroom.tui.screens.quickopen import QuickOpenScreen
from tests.ledgerkit import Kit
from tests.tuikit import listed, make_app

COUNTS: collections.Counter[str] = collections.Counter()


def counted(name: str) -> None:
    real = getattr(Compositor, name)

    def wrapper(self, *args, **kwargs):
        COUNTS[name] += 1
        return real(self, *args, **kwargs)

    setattr(Compositor, name, wrapper)


async def run(opens: int) -> tuple[float, dict[str, float]]:
    tmp = Path(tempfile.mkdtemp(prefix="qo-draw-"))
    (tmp / "ledgers").mkdir()
    app, _ = make_app(Kit("bench"), tmp / "ledgers")
    async with app.run_test(size=(120, 36)) as pilot:
        await pilot.press("enter")
        await listed(pilot)
        COUNTS.clear()
        started = time.process_time()
        for i in range(opens):
            await pilot.press("ctrl+p")
            while not isinstance(app.screen, QuickOpenScreen):
                await pilot.pause(0.01)
            await pilot.press(*("src/long.py", "README.md")[i % 2], "enter")
            while isinstance(app.screen, QuickOpenScreen):
                await pilot.pause(0.01)
            await pilot.pause()
        cpu = (time.process_time() - started) / opens
    return cpu, {k: v / opens for k, v in COUNTS.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--opens", type=int, default=16)
    parser.add_argument("--runs", type=int, default=3)
    opts = parser.parse_args()
    os.chdir(ROOT)
    for name in ("reflow", "render_full_update", "render_partial_update"):
        counted(name)
    cpus = []
    for i in range(opts.runs):
        print(f"run {i + 1}/{opts.runs}, load average {os.getloadavg()}", file=sys.stderr)
        cpu, counts = asyncio.run(run(opts.opens))
        cpus.append(cpu)
        per = ", ".join(f"{k} {v:.1f}" for k, v in sorted(counts.items()))
        print(f"run {i + 1}: {cpu:.3f} CPU-s an open; an open's {per}")
    print(f"median: {statistics.median(cpus):.3f} CPU-s an open; load average {os.getloadavg()}")


if __name__ == "__main__":
    main()
