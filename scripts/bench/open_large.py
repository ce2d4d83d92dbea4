#!/usr/bin/env python3
"""Opening a large non-ASCII file in the reviewer terminal (issue 12).

    .venv/bin/python scripts/bench/open_large.py            # 100 MB
    .venv/bin/python scripts/bench/open_large.py --mb 20
    .venv/bin/python scripts/bench/open_large.py --mb 20 --script cyrillic

Builds (once, under --cache-dir) a vendor-signed snapshot holding a file of
non-ASCII lines, each with a bidi control the sanitizer tags (`latin`: accented
Latin words; `cyrillic`: a Cyrillic word and a mixed-script look-alike on every
line, the worst case: each line goes through `lookalikes`), opens it with
`app.open_path` in Pilot's headless driver at 100x30, and reports: how long
`open_path` blocked the event loop, the time to the first painted frame of the
file (its `file_open` recorded first), and the largest gap between ticks of a
20 ms timer while it opened (the guard's drain and the idle lock run on timers),
the CPU time of the process from `open_path` to that paint (per MB), and the
process's peak resident memory.
"""

# ruff: noqa: E402
from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.append(str(ROOT))

from tests import tuikit
from tests.ledgerkit import Kit

LINES = {
    "latin": "naïve café — ünïcödé straße %09d ‮ ok\n",
    "cyrillic": "функция pаypal(x) = café %09d ‮ ok\n",
}


async def measure(mb: int, cache: Path, script: str = "latin") -> dict[str, float]:
    from cleanroom.tui.codeview import CodeView

    line = LINES[script]
    lines = mb * 1_000_000 // len((line % 0).encode())
    tuikit.FILES = {**tuikit.FILES, b"big.txt": "".join(line % i for i in range(lines)).encode()}
    workdir = cache / f"open-large-{script}-{mb}mb"
    ledgers = workdir / f"ledgers-{time.time_ns()}"  # the kit's fixed clock names ledgers alike
    ledgers.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    app, _ = tuikit.make_app(Kit(), ledgers)
    built = time.monotonic() - started
    view_class = CodeView
    painted: list[float] = []
    real = view_class.render_lines

    def probe(self, crop):  # type: ignore[no-untyped-def]
        strips = real(self, crop)
        if app.opened is not None and app.opened.path == b"big.txt" and not painted:
            painted.append(time.monotonic())
        return strips

    view_class.render_lines = probe  # type: ignore[method-assign]
    ticks: list[float] = []
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        app.set_interval(0.02, lambda: ticks.append(time.monotonic()))
        await pilot.pause(0.2)
        t0, cpu0 = time.monotonic(), time.process_time()
        app.open_path(b"big.txt")
        returned = time.monotonic()
        while not painted:
            await asyncio.sleep(0.02)
        cpu = time.process_time() - cpu0
        during = [t for t in ticks if t0 <= t <= painted[0]]
    gaps = [b - a for a, b in zip(during, during[1:], strict=False)]
    return {
        "size_mb": len(tuikit.FILES[b"big.txt"]) / 1e6,
        "snapshot_build_s": built,
        "open_path_blocked_ms": (returned - t0) * 1000,
        "first_paint_s": painted[0] - t0,
        "largest_timer_gap_ms": max(gaps, default=0) * 1000,
        "timer_ticks": len(during),
        "open_cpu_s": cpu,
        "cpu_s_per_mb": cpu / (len(tuikit.FILES[b"big.txt"]) / 1e6),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mb", type=int, default=100)
    ap.add_argument("--script", choices=sorted(LINES), default="latin")
    ap.add_argument("--cache-dir", type=Path, default=Path("/tmp/cleanroom-bench"))
    args = ap.parse_args()
    result = asyncio.run(measure(args.mb, args.cache_dir, args.script))
    for key, value in result.items():
        print(f"{key:<24} {value:10.3f}")


if __name__ == "__main__":
    main()
