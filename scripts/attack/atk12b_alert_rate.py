"""atk12b: how fast one process reading the snapshot (20 opens a second) raises
lock alerts that all hold one guard lock, with nobody pressing Enter: the rate
that bounds how soon an unlock grows past the ledger's 1 MiB entry (see
tests/test_atk12b_lock_attacks.py). Run:
.venv/bin/python scripts/attack/atk12b_alert_rate.py [seconds]"""

from __future__ import annotations

import shutil
import sys
import time

sys.path.insert(0, ".")
from cleanroom.recorder import messages as m  # noqa: E402
from tests.recorderkit import RawClient  # noqa: E402
from tests.recorderproc import build_room  # noqa: E402


def main(seconds: float) -> None:
    room = build_room("wait")
    room.start()
    try:
        c = RawClient(room.socket)
        c.hello()
        time.sleep(1)
        snapshot = room.base / "s.snapshot"
        start = time.monotonic()
        while time.monotonic() - start < seconds:
            with snapshot.open("rb") as f:
                f.read(4096)
            time.sleep(0.05)
            c.ask(m.Status())
        time.sleep(1)
        c.ask(m.Status())
        locks = [e for e in room.entries() if e.kind == "alert" and e.payload["response"] == "lock"]
        print(f"{len(locks)} lock alerts in {seconds:.0f} s: {len(locks) / seconds:.1f}/s; "
              f"told up to {c.told}; state {c.ask(m.Status()).state}")  # fmt: skip
    finally:
        room.stop()
        shutil.rmtree(room.base, ignore_errors=True)


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 10.0)
