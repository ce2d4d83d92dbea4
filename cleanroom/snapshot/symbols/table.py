"""The `symbols` table: its exact text and the digest the manifest signs.

One row per definition: the content's blobs rowid (a content stored once has
its symbols once, and a rowid is a byte or three where a path is dozens), the
0-based line the name is on, the name and ctags's kind. The primary key orders
a content's rows by line, which is an outline; the index on name answers
"where is X defined" and typed prefixes.
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct

SYMBOLS_DDL = """CREATE TABLE symbols (
    blob INTEGER NOT NULL CHECK (blob >= 1),
    line INTEGER NOT NULL CHECK (line >= 0),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 32),
    PRIMARY KEY (blob, line, name, kind)
) STRICT, WITHOUT ROWID"""

SYMBOLS_NAME_DDL = "CREATE INDEX symbols_name ON symbols (name)"

DDL = (SYMBOLS_DDL, SYMBOLS_NAME_DDL)

# The rows sqlite_schema holds for them, after the version-1 objects.
SCHEMA_ROWS = [
    ("table", "symbols", "symbols", SYMBOLS_DDL),
    ("index", "symbols_name", "symbols", SYMBOLS_NAME_DDL),
]

TYPES = {"blob": "integer", "line": "integer", "name": "text", "kind": "text"}
DIGEST_DOMAIN = b"cleanroom:snapshot-symbols:v1\x00"
ORDERED = "SELECT blob, line, name, kind FROM symbols ORDER BY blob, line, name, kind"


def has_table(conn: sqlite3.Connection) -> bool:
    row = conn.execute("SELECT count(*) FROM sqlite_schema WHERE name = 'symbols'").fetchone()
    return bool(row[0])


def presence_problem(table: bool, signed: bool) -> str | None:
    """Why the presence of a symbols table does not match the manifest, or None."""
    if table and not signed:
        return "it holds a symbols table the vendor did not sign"
    if signed and not table:
        return "the vendor signed a symbols table that is gone"
    return None


def symbols_digest(conn: sqlite3.Connection) -> tuple[bytes, int]:
    """(SHA-256 over every row in key order, row count). Each row is framed as
    "R" ‖ u64(blob) ‖ u64(line) ‖ lp(name) ‖ lp(kind); a value of another type
    than the column's is framed with a type tag that no good row has, so it
    cannot pass as one. Reads TEXT raw, never decoding it."""
    h = hashlib.sha256(DIGEST_DOMAIN)
    saved = conn.text_factory
    conn.text_factory = bytes
    count = 0
    try:
        for blob, line, name, kind in conn.execute(ORDERED):
            count += 1
            h.update(b"R" + _u64(blob) + _u64(line) + _lp(name) + _lp(kind))
    finally:
        conn.text_factory = saved
    h.update(b"E" + struct.pack(">Q", count))
    return h.digest(), count


def _lp(value: object) -> bytes:
    if isinstance(value, bytes):
        return struct.pack(">I", len(value)) + value
    other = repr(value).encode()
    return b"\xff\xff\xff\xfe" + struct.pack(">I", len(other)) + other


def _u64(value: object) -> bytes:
    if type(value) is int and 0 <= value < 1 << 64:
        return struct.pack(">Q", value)
    other = repr(value).encode()
    return b"\xff" * 8 + struct.pack(">I", len(other)) + other
