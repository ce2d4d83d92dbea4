"""The exact SQLite schema of a snapshot. `create` executes it; `verify` pins it.

docs/snapshot-format.md §2 is the specification. The FTS5 shadow tables are
created by SQLite itself; their text is pinned too, and tests/test_snapshot_create.py
checks that this SQLite still writes exactly these statements.
"""

from __future__ import annotations

import sqlite3

from .chunks import SCHEMA_ROWS as CHUNKS_SCHEMA_ROWS
from .presence import SCHEMA_ROWS as PRESENCE_SCHEMA_ROWS
from .symbols.table import SCHEMA_ROWS as SYMBOLS_SCHEMA_ROWS
from .symbols.table import V1_REFUSED
from .symbols.table import V1_SCHEMA_ROWS as V1_SYMBOLS_SCHEMA_ROWS

APPLICATION_ID = 0x434C5253  # "CLRS"
USER_VERSION = 1
PAGE_SIZE = 16384  # large blobs: short overflow chains, so a seek deep into one is quick
SUFFIX = ".snapshot"

FILES_DDL = """CREATE TABLE files (
    path BLOB PRIMARY KEY NOT NULL,
    display TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('dir', 'file', 'link', 'skipped')),
    mode INTEGER NOT NULL CHECK (mode >= 0),
    size INTEGER NOT NULL CHECK (size >= 0),
    blob BLOB CHECK ((kind = 'file') = (blob IS NOT NULL) AND length(blob) = 32),
    target BLOB CHECK ((kind = 'link') = (target IS NOT NULL)),
    reason TEXT CHECK ((kind = 'skipped') = (reason IS NOT NULL))
) STRICT, WITHOUT ROWID"""

BLOBS_DDL = """CREATE TABLE blobs (
    hash BLOB PRIMARY KEY NOT NULL CHECK (length(hash) = 32),
    size INTEGER NOT NULL CHECK (size >= 0),
    binary INTEGER NOT NULL CHECK (binary IN (0, 1)),
    lines INTEGER NOT NULL CHECK (lines >= 0),
    line_index BLOB NOT NULL CHECK (length(line_index) = 4 * lines),
    content BLOB NOT NULL CHECK (length(content) = size)
) STRICT"""

# External content: the index stores no text of its own; its rowids are blobs.rowid,
# and only text blobs (binary = 0) are indexed. detail=full: docs/adr/0100-snapshot-index.md.
SEARCH_DDL = (
    "CREATE VIRTUAL TABLE search USING fts5("
    "content, content='blobs', tokenize='trigram', detail='full')"
)

MANIFEST_DDL = """CREATE TABLE manifest (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    body BLOB NOT NULL,
    sig BLOB NOT NULL CHECK (length(sig) = 64)
) STRICT"""

DDL = (FILES_DDL, BLOBS_DDL, SEARCH_DDL, MANIFEST_DDL)

# The FTS5 shadow tables, in the order the index digest covers them, with the
# ORDER BY that makes their rows a deterministic sequence.
SHADOW_TABLES = (
    ("search_data", "id"),
    ("search_idx", "segid, term"),
    ("search_docsize", "id"),
    ("search_config", "k"),
)

# Every row sqlite_schema must hold, as (type, name, tbl_name, sql): nothing else.
EXPECTED_SCHEMA = [
    ("table", "files", "files", FILES_DDL),
    ("table", "blobs", "blobs", BLOBS_DDL),
    ("index", "sqlite_autoindex_blobs_1", "blobs", None),
    ("table", "search", "search", SEARCH_DDL),
    ("table", "search_data", "search_data",
     "CREATE TABLE 'search_data'(id INTEGER PRIMARY KEY, block BLOB)"),
    ("table", "search_idx", "search_idx",
     "CREATE TABLE 'search_idx'(segid, term, pgno, PRIMARY KEY(segid, term)) WITHOUT ROWID"),
    ("table", "search_docsize", "search_docsize",
     "CREATE TABLE 'search_docsize'(id INTEGER PRIMARY KEY, sz BLOB)"),
    ("table", "search_config", "search_config",
     "CREATE TABLE 'search_config'(k PRIMARY KEY, v) WITHOUT ROWID"),
    ("table", "manifest", "manifest", MANIFEST_DDL),
]  # fmt: skip

# Declared column types, as typeof() must report them for every stored value.
FILES_TYPES = {
    "path": ("blob",),
    "display": ("text",),
    "kind": ("text",),
    "mode": ("integer",),
    "size": ("integer",),
    "blob": ("blob", "null"),
    "target": ("blob", "null"),
    "reason": ("text", "null"),
}
BLOBS_TYPES = {
    "hash": ("blob",),
    "size": ("integer",),
    "binary": ("integer",),
    "lines": ("integer",),
    "line_index": ("blob",),
    "content": ("blob",),
}


def schema_problems(conn: sqlite3.Connection) -> list[str]:
    """How the database's schema differs from the snapshot schema, with or without
    the chunks table (§2.1), the presence table (§3.1) and the symbols table and its
    index (§9) after the others, in that order (empty if it does not)."""
    found = conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid")
    rows = [tuple(r) for r in found]
    problems = []
    if rows[-len(SYMBOLS_SCHEMA_ROWS) :] == SYMBOLS_SCHEMA_ROWS:  # built last
        rows = rows[: -len(SYMBOLS_SCHEMA_ROWS)]
    elif rows[-len(V1_SYMBOLS_SCHEMA_ROWS) :] == V1_SYMBOLS_SCHEMA_ROWS:  # before ADR 0126
        rows = rows[: -len(V1_SYMBOLS_SCHEMA_ROWS)]
        problems.append(V1_REFUSED)
    if rows[-len(PRESENCE_SCHEMA_ROWS) :] == PRESENCE_SCHEMA_ROWS:
        rows = rows[: -len(PRESENCE_SCHEMA_ROWS)]
    if rows[-len(CHUNKS_SCHEMA_ROWS) :] == CHUNKS_SCHEMA_ROWS:
        rows = rows[: -len(CHUNKS_SCHEMA_ROWS)]
    if rows != EXPECTED_SCHEMA:
        extra = [f"{r[0]} {r[1]}" for r in rows if r not in EXPECTED_SCHEMA]
        missing = [f"{r[0]} {r[1]}" for r in EXPECTED_SCHEMA if r not in rows]
        if extra:
            problems.append("unexpected or altered: " + ", ".join(map(str, extra)))
        if missing:
            problems.append("missing or altered: " + ", ".join(missing))
        if not extra and not missing:
            problems.append("schema objects are out of order")
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id != APPLICATION_ID:
        problems.append(f"application_id is {app_id:#x}, not {APPLICATION_ID:#x}")
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version != USER_VERSION:
        problems.append(f"user_version is {version}, not {USER_VERSION}")
    return problems
