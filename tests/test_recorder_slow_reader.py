"""A terminal that does not read its answers (issue 13, docs/protocol.md §2): the
recorder writes as the socket allows, in the same loop that looks at the guard
and at signals, so such a terminal holds nothing. A real recorder process, a
real guard, and a client with a tiny receive buffer that never reads: SIGTERM
still stops the recorder at once, the guard's lock is still recorded while the
answer waits, and the client is dropped (`client_lost`, with why) once its
answer has waited DRAIN_TIMEOUT seconds."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest

from cleanroom.recorder import messages as m
from cleanroom.recorder.framing import write_frame
from cleanroom.recorder.server import DRAIN_TIMEOUT
from tests.recorderkit import RawClient
from tests.recorderproc import build_room

WIDE = b"".join(b"%05d " % i + b"x" * 990 + b"\n" for i in range(600))


@pytest.fixture
def room():
    built = build_room("seal", extra={b"src/wide.txt": WIDE})
    built.start()
    yield built
    if built.process is not None and built.process.poll() is None:
        built.process.kill()
        built.process.wait(10)
    shutil.rmtree(built.base, ignore_errors=True)


def stuck_client(room) -> RawClient:
    """A client that asked for an answer bigger than any socket buffer and never
    reads it: 500 lines of 1000 cells, about half a megabyte."""
    client = RawClient(room.socket)
    client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
    client.hello()
    o = client.ask(m.Open(path=b"src/wide.txt"))
    assert isinstance(o, m.Opened), o
    view = m.View(path=o.path, blob=o.blob, first=1, last=500, col=0, cols=1000)
    write_frame(client.sock, m.encoder.encode(view))
    return client


def wait_for(check, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_sigterm_stops_a_recorder_whose_terminal_does_not_read(room):
    client = stuck_client(room)
    assert wait_for(lambda: "view" in room.kinds(), 20)  # recorded; its answer is being sent
    room.process.send_signal(signal.SIGTERM)
    status = room.process.wait(DRAIN_TIMEOUT + 10)
    client.sock.close()
    assert status == 0, room.log()
    kinds = room.kinds()
    assert kinds[-1] == "session_end", kinds  # sealed in order, the view recorded before
    # Ended by the signal, not by the answer's deadline (DRAIN_TIMEOUT): a recorder
    # that waited for the terminal to read lost it first, for that reason.
    lost = [e.payload["detail"] for e in room.entries() if e.kind == "client_lost"]
    assert lost == ["the recorder stopped"], lost


def test_the_guard_acts_while_an_answer_waits_and_the_reader_is_dropped(room):
    client = stuck_client(room)
    assert wait_for(lambda: "view" in room.kinds(), 5)
    reader = f"open({str(room.base / 's.snapshot')!r}, 'rb').read(4096)"
    subprocess.run([sys.executable, "-c", reader], check=True, timeout=30)
    # The lock is recorded while the answer still waits: before the client is dropped.
    assert wait_for(lambda: "client_lost" in room.kinds(), DRAIN_TIMEOUT + 10), room.log()
    entries = room.entries()
    kinds = [e.kind for e in entries]
    lost = kinds.index("client_lost")
    locks = [i for i, e in enumerate(entries)
             if e.kind == "alert" and e.payload.get("response") == "lock"]  # fmt: skip
    assert locks and locks[0] < lost, kinds
    assert "did not read" in entries[lost].payload["detail"], entries[lost].payload
    assert wait_for(lambda: room.kinds()[-1] == "session_end", 10)  # the policy is `seal`
    client.sock.close()
    assert room.process.poll() is None  # the service goes on
    # ... and serves the next terminal.
    again = RawClient(room.socket)
    assert isinstance(again.hello(), m.Welcome)
    again.close()
