#!/usr/bin/env python3
"""Reading earlier sessions' notes at a session's start (issue 16).

    .venv/bin/python scripts/bench/notes_earlier.py 500

Writes one sealed ledger holding N `note` entries, each with a 16,000-byte body
(a temporary directory, removed after), then reads it back with
`notes.earlier.earlier_notes` five times and prints the median wall and CPU
time. This is what a session's start pays per earlier ledger on the same
snapshot, before the guard starts. Quote medians with `uptime`'s load average.
"""

from __future__ import annotations

import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from cleanroom.ledger.events import SnapshotRef  # noqa: E402
from cleanroom.notes.earlier import earlier_notes  # noqa: E402
from cleanroom.session.events import Note  # noqa: E402
from tests.ledgerkit import Kit  # noqa: E402


def main(count: int) -> None:
    where = Path(tempfile.mkdtemp(prefix="notes-bench-"))
    try:
        ledger = Kit("bench").new_ledger(where, snapshot=SnapshotRef("s", "00" * 32))
        body = "x" * 16_000
        for i in range(count):
            ledger.append(Note(b"src/a.c", f"{i:032x}", 1, "remark", "", f"n{i}", body,
                               "ab" * 32, 1, 2))  # fmt: skip
        ledger.seal("reviewer")
        walls, cpus = [], []
        for _ in range(5):
            wall, cpu = time.perf_counter(), time.process_time()
            notes = earlier_notes([ledger.path], "s")
            walls.append(time.perf_counter() - wall)
            cpus.append(time.process_time() - cpu)
        size = ledger.path.stat().st_size / 1e6
        wall_ms, cpu_ms = statistics.median(walls) * 1000, statistics.median(cpus) * 1000
        print(f"{count} notes, {size:.1f} MB: median {wall_ms:.0f} ms wall, {cpu_ms:.0f} ms CPU;"
              f" {len(notes)} listed")  # fmt: skip
    finally:
        shutil.rmtree(where, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
