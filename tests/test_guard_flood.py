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


def test_alerts_held_while_recording_fails_stay_bounded_and_exact(tmp_path: Path):
    """Nothing recorded (the ledger is failing): pending() keeps every alert, 256 one
    by one, the rest merged per category with exact counts, until each is recorded."""
    from cleanroom.guard.guard import MAX_HELD
    from cleanroom.guard.policy import Category

    room = build(tmp_path)
    try:
        room.guard.drain()  # whatever the start raised
        for i in range(MAX_HELD + 500):
            room.guard.queue.put(Category.MEDIA, f"mount /m{i}", "mounted", f"/m{i}")
            room.guard.queue.put(Category.MEDIA, f"mount /m{i}", "mounted", f"/m{i}")
            if i % 50 == 0:
                room.guard.pending()  # the UI's timer, failing to record each time
        held = room.guard.pending()
        assert len(held) <= MAX_HELD + len(Category)
        assert sum(a.count for a in held) == 2 * (MAX_HELD + 500)
        assert held[-1].detail.endswith("while recording failed")
        assert [a.detail for a in room.guard.pending()] == [a.detail for a in held]
        for alert in held[:10]:
            room.guard.recorded(alert)
        assert room.guard.pending() == held[10:]
    finally:
        room.close()
