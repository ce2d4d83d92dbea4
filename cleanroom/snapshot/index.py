"""The trigram search index: how it is built, and the digest that seals it.

The index is built in one deterministic pass (every text blob in rowid order, in
one transaction, then merged to one segment), so building it again from the same
blobs with the same SQLite gives the same shadow-table rows. The manifest signs
`index_digest`, a hash of those rows, because an index cannot be checked against
the content cheaply: a forged index could hide a file from search.
"""

from __future__ import annotations

import hashlib
import sqlite3
import struct
from collections.abc import Callable

from .presence import has_table as has_presence
from .schema import SHADOW_TABLES

DIGEST_DOMAIN = b"cleanroom:snapshot-index:v1\x00"
TOKENIZER = "trigram"
DETAIL = "full"
_COLUMNS = {
    "search_data": ("id", "block"),
    "search_idx": ("segid", "term", "pgno"),
    "search_docsize": ("id", "sz"),
    "search_config": ("k", "v"),
}


def build_index(
    conn: sqlite3.Connection,
    source: str = "main",
    progress: Callable[[int], None] | None = None,
) -> None:
    """Index every text blob of `source`.blobs into main.search. `progress` gets the
    size of each blob as it is indexed. The connection must be in autocommit mode."""

    def tick(size: int) -> int:
        if progress is not None:
            progress(size)
        return 1

    if not source.isidentifier():
        raise ValueError(f"bad schema name {source!r}")
    conn.create_function("cleanroom_progress", 1, tick)
    text = f"{source}.blobs WHERE binary = 0 AND cleanroom_progress(size) ORDER BY rowid"
    insert = "INSERT INTO main.search(rowid, content) SELECT rowid, content FROM " + text  # noqa: S608
    conn.execute("BEGIN")
    conn.execute(insert)
    conn.execute("COMMIT")
    conn.execute("INSERT INTO main.search(search) VALUES ('optimize')")


def index_digest(conn: sqlite3.Connection, schema: str = "main", blobs: str = "main") -> bytes:
    """SHA-256 over the index: every row of the FTS5 shadow tables in `schema`, and
    the (rowid, hash) of every row of `blobs`.blobs, since the index names documents
    by rowid; then, if `blobs` has one, every row of its byte presence table (§3.1),
    so that a table added, dropped or changed changes the digest. Typed and framed
    as in docs/snapshot-format.md §4.3."""
    if not (schema.isidentifier() and blobs.isidentifier()):
        raise ValueError("bad schema name")
    h = hashlib.sha256(DIGEST_DOMAIN)
    tables = [(f"{blobs}.blobs", "blobs", ("rowid", "hash"), "rowid")]
    tables += [(f"{schema}.{t}", t, _COLUMNS[t], order) for t, order in SHADOW_TABLES]
    if has_presence(conn, blobs):
        tables.append((f"{blobs}.presence", "presence", ("byte", "blobs"), "byte"))
    saved = conn.text_factory
    conn.text_factory = bytes  # TEXT comes back raw: never decoded, never an error
    try:
        for qualified, name, cols, order in tables:
            h.update(b"T" + _frame(name.encode()))
            typed = ", ".join(f"typeof({c}), {c}" for c in cols)
            query = f"SELECT {typed} FROM {qualified} ORDER BY {order}"  # noqa: S608
            for row in conn.execute(query):
                h.update(b"R")
                for i in range(0, len(row), 2):
                    h.update(_value(row[i], row[i + 1]))
    finally:
        conn.text_factory = saved
    return h.digest()


def _frame(data: bytes) -> bytes:
    return struct.pack(">Q", len(data)) + data


def _value(kind: bytes, value: object) -> bytes:
    if kind == b"null":
        return b"n"
    if kind == b"integer":
        return b"i" + struct.pack(">q", value)
    if kind == b"real":
        return b"r" + struct.pack(">d", value)
    if kind == b"text":
        return b"t" + _frame(value)  # type: ignore[arg-type]
    return b"b" + _frame(value)  # type: ignore[arg-type]
