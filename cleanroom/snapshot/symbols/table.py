"""The symbol index's tables: their exact text and the digest the manifest signs
(docs/snapshot-format.md §9, format v2: docs/adr/0126).

`symbol_names` holds each distinct name once, numbered 1..N in ascending byte
order, so the number's order is the name's and a name is found by halving the
numbers (`names.find`): no index stores the names a second time. `symbols` has
one row per definition: the content's blobs rowid (a content stored once has
its symbols once), the 0-based line the name is on, the name's number and
ctags's kind. Its primary key orders a content's rows by line (an outline);
the index on the name's number answers "where is X defined".
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct

NAMES_DDL = """CREATE TABLE symbol_names (
    id INTEGER PRIMARY KEY CHECK (id >= 1),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200)
) STRICT"""

SYMBOLS_DDL = """CREATE TABLE symbols (
    blob INTEGER NOT NULL CHECK (blob >= 1),
    line INTEGER NOT NULL CHECK (line >= 0),
    name INTEGER NOT NULL CHECK (name >= 1),
    kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 32),
    PRIMARY KEY (blob, line, name, kind)
) STRICT, WITHOUT ROWID"""

SYMBOLS_NAME_DDL = "CREATE INDEX symbols_name ON symbols (name)"

TABLES_DDL = (NAMES_DDL, SYMBOLS_DDL)  # created first; the index after the rows
DDL = (*TABLES_DDL, SYMBOLS_NAME_DDL)

# The rows sqlite_schema holds for them, after the version-1 objects.
SCHEMA_ROWS = [
    ("table", "symbol_names", "symbol_names", NAMES_DDL),
    ("table", "symbols", "symbols", SYMBOLS_DDL),
    ("index", "symbols_name", "symbols", SYMBOLS_NAME_DDL),
]

# The format before ADR 0126 (names in every row, and again in the index): a
# snapshot holding it is refused with words that say so, not as a damaged schema.
V1_SYMBOLS_DDL = """CREATE TABLE symbols (
    blob INTEGER NOT NULL CHECK (blob >= 1),
    line INTEGER NOT NULL CHECK (line >= 0),
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    kind TEXT NOT NULL CHECK (length(kind) BETWEEN 1 AND 32),
    PRIMARY KEY (blob, line, name, kind)
) STRICT, WITHOUT ROWID"""
V1_SCHEMA_ROWS = [
    ("table", "symbols", "symbols", V1_SYMBOLS_DDL),
    ("index", "symbols_name", "symbols", "CREATE INDEX symbols_name ON symbols (name)"),
]
V1_REFUSED = (
    "its symbol index is in the format of snapshots made before ADR 0126 (names stored"
    " in every row); create the snapshot again with this version of cleanroom"
)

TYPES = {"blob": "integer", "line": "integer", "name": "integer", "kind": "text"}
NAME_TYPES = {"id": "integer", "name": "text"}
DIGEST_DOMAIN = b"cleanroom:snapshot-symbols:v2\x00"
NAMES_ORDERED = "SELECT id, name FROM symbol_names ORDER BY id"
ORDERED = "SELECT blob, line, name, kind FROM symbols ORDER BY blob, line, name, kind"
_BATCH = 4096  # rows framed per hash update
_U64 = struct.Struct(">Q")
_ROW = struct.Struct(">cQQQI")  # "R", blob, line, name, len(kind)
_NAME = struct.Struct(">cQI")  # "N", id, len(name)


def has_table(conn: sqlite3.Connection) -> bool:
    """Whether the snapshot holds a symbol index (either table of it)."""
    found = "SELECT count(*) FROM sqlite_schema WHERE name IN ('symbols', 'symbol_names')"
    return bool(conn.execute(found).fetchone()[0])


def presence_problem(table: bool, signed: bool) -> str | None:
    """Why the presence of a symbols table does not match the manifest, or None."""
    if table and not signed:
        return "it holds a symbols table the vendor did not sign"
    if signed and not table:
        return "the vendor signed a symbols table that is gone"
    return None


def symbols_digest(conn: sqlite3.Connection) -> tuple[bytes, int]:
    """(SHA-256 over the names then the rows, each in key order; the row count).
    A name is framed "N" ‖ u64(id) ‖ lp(name), a row "R" ‖ u64(blob) ‖ u64(line) ‖
    u64(name) ‖ lp(kind), and the end "E" ‖ u64(names) ‖ u64(rows). A value of
    another type than the column's is framed with a type tag that no good entry
    has, so it cannot pass as one. Reads TEXT raw, never decoding it."""
    h = hashlib.sha256(DIGEST_DOMAIN)
    saved = conn.text_factory
    conn.text_factory = bytes
    try:
        names = _hash_names(h, conn.execute(NAMES_ORDERED))
        rows = _hash_rows(h, conn.execute(ORDERED))
    finally:
        conn.text_factory = saved
    h.update(b"E" + _U64.pack(names) + _U64.pack(rows))
    return h.digest(), rows


def _hash_names(h: hashlib._Hash, cursor: sqlite3.Cursor) -> int:
    count = 0
    pack = _NAME.pack
    while batch := cursor.fetchmany(_BATCH):
        count += len(batch)
        out = []
        for i, name in batch:
            if type(i) is int and 0 <= i < 1 << 64 and type(name) is bytes:
                out.append(pack(b"N", i, len(name)))
                out.append(name)
            else:
                out.append(b"N" + _u64(i) + _lp(name))
        h.update(b"".join(out))
    return count


def _hash_rows(h: hashlib._Hash, cursor: sqlite3.Cursor) -> int:
    count = 0
    pack = _ROW.pack
    top = 1 << 64
    while batch := cursor.fetchmany(_BATCH):
        count += len(batch)
        out = []
        for blob, line, name, kind in batch:
            if (type(blob) is int and type(line) is int and type(name) is int
                    and type(kind) is bytes and 0 <= blob < top and 0 <= line < top
                    and 0 <= name < top):  # fmt: skip
                out.append(pack(b"R", blob, line, name, len(kind)))
                out.append(kind)
            else:
                out.append(b"R" + _u64(blob) + _u64(line) + _u64(name) + _lp(kind))
        h.update(b"".join(out))
    return count


def _lp(value: object) -> bytes:
    if isinstance(value, bytes):
        return struct.pack(">I", len(value)) + value
    other = repr(value).encode()
    return b"\xff\xff\xff\xfe" + struct.pack(">I", len(other)) + other


def _u64(value: object) -> bytes:
    if type(value) is int and 0 <= value < 1 << 64:
        return _U64.pack(value)
    other = repr(value).encode()
    return b"\xff" * 8 + struct.pack(">I", len(other)) + other
