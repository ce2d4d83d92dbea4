"""A recorder that answers the terminal's hello wrongly (attack on issue 12,
finding 2): it closes after reading, sends bytes that are not a message, or
announces a 4 GiB frame. `review --connect` printed a traceback and exited 1;
the terminal's connection must say the recorder is not answering, so
`cleanroom review --connect` says it cannot reach the recorder (exit 4). Real
Unix sockets, a real listening peer."""

from __future__ import annotations

import socket
import struct
import threading
from pathlib import Path

import pytest

from cleanroom.cli import terminal
from cleanroom.recorder.client import RemoteService
from cleanroom.session.recorder import RecordingError
from tests.recorderkit import short_dir

HEADER = struct.Struct(">I")

ANSWERS = {
    "closes": None,
    "garbage": HEADER.pack(7) + b"\xc1\xc1\xc1garb",  # 0xc1 is never valid msgpack
    "huge": HEADER.pack(0xFFFFFFFF),
    "cut short": HEADER.pack(100) + b"\x81",
    "a valid frame of the wrong shape": HEADER.pack(3) + b"\x93\x01\x02",
}


def serve(path: Path, answer: bytes | None) -> threading.Thread:
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(path))
    listener.listen(8)
    listener.settimeout(30)

    def run() -> None:
        try:
            while True:
                conn, _ = listener.accept()
                with conn:
                    conn.recv(65536)  # the hello
                    if answer is not None:
                        conn.sendall(answer)
        except OSError:
            pass
        finally:
            listener.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


@pytest.mark.parametrize("kind", list(ANSWERS))
def test_a_recorder_that_answers_hello_wrongly_is_a_recording_error(kind):
    path = short_dir() / "r.sock"
    serve(path, ANSWERS[kind])
    with pytest.raises(RecordingError, match="not answering"):
        RemoteService(path)


@pytest.mark.parametrize("kind", ["garbage", "huge"])
def test_connect_gives_up_with_the_documented_error(kind, monkeypatch):
    path = short_dir() / "r.sock"
    serve(path, ANSWERS[kind])
    monkeypatch.setattr(terminal, "CONNECT_TRIES", 2)
    with pytest.raises(RecordingError):
        terminal.connect(path)
