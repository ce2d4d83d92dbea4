"""Describe a rollback journal found beside a ledger, without applying it.

Cleanroom's writer keeps a ledger in WAL mode, so a `-journal` beside a
`.ledger` is either the trace of a crash while the file was switched to WAL, or
planted. Either way it is reported and never handed to SQLite: rolling back a
journal changes the database, and a journal may name a "super-journal" that
SQLite deletes afterwards (fileformat2.html §4; pager.c `pager_delsuper`). The
name is read here only to be shown to the person verifying.
"""

from __future__ import annotations

import os
import struct
from typing import BinaryIO

from .regular_file import open_regular

JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")
TRAILER = 16  # name length, checksum, magic
MAX_NAME = 4096  # longer than any path SQLite accepts
# All `describe_journal` reads of a journal: its size and at most this many bytes
# at its end (the trailer and the name before it). A copy holding only these, at
# their offsets in a file of the same size, is described the same (ADR 0314).
READS_AT_END = TRAILER + MAX_NAME


def describe_journal(path: str, beside: str = "the ledger") -> str:
    """One line saying what the journal at `path` is and that it was not applied."""
    try:
        opened = open_regular(path)
    except OSError as exc:
        return f"a -journal lies beside {beside} ({exc.strerror or exc}); it was not applied"
    if opened is None:  # a FIFO, a device, a directory
        return f"a -journal that is not a regular file lies beside {beside}; not read"
    fd, st = opened
    what = f"a rollback journal ({st.st_size} bytes) lies beside {beside}; it was not applied"
    with os.fdopen(fd, "rb") as f:
        try:
            name = _super_journal(f, st.st_size)
        except OSError:  # unreadable: it is reported all the same
            name = None
    if name is not None:
        shown = os.fsdecode(name[:200]) + ("…" if len(name) > 200 else "")
        what += f"; it names the super-journal {shown!r}, which SQLite would have deleted"
    return what


def _super_journal(f: BinaryIO, size: int) -> bytes | None:
    """The super-journal name recorded at the end of the journal, if any."""
    if size < TRAILER + 4:
        return None
    f.seek(size - TRAILER)
    trailer = f.read(TRAILER)
    length, _checksum = struct.unpack(">II", trailer[:8])
    if trailer[8:] != JOURNAL_MAGIC or not 0 < length <= min(MAX_NAME, size - TRAILER - 4):
        return None
    f.seek(size - TRAILER - length)
    return f.read(length)
