"""Open a file that may be hostile for reading, without ever blocking on it.

Evidence and its sidecars are opened `O_NONBLOCK | O_NOFOLLOW` and checked with
`fstat`: a FIFO or device put in a file's place is refused instead of waited
on, and a symbolic link is never followed. Small files the user names (key
files, receipts, passphrase and config files) are read with `read_small`, which
follows links but never waits on a FIFO either.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path
from typing import Any

FLAGS = os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC
# Bytes read and hashed at a time: a chunk that stays in the CPU's cache between the
# copy and the hash, and below malloc's mmap threshold (128 KiB), so no chunk costs
# fresh pages. 1 MiB chunks took 5.5 ms CPU per 3.7 MB ledger, 64 KiB 3.7 ms
# (who-viewed hashes every ledger on every cached query).
HASH_CHUNK = 64 << 10


def open_regular(path: Path | str) -> tuple[int, os.stat_result] | None:
    """(a read-only descriptor, its stat) for `path`, or None if it is not a regular
    file. Raises OSError when it cannot be opened at all (missing, a link, no
    permission); the caller closes the descriptor."""
    fd = os.open(path, FLAGS)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        os.close(fd)
        return None
    return fd, st


def read_small(path: Path | str, limit: int) -> bytes:
    """At most `limit` + 1 bytes of the regular file at `path` (a link is followed),
    so a caller can tell a file over `limit`. Raises OSError for a FIFO, device,
    socket or directory (opened without blocking, then refused) or an unreadable file."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError("not a regular file")
        chunks, left = [], limit + 1
        while left > 0:
            chunk = os.read(fd, left)
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def hash_data(h: Any, fd: int, size: int) -> None:
    """Feed `h` (a hashlib or hmac object) each data extent of the open file `fd`
    (offset, length, bytes), skipping holes (SEEK_DATA): a sparse terabyte costs
    what is on disk, not what it claims (outside attack on issue 10). Holes read
    as zeros, so the same bytes laid out with other holes give another digest."""
    at = 0
    while at < size:
        try:
            at = os.lseek(fd, at, os.SEEK_DATA)
        except OSError as exc:
            if exc.errno == errno.ENXIO:  # nothing but holes from `at` on
                return
            raise
        stop = min(os.lseek(fd, at, os.SEEK_HOLE), size)
        h.update(at.to_bytes(8, "big") + (stop - at).to_bytes(8, "big"))
        while at < stop:
            chunk = os.pread(fd, min(HASH_CHUNK, stop - at), at)
            if not chunk:  # the file shrank meanwhile
                return
            h.update(chunk)
            at += len(chunk)
