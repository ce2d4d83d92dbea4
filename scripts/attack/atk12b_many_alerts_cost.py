"""atk12b: the CPU cost of one more lock alert while N hold the lock, in the
recorder's bookkeeping (AlertLocks.hand_out + recorded) and on the terminal's lock
screen text (AlertLockScreen.add's duplicate check + alerts_said). Both walk every
alert held: O(N) per alert, O(N^2) for a lock left up under a flood.
Run: .venv/bin/python scripts/attack/atk12b_many_alerts_cost.py"""

from __future__ import annotations

import sys
import time
from types import SimpleNamespace

sys.path.insert(0, ".")
from cleanroom.session.alert_locks import AlertLocks, _Held  # noqa: E402
from cleanroom.tui.screens.lock import AlertLockScreen  # noqa: E402


def per_alert_recorder(n: int, batch: int = 65) -> float:
    locks = AlertLocks(handed=n)
    locks.held = [_Held(k, None, seq=k) for k in range(1, n + 1)]
    fresh = [SimpleNamespace(response="lock") for _ in range(batch)]
    t = time.process_time()
    locks.hand_out(fresh)
    for i, a in enumerate(fresh):
        locks.recorded(a, n + 10 + i)
    return (time.process_time() - t) / batch


def per_alert_screen(n: int, batch: int = 65) -> float:
    screen = AlertLockScreen(lambda since, shown: None, 0.0)  # not mounted: no drawing
    screen.alerts = [(k, "snapshot_access", f"snapshot /s/{k}") for k in range(1, n + 1)]
    t = time.process_time()
    for k in range(batch):
        screen.add(n + 1 + k, "snapshot_access", "snapshot /s/x", None)
        screen.alerts_said()  # what each redraw of a mounted screen computes
    return (time.process_time() - t) / batch


if __name__ == "__main__":
    for n in (1_000, 10_000, 100_000):
        r, s = per_alert_recorder(n), per_alert_screen(n)
        print(
            f"held {n:>7,}: recorder {r * 1e3:7.3f} ms/alert, lock screen {s * 1e3:7.3f} ms/alert"
        )
