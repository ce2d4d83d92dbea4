"""The `-wal` sidecar as SQLite reads it: is its last frame torn? (spec §5.1 step 7).

A WAL file is a 32-byte header and then frames of a 24-byte frame header plus
one page. SQLite uses the file only when its header is valid: the magic
0x377f0682 or 0x377f0683, format version 3007000, a page size that is a power
of two from 512 to 65536 (65536 is written as is, never as 1), and a checksum
over the first 24 bytes that matches. A -wal with an invalid header is ignored
whole, so it cannot have lost a write: it is not torn. docs/ledger-format.md
§5.1 states the same rule for independent verifiers.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

from .regular_file import open_regular

WAL_HEADER = 32
FRAME_HEADER = 24
WAL_MAGIC = (0x377F0682, 0x377F0683)  # the low bit: checksum words are big-endian
WAL_VERSION = 3007000
_WORDS = struct.Struct(">6I")


def header_checksum(header: bytes) -> tuple[int, int]:
    """SQLite's checksum of the first 24 header bytes, read as 32-bit words in the
    byte order the magic selects (big-endian when its low bit is set)."""
    order = ">" if header[3] & 1 else "<"
    words = struct.unpack(f"{order}6I", header[:24])
    s0 = s1 = 0
    for i in range(0, 6, 2):
        s0 = (s0 + words[i] + s1) & 0xFFFFFFFF
        s1 = (s1 + words[i + 1] + s0) & 0xFFFFFFFF
    return s0, s1


def page_size(header: bytes) -> int | None:
    """The page size a valid WAL header declares; None when SQLite would ignore the file."""
    if len(header) < WAL_HEADER:
        return None
    magic, version, size, _, _, _ = _WORDS.unpack_from(header)
    checksum = struct.unpack_from(">2I", header, 24)
    if magic not in WAL_MAGIC or version != WAL_VERSION:
        return None
    if size < 512 or size > 65536 or size & (size - 1):
        return None
    return size if header_checksum(header) == checksum else None


def is_torn(length: int, header: bytes) -> bool:
    """True when a -wal of `length` bytes starting with `header` ends inside a write:
    it is shorter than its own header, or its header is valid and what follows it
    is not a whole number of frames. An empty -wal is not torn."""
    if length == 0:
        return False
    if length < WAL_HEADER:
        return True
    size = page_size(header)
    return size is not None and (length - WAL_HEADER) % (FRAME_HEADER + size) != 0


def wal_is_torn(wal: Path) -> bool:
    """`is_torn` for the file at `wal`. Only a regular file counts (a symbolic link
    is not followed: the loader never reads one); anything else, or a file that
    cannot be read, is not torn. Never blocks: a FIFO is opened non-blocking and
    then refused by its type."""
    try:
        opened = open_regular(wal)
    except OSError:
        return False
    if opened is None:
        return False
    fd, st = opened
    try:
        return is_torn(st.st_size, os.pread(fd, WAL_HEADER, 0))
    except OSError:
        return False
    finally:
        os.close(fd)


MAX_FRAMES_SCANNED = 1 << 20  # a -wal claiming more frames is judged by SQLite alone


def pages_missing(main: Path, wal: Path) -> bool:
    """True when the last commit of a (copied, private) `wal` makes the database
    larger than `main` holds, and some page in between is in no frame of that
    commit or before it: SQLite would read it as nothing. A writer never leaves
    such a pair (pages past the main file's end live in the -wal until a
    checkpoint writes them there); a copy of the main file taken before a
    checkpoint extended it, beside a -wal that restarted after it, is one.
    Frames are matched by salts only (no checksums): a rough test, used only to
    take a copy of a moving pair again. Any read problem: False."""
    try:
        with open(main, "rb") as m, open(wal, "rb") as w:
            head = m.read(100)
            if len(head) < 100:
                return False
            db_page = int.from_bytes(head[16:18], "big")
            db_page = 65536 if db_page == 1 else db_page
            main_pages = os.fstat(m.fileno()).st_size // db_page if db_page else 0
            header = w.read(WAL_HEADER)
            size = page_size(header)
            if size is None:
                return False
            salts = header[16:24]
            frames = (os.fstat(w.fileno()).st_size - WAL_HEADER) // (FRAME_HEADER + size)
            pending: set[int] = set()
            present: set[int] = set()
            pages = 0
            for i in range(min(frames, MAX_FRAMES_SCANNED)):
                w.seek(WAL_HEADER + i * (FRAME_HEADER + size))
                frame = w.read(FRAME_HEADER)
                if len(frame) < FRAME_HEADER or frame[8:16] != salts:
                    break
                pending.add(int.from_bytes(frame[0:4], "big"))
                commit = int.from_bytes(frame[4:8], "big")
                if commit:
                    present |= pending
                    pending = set()
                    pages = commit
    except OSError:
        return False
    return any(p not in present for p in range(main_pages + 1, pages + 1))
