"""`Connection`: the terminal's one socket to the recorder, read without
blocking, frame by frame (`FrameReader`), each request's answer waited for
within a bound (docs/protocol.md §8b). An answer not read within its bound is
still owed on the same connection: it is read and dropped when it comes, and
until then every request fails at once, never waiting again. What requests
mean, and what the terminal does about a failure, is client.py's."""

from __future__ import annotations

import select
import socket
import time
from pathlib import Path
from typing import Any

from ..session.recorder import RecordingError
from . import messages as m
from .framing import FrameReader, read_frame, write_frame

HELLO_TIMEOUT = 30.0  # seconds: the bound of the connect and its hello


class NotAnswering(RecordingError):
    """No answer within the request's bound: the connection is kept (the answer is
    still owed and is read, then dropped, once it comes), and until then every
    request fails at once without waiting (docs/protocol.md §1a)."""


class Connection:
    """A connected socket, its frame reader and the answers it still owes."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = FrameReader(m.MAX_ANSWER)
        self.owed = 0  # answers to requests that timed out, still to come and be dropped
        self.stalled_since: float | None = None

    @classmethod
    def open(cls, path: Path) -> tuple[Connection, Any]:
        """Connect and say hello: the connection and the recorder's answer (decoded,
        unchecked). Raises OSError, FrameError or a decoder's error; the socket is
        closed on any of them."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(HELLO_TIMEOUT)
        try:
            sock.connect(str(path))
            answer = _hello(sock)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        return cls(sock), answer

    def exchange(self, request: Any, bound: float, failure: str | None = None) -> Any:
        """Send `request` and read its answer within `bound` seconds, off a
        non-blocking socket: a recorder that does not answer (stopped, stalled)
        costs at most `bound` once; the answer stays owed (NotAnswering), and
        while any is owed every request fails at once, never waiting again.
        `failure`: what to say then (the last failure, if there is one)."""
        sock = self.sock
        if self.owed and not self.drain():
            raise NotAnswering(failure or "the recorder is not answering")
        sock.settimeout(bound)
        try:
            write_frame(sock, m.encoder.encode(request))
        finally:
            sock.setblocking(False)
        self.owed += 1
        deadline = time.monotonic() + bound
        while True:
            body = self.reader.poll(sock, time.monotonic())
            if body is not None:
                self.owed -= 1
                self.stalled_since = None
                return m.answer_decoder.decode(body)
            left = deadline - time.monotonic()
            if left <= 0:
                self.stalled_since = time.monotonic() - bound
                raise NotAnswering(f"the recorder is not answering (no answer in {bound:g} s)")
            select.select([sock], [], [], left)

    def drain(self) -> bool:
        """Read, without waiting, the answers still owed, and drop them. True once none is."""
        while self.owed:
            if self.reader.poll(self.sock, time.monotonic()) is None:
                return False
            self.owed -= 1
        self.stalled_since = None
        return True

    def close(self) -> None:
        self.sock.close()
        self.owed, self.stalled_since = 0, None


def _hello(sock: socket.socket) -> Any:
    """Say hello; the answer. A recorder that refuses this terminal sends its
    refusal at once and closes, so the hello may find the socket closed: the
    refusal is read all the same."""
    hello = m.Hello(version=m.VERSION, client="cleanroom review")
    try:
        write_frame(sock, m.encoder.encode(hello))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the refusal, if one came, is still there to read
    return m.answer_decoder.decode(read_frame(sock, m.MAX_ANSWER))
