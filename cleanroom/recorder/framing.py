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
