"""atk12b: a hand-made terminal over the recorder's socket tries to lift the guard
lock it was not shown (ADR 0220): a stale, negative, huge, wrong-typed `shown`, a
version-9 hello, an unlock while ready. Prints each answer and the ledger's tail.
Run: .venv/bin/python scripts/attack/atk12b_raw_unlock.py"""

from __future__ import annotations

import shutil
import sys
import time

sys.path.insert(0, ".")
import msgspec  # noqa: E402

from cleanroom.recorder import messages as m  # noqa: E402
from tests.recorderkit import RawClient  # noqa: E402
from tests.recorderproc import build_room  # noqa: E402
from tests.test_recorder_attack13 import lock_by_reading_the_snapshot  # noqa: E402


def unlock_raw(client: RawClient, shown: object) -> object:
    body = msgspec.msgpack.encode({"t": "unlock", "lock": "guard", "shown": shown})
    try:
        client.send_raw(body)
        return client.receive()
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"


def main() -> None:
    room = build_room("wait")
    room.start()
    try:
        old = RawClient(room.socket)
        print("v9 hello:", old.ask(m.Hello(version=9)))
        old.close()
        c = RawClient(room.socket)
        c.hello()
        print("unlock while ready:", c.ask(m.Unlock(lock="guard", shown=0)))
        time.sleep(1)
        lock_by_reading_the_snapshot(room)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and c.ask(m.Status()).state != "guard_lock":
            time.sleep(0.2)
        print("told:", c.told)
        for shown in (0, -1, 2**53, 2**64 - 1, "9", None, 1.5, [9]):
            print(f"unlock shown={shown!r}:", unlock_raw(c, shown))
            print("   state:", c.ask(m.Status()).state)
        print("unlock told:", c.ask(c.unlock()), c.ask(m.Status()).state)
        print("unlock again:", c.ask(m.Unlock(lock="guard", shown=0)))
        for e in room.entries()[-14:]:
            print(e.seq, e.kind, {k: v for k, v in e.payload.items() if k != "detail"})
    finally:
        room.stop()
        shutil.rmtree(room.base, ignore_errors=True)


if __name__ == "__main__":
    main()
