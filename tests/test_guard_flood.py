"""A flood of 10,000 real file events: coalesced, counted exactly, bounded, and the
consumer (the UI's timer) stays responsive throughout."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.guardkit import build, of

N = 10_000
# mknod makes a file with one inotify event (IN_CREATE) and no open, so the kernel
# queue (16384 by default) cannot overflow and every event must be counted.
BURST = "import os, sys\nfor i in range(int(sys.argv[2])): os.mknod(f'{sys.argv[1]}/f{i:05d}')\n"


def test_ten_thousand_events_coalesce_into_few_alerts_with_exact_counts(tmp_path: Path):
    room = build(tmp_path)
    try:
        drains: list[float] = []
        backlog: list[int] = []
        child = subprocess.Popen([sys.executable, "-c", BURST, str(room.media), str(N)])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            backlog.append(len(room.guard.queue))
            t0 = time.perf_counter()
            room.seen += room.guard.drain()
            drains.append(time.perf_counter() - t0)
            if child.poll() is not None and sum(a.count for a in of("media", room.seen)) >= N:
                break
            time.sleep(0.05)  # the UI drains on a timer
        assert child.wait() == 0
        media = of("media", room.seen)
        assert sum(a.count for a in media) == N
        assert all("created ×" in a.detail for a in media)
        assert len(media) <= len(drains)  # at most one alert per drain, not one per file
        assert max(backlog) <= room.guard.queue.max_subjects
        assert max(drains) < 0.05, f"a drain took {max(drains) * 1000:.1f} ms"
        assert of("guard_failure", room.seen) == []  # nothing was lost on the way
    finally:
        room.close()
