"""Chunk lists: per-chunk hashes of a large content, sealed by the manifest.

docs/snapshot-format.md §2.1 is the specification; docs/adr/0109 says why. A
content larger than the chunk size (`manifest.chunks.size`) has one `chunks`
row: the SHA-256, line-feed count and plain flag of each chunk, its line count
and the length of its longest line. The manifest signs a digest of every row, so
a reviewer can check one chunk against what the vendor signed without reading
the rest of the content. `create` writes the rows; `verify` recomputes them
from the content; `Snapshot.open` checks the digest; `session.chunked_content`
checks each chunk as it is read.
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct
import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import islice
from operator import sub

CHUNK_SIZE = 1 << 20  # what `create` uses
MIN_SIZE, MAX_SIZE = 1 << 4, 1 << 24  # a chunk size is a power of two in this range
ENTRY = 37  # SHA-256 (32) ‖ u32 line feeds (big-endian) ‖ u8 plain
DOMAIN = b"cleanroom:snapshot-chunks:v1\x00"
_ENTRY = struct.Struct(">32sIB")
_PLAIN = bytes(range(0x20, 0x7F)) + b"\t\n"  # bytes the sanitizer never tags

CHUNKS_DDL = """CREATE TABLE chunks (
    blob BLOB PRIMARY KEY NOT NULL CHECK (length(blob) = 32),
    lines INTEGER NOT NULL CHECK (lines >= 0),
    widest INTEGER NOT NULL CHECK (widest >= 0),
    list BLOB NOT NULL CHECK (length(list) > 0 AND length(list) % 37 = 0)
) STRICT, WITHOUT ROWID"""

SCHEMA_ROWS = [("table", "chunks", "chunks", CHUNKS_DDL)]


def valid_size(size: object) -> bool:
    return type(size) is int and MIN_SIZE <= size <= MAX_SIZE and size & (size - 1) == 0


def count(size: int, chunk_size: int) -> int:
    """How many chunks a content of `size` bytes has."""
    return -(-size // chunk_size)


def is_plain(data: bytes) -> bool:
    """No byte the sanitizer could tag: printable ASCII, tab and line feed only."""
    return not data.translate(None, _PLAIN)


@dataclass(frozen=True, slots=True)
class ChunkRow:
    """One `chunks` row: a content's chunk list and the facts it signs."""

    blob: bytes
    lines: int
    widest: int  # bytes of the longest line, without its line feed
    hashes: tuple[bytes, ...]
    feeds: tuple[int, ...]  # line feeds in each chunk
    plain: tuple[bool, ...]

    def encode(self) -> bytes:
        entries = zip(self.hashes, self.feeds, self.plain, strict=True)
        return b"".join(_ENTRY.pack(h, f, int(p)) for h, f, p in entries)


def decode_row(blob: object, lines: object, widest: object, packed: object) -> ChunkRow:
    """A row as stored. Raises ValueError if a value is not of the format."""
    if not (isinstance(blob, bytes) and len(blob) == 32):
        raise ValueError("a chunks row's blob is not a 32-byte hash")
    if type(lines) is not int or type(widest) is not int or lines < 0 or widest < 0:
        raise ValueError("a chunks row's lines or widest is not a non-negative integer")
    if not isinstance(packed, bytes) or not packed or len(packed) % ENTRY:
        raise ValueError(f"a chunks row's list is not a whole number of {ENTRY}-byte entries")
    entries = list(_ENTRY.iter_unpack(packed))
    if any(p > 1 for _, _, p in entries):
        raise ValueError("a chunks row's plain flag is neither 0 nor 1")
    return ChunkRow(
        blob,
        lines,
        widest,
        tuple(h for h, _, _ in entries),
        tuple(f for _, f, _ in entries),
        tuple(bool(p) for _, _, p in entries),
    )


def chunk_row(blob: bytes, data: bytes, line_index: bytes, chunk_size: int) -> ChunkRow:
    """The row for content `data` (hash `blob`, packed little-endian line index)."""
    parts = [data[at : at + chunk_size] for at in range(0, len(data), chunk_size)]
    starts = array("I")
    starts.frombytes(line_index)
    if sys.byteorder == "big":
        starts.byteswap()
    return ChunkRow(
        blob,
        len(starts),
        widest(starts, data),
        tuple(hashlib.sha256(p).digest() for p in parts),
        tuple(p.count(b"\n") for p in parts),
        tuple(is_plain(p) for p in parts),
    )


def widest(starts: array[int], data: bytes) -> int:
    """The longest line's length in bytes, without its line feed (§2 lines)."""
    if not starts:
        return 0
    inner = max(map(sub, islice(starts, 1, None), starts), default=1) - 1
    last = len(data) - starts[-1] - (1 if data.endswith(b"\n") else 0)
    return max(inner, last)


def digest(chunk_size: int, rows: Iterable[ChunkRow]) -> bytes:
    """The chunks digest the manifest signs (§2.1), over rows in blob order."""
    h = hashlib.sha256(DOMAIN + struct.pack(">Q", chunk_size))
    n = 0
    for row in rows:
        packed = row.encode()
        h.update(b"R" + row.blob + struct.pack(">QQQ", row.lines, row.widest, len(packed)))
        h.update(packed)
        n += 1
    h.update(b"E" + struct.pack(">Q", n))
    return h.digest()


def read_rows(conn: sqlite3.Connection) -> list[ChunkRow]:
    """Every row, in blob order. Raises ValueError for a row not of the format."""
    cur = conn.execute("SELECT blob, lines, widest, list FROM chunks ORDER BY blob")
    return [decode_row(*r) for r in cur]


def insert_rows(conn: sqlite3.Connection, rows: Iterable[ChunkRow]) -> None:
    conn.executemany(
        "INSERT INTO chunks VALUES (?, ?, ?, ?)",
        ((r.blob, r.lines, r.widest, r.encode()) for r in rows),
    )


def row_problem(row: ChunkRow, size: int, chunk_size: int) -> str | None:
    """Why `row` cannot be the chunk list of a content of `size` bytes, or None:
    what can be told without reading the content."""
    n = count(size, chunk_size)
    if size <= chunk_size:
        return f"it has a chunk list but is only {size} bytes (one chunk)"
    if len(row.hashes) != n:
        return f"its chunk list has {len(row.hashes)} entries, not {n} for {size} bytes"
    if any(f > chunk_size for f in row.feeds):
        return "its chunk list counts more line feeds than a chunk has bytes"
    feeds = sum(row.feeds)
    if row.lines not in (feeds, feeds + 1):
        return f"its chunk list says {row.lines} lines but counts {feeds} line feeds"
    return None


def has_table(conn: sqlite3.Connection) -> bool:
    found = conn.execute("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'chunks'")
    return found.fetchone() is not None


def sealed_rows(
    conn: sqlite3.Connection, signed: tuple[int, str] | None
) -> dict[bytes, ChunkRow] | str:
    """The chunk lists by blob if they are the ones the manifest seals (`signed`:
    its chunk size and hex digest, None for a snapshot without chunk lists), or
    why not. The rows returned are the rows hashed: use these, not a re-read."""
    if signed is None:
        return "a chunks table the manifest does not sign" if has_table(conn) else {}
    if not has_table(conn):
        return "the chunks table the manifest signs is missing"
    try:
        rows = read_rows(conn)
    except ValueError as exc:
        return str(exc)
    size, signed_digest = signed
    if digest(size, rows).hex() != signed_digest:
        return "the chunks table is not the one the vendor signed"
    return {r.blob: r for r in rows}
