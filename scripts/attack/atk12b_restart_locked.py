"""atk12b: the recorder is killed (SIGKILL: a crash, the OOM killer, a restart)
while its session is under the guard's lock, and restarted; it resumes the same
ledger. Is the lock still held? A raw terminal says hello and asks for the tree
and a file. Prints the answers and the ledger's tail.
Run: .venv/bin/python scripts/attack/atk12b_restart_locked.py"""

from __future__ import annotations

import shutil
import sys
import time

sys.path.insert(0, ".")
from cleanroom.recorder import messages as m  # noqa: E402
from tests.recorderkit import RawClient  # noqa: E402
from tests.recorderproc import build_room  # noqa: E402
from tests.test_recorder_attack13 import lock_by_reading_the_snapshot  # noqa: E402


def main() -> None:
    room = build_room("wait")
    room.start()
    try:
        c = RawClient(room.socket)
        c.hello()
        time.sleep(1)
        lock_by_reading_the_snapshot(room)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and c.ask(m.Status()).state != "guard_lock":
            time.sleep(0.2)
        print("before the kill:", c.ask(m.Status()).state, "told", c.told)
        c.close()
        room.kill9()
        room.socket.unlink(missing_ok=True)
        room.start()
        d = RawClient(room.socket)
        print("hello:", d.hello())
        print("status:", d.ask(m.Status()))
        print("tree:", type(d.ask(m.Tree(path=b""))).__name__)
        print("unlock:", d.ask(d.unlock()))
        d.close()
        for e in room.entries()[-12:]:
            print(e.seq, e.kind, {k: v for k, v in e.payload.items() if k != "detail"})
    finally:
        room.stop()
        shutil.rmtree(room.base, ignore_errors=True)


if __name__ == "__main__":
    main()
