"""A flood of 10,000 real file events: coalesced, counted exactly and bounded, however
slowly the machine delivers them."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

from tests.guardkit import build, of

N = 10_000
# mknod makes a file with one inotify event (IN_CREATE) and no open, so the kernel
# queue (16384 by default) cannot overflow and every event must be counted. Then one
# file is deleted: one watch's events come in order, so once that deletion is seen,
# every creation before it has been seen too, and the counts must be exact then (not
# when some time is up: on a loaded machine delivery takes what it takes).
BURST = (
    "import os, sys\n"
    "for i in range(int(sys.argv[2])): os.mknod(f'{sys.argv[1]}/f{i:05d}')\n"
    "os.unlink(f'{sys.argv[1]}/f00000')\n"
)
STALL = 120.0  # seconds with no new event: only bounds a test that would otherwise hang


def tally(action: str, detail: str) -> int:
    """How many times `detail` ("media /m; created ×9, deleted ×1; e.g. …") counts `action`."""
    found = re.search(rf"\b{action} ×(\d+)", detail)
    return int(found.group(1)) if found else 0


def test_ten_thousand_events_coalesce_into_few_alerts_with_exact_counts(tmp_path: Path):
    room = build(tmp_path)
    try:
        batches: list[int] = []  # alerts per drain
        backlog: list[int] = []  # subjects waiting before each drain
        child = subprocess.Popen([sys.executable, "-c", BURST, str(room.media), str(N)])
        counted, progress = 0, time.monotonic()

        def over() -> bool:  # the burst's last event seen, or a loss reported
            ended = any(tally("deleted", a.detail) for a in of("media", room.seen))
            return ended or bool(of("guard_failure", room.seen))

        while not over():
            now = sum(a.count for a in of("media", room.seen))
            if now > counted or child.poll() is None:  # delivery may be slow, never stuck
                counted, progress = now, time.monotonic()
            assert time.monotonic() - progress < STALL, f"stuck at {counted} of {N + 1} events"
            backlog.append(len(room.guard.queue))
            batch = room.guard.drain()
            batches.append(len(batch))
            room.seen += batch
            time.sleep(0.05)  # the UI drains on a timer
        assert child.wait() == 0
        assert of("guard_failure", room.seen) == []  # nothing was lost on the way
        media = of("media", room.seen)
        assert sum(tally("created", a.detail) for a in media) == N
        assert sum(tally("deleted", a.detail) for a in media) == 1
        assert sum(a.count for a in media) == N + 1
        assert len(media) <= len(batches)  # at most one alert per drain, not one per file
        assert max(backlog) <= room.guard.queue.max_subjects
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
