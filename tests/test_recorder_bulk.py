"""Attack F1 on issue 13: a hostile terminal asks for column 1000 of short lines.
The answer carries each line's characters left of the column (docs/protocol.md §6),
so the guard must count those lines as read: the whole file in ten views raises
`bulk_read`, exactly as paging at column 0 does. Real recorder process, real guard."""

from __future__ import annotations

import time

import pytest

from cleanroom.recorder import messages as m
from tests.recorderkit import RawClient
from tests.recorderproc import build_room
from tests.tuikit import FILES

LONG = FILES[b"src/long.py"].split(b"\n")[:-1]


@pytest.mark.parametrize("col, cols", [(0, 100), (1000, 1)])
def test_a_view_far_right_of_short_lines_is_bulk_reading(col, cols):
    room = build_room()
    room.start()
    try:
        client = RawClient(room.socket)
        client.hello()
        o = client.ask(m.Open(path=b"src/long.py"))
        assert isinstance(o, m.Opened), o
        got = 0
        for first in range(1, len(LONG) + 1, 500):
            answer = client.ask(m.View(path=o.path, blob=o.blob, first=first,
                                       last=first + 499, col=col, cols=cols))  # fmt: skip
            if not isinstance(answer, m.Lines):
                break  # refused: a bulk-read lock, say
            got += sum(len(x) for x in answer.lines)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            alerts = [e.payload for e in room.entries() if e.kind == "alert"]
            if any(a.get("category") == "bulk_read" for a in alerts):
                break
            time.sleep(0.2)
        if col == 0:
            assert got > 0
        else:  # column 1000 of 31-byte lines: one blank cell each, nothing of the source
            assert got == len(LONG)
        bulk = [a for a in alerts if a.get("category") == "bulk_read"]
        assert bulk, (got, alerts)  # ...and counted
    finally:
        room.stop()


def test_a_new_session_does_not_reset_the_reading_pace():
    """Attack F1b: seal and reconnect every 450 lines; ten sessions read 4,500 new
    lines in seconds. The recorder keeps the pace across sessions, so one of them
    records `bulk_read`."""
    room = build_room("seal")
    room.start()
    try:
        got = 0
        for k in range(10):
            client = connect(room)
            o = client.ask(m.Open(path=b"src/long.py"))
            first = 1 + k * 450
            answer = client.ask(m.View(path=o.path, blob=o.blob, first=first,
                                       last=first + 449, col=0, cols=100))  # fmt: skip
            got += len(answer.lines) if isinstance(answer, m.Lines) else 0
            client.ask(m.Seal())
            client.ask(m.Bye())
            client.close()
        deadline = time.monotonic() + 20  # for the alert to be written, not a 1 s sleep
        while "bulk_read" not in alerts_in(room) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        room.stop()
    alerts = alerts_in(room)
    assert got >= 450 and len(room.ledgers()) >= 2, got
    assert "bulk_read" in alerts, (got, alerts)


def alerts_in(room) -> list[str | None]:
    """The categories of the alerts in every ledger of the room."""
    return [e.payload.get("category") for path in room.ledgers() for e in room.entries(path)
            if e.kind == "alert"]  # fmt: skip


def connect(room) -> RawClient:
    """A client past `hello`: right after a seal the recorder may still be ending
    that session (answer `ended`); the next connection gets a new one."""
    deadline = time.monotonic() + 20
    while True:
        client = RawClient(room.socket)
        answer = client.ask(m.Hello(version=m.VERSION))
        if isinstance(answer, m.Welcome):
            return client
        client.close()
        assert time.monotonic() < deadline, answer
        time.sleep(0.1)
