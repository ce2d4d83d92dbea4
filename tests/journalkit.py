"""Hostile SQLite rollback journals for tests.

SQLite rolls back a "hot" `-journal` when it opens a database for writing, and
when that journal names a super-journal (the record SQLite appends for a
multi-database commit), SQLite afterwards deletes the super-journal file unless
a child journal still points at it. A crafted journal can therefore name any
file the reader may delete. `plant_journal` writes such a journal beside a
database, built byte for byte from SQLite's file format (fileformat2.html §4,
"The Rollback Journal", and pager.c `writeSuperJournal`).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")
SECTOR = 512
PENDING_BYTE = 0x40000000


def journal_bytes(super_journal: bytes, page_size: int = 4096, db_pages: int = 1) -> bytes:
    """A hot rollback journal with no page records whose trailer names
    `super_journal` (absolute or relative to the reader's working directory)."""
    header = JOURNAL_MAGIC + struct.pack(">iIIII", 0, 0x1234, db_pages, SECTOR, page_size)
    header = header.ljust(SECTOR, b"\x00")
    pgno = PENDING_BYTE // page_size + 1  # the locking page: never a real page record
    checksum = sum(super_journal) & 0xFFFFFFFF
    trailer = (
        struct.pack(">I", pgno)
        + super_journal
        + struct.pack(">II", len(super_journal), checksum)
        + JOURNAL_MAGIC
    )
    return header + trailer


def plant_journal(database: Path, super_journal: Path | str) -> Path:
    """Write `database`-journal naming `super_journal`; return the journal's path."""
    page_size = 4096
    with open(database, "rb") as f:
        head = f.read(100)
    if len(head) >= 18:
        (page_size,) = struct.unpack(">H", head[16:18])
        page_size = 65536 if page_size == 1 else page_size or 4096
    size = os.path.getsize(database)
    journal = Path(f"{database}-journal")
    name = os.fsencode(super_journal)
    journal.write_bytes(journal_bytes(name, page_size, max(1, size // page_size)))
    return journal


def canary(path: Path) -> Path:
    """A file whose deletion shows that a reader replayed a journal."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"-----BEGIN PRIVATE KEY-----\nnot really\n-----END PRIVATE KEY-----\n")
    return path
