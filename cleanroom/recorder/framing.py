"""Frames on the socket: u32 big-endian length, then that many bytes
(docs/protocol.md §2). The length is checked against the limit before a byte
of the body is read, so a hostile peer cannot make the reader allocate more."""

from __future__ import annotations

import socket
import struct

_LEN = struct.Struct(">I")


class FrameError(Exception):
    """The stream cannot be read as frames any more: close the connection."""


class Oversized(FrameError):
    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"a frame of {size} bytes (the limit is {limit})")
        self.size = size


class Closed(FrameError):
    """The peer closed the connection (possibly mid-frame)."""


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    parts = []
    while n:
        part = sock.recv(min(n, 1 << 20))
        if not part:
            raise Closed("the peer closed the connection")
        parts.append(part)
        n -= len(part)
    return b"".join(parts)


def read_frame(sock: socket.socket, limit: int) -> bytes:
    """One frame's body. Raises Closed, Oversized, or OSError (timeouts included)."""
    (size,) = _LEN.unpack(_read_exactly(sock, _LEN.size))
    if size > limit:
        raise Oversized(size, limit)
    return _read_exactly(sock, size)


def write_frame(sock: socket.socket, body: bytes) -> None:
    sock.sendall(_LEN.pack(len(body)) + body)


class FrameReader:
    """Assembles one frame at a time from a non-blocking socket, across passes of
    the server's select loop, so that a slow peer never holds the loop: the server
    looks at the guard, signals and new connections while a frame trickles in, and
    `stalled` gives the whole frame (not each read) a deadline."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._buf = bytearray()
        self._size: int | None = None  # the body's length, once the header is in
        self.started: float | None = None  # monotonic time of the frame's first byte

    def poll(self, sock: socket.socket, now: float) -> bytes | None:
        """Read what is there without blocking; the body once the frame is complete.
        Raises Closed, Oversized or OSError."""
        while True:
            want = (_LEN.size if self._size is None else self._size) - len(self._buf)
            if want:
                try:
                    part = sock.recv(min(want, 1 << 20))
                except (BlockingIOError, InterruptedError):
                    return None
                if not part:
                    raise Closed("the peer closed the connection")
                if self.started is None:
                    self.started = now
                self._buf += part
                if len(part) < want:
                    continue
            if self._size is None:
                (size,) = _LEN.unpack(self._buf)
                if size > self.limit:
                    raise Oversized(size, self.limit)
                self._size, self._buf = size, bytearray()
                continue
            body = bytes(self._buf)
            self._buf, self._size, self.started = bytearray(), None, None
            return body

    def stalled(self, now: float, deadline: float) -> bool:
        """A frame begun more than `deadline` seconds ago is not complete."""
        return self.started is not None and now - self.started > deadline


class FrameWriter:
    """Sends frames on a non-blocking socket as fast as the peer reads them, across
    passes of the server's select loop, so that a peer that does not read never
    holds the loop: the server goes on looking at the guard and at signals while
    an answer waits, and `stalled` gives each answer (not each write) a deadline."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self.since: float | None = None  # monotonic time the oldest unsent answer was queued

    @property
    def pending(self) -> bool:
        return bool(self._buf)

    def queue(self, body: bytes, now: float) -> None:
        if not self._buf:
            self.since = now
        self._buf += _LEN.pack(len(body))
        self._buf += body

    def flush(self, sock: socket.socket) -> bool:
        """Write what the socket takes without blocking. True once all is sent.
        Raises OSError (the peer gone: EPIPE, ECONNRESET)."""
        while self._buf:
            try:
                sent = sock.send(self._buf)
            except (BlockingIOError, InterruptedError):
                return False
            del self._buf[:sent]
        self.since = None
        return True

    def stalled(self, now: float, deadline: float) -> bool:
        """An answer queued more than `deadline` seconds ago is not all sent."""
        return self.since is not None and now - self.since > deadline
