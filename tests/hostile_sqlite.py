"""SQLite files shaped to exhaust whoever reads them (issue 10 §2).

Each builder writes a small file that, read naively, costs unbounded time,
memory or disk: views that never end, a b-tree whose pages share children so a
scan repeats the same rows without end, and a table of a million bad rows.
"""

from __future__ import annotations

import os
import sqlite3
import struct
from pathlib import Path

from cleanroom.ledger.schema import APPLICATION_ID, ENTRIES_DDL, USER_VERSION
from cleanroom.snapshot import schema as snapshot_schema

ENDLESS = "WITH RECURSIVE c(x) AS (VALUES(0) UNION ALL SELECT x + 1 FROM c)"
PAGE = 4096


def _database(path: Path, *statements: str) -> Path:
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(f"PRAGMA page_size = {PAGE}")
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {USER_VERSION}")
        for sql in statements:
            conn.execute(sql)
    finally:
        conn.close()
    return path


def view_of_big_blobs(path: Path) -> Path:
    """`entries` is an endless view of 1 MB blobs: a few KB on disk."""
    return _database(
        path,
        f"CREATE VIEW entries AS {ENDLESS} SELECT x AS seq, zeroblob(1000000) AS body,"
        " zeroblob(64) AS sig FROM c",
    )


def sorted_endless_view(path: Path) -> Path:
    """`entries` is an endless view that must be sorted: SQLite spills it to temp files."""
    return _database(
        path,
        f"CREATE VIEW entries AS {ENDLESS} SELECT x AS seq, randomblob(200) AS body,"
        " randomblob(64) AS sig FROM c ORDER BY x DESC",
    )


def snapshot_with_endless_files_view(path: Path) -> Path:
    """A snapshot whose `files` is an endless sorted view (the other tables exact)."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(f"PRAGMA application_id = {snapshot_schema.APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {snapshot_schema.USER_VERSION}")
        conn.execute(
            f"CREATE VIEW files AS {ENDLESS} SELECT randomblob(20) AS path, 'x' AS display,"
            " 'file' AS kind, 420 AS mode, 1 AS size, randomblob(32) AS blob, NULL AS target,"
            " NULL AS reason FROM c ORDER BY 1"
        )
        for ddl in snapshot_schema.DDL[1:]:
            conn.execute(ddl)
    finally:
        conn.close()
    return path


def shared_subtree_ledger(path: Path, depth: int = 18) -> Path:
    """A ledger with the exact schema whose entries b-tree is a chain of `depth`
    interior pages, each pointing every one of its children at the next page:
    one stored row, read back some 580^depth times by a plain scan."""
    _database(path, ENTRIES_DDL)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("INSERT INTO entries VALUES (0, x'00', zeroblob(64))")
    conn.close()
    data = bytearray(Path(path).read_bytes())
    assert len(data) == 2 * PAGE, "expected sqlite_schema on page 1 and entries on page 2"
    leaf = bytes(data[PAGE : 2 * PAGE])
    first_interior, last = 2, 2 + depth  # pages 2 .. last-1 interior; `last` the leaf
    pages = [bytes(data[:PAGE])]
    for number in range(first_interior, last):
        pages.append(interior_page(number + 1))
    pages.append(leaf)
    image = bytearray(b"".join(pages))
    struct.pack_into(">I", image, 28, len(pages))  # database size in pages
    counter = struct.unpack_from(">I", image, 24)[0]
    struct.pack_into(">I", image, 92, counter)  # the size is valid for this version
    Path(path).write_bytes(image)
    return path


def interior_page(child: int, page: int = PAGE) -> bytes:
    """A table interior page whose every cell and right-most pointer is `child`."""
    cell = struct.pack(">I", child) + b"\x00"  # left child, key 0 (one-byte varint)
    n = (page - 12) // (len(cell) + 2)
    content_start = page - n * len(cell)
    header = struct.pack(">BHHHBI", 0x05, 0, n, content_start, 0, child)
    pointers = b"".join(struct.pack(">H", content_start + i * len(cell)) for i in range(n))
    body = header + pointers
    return body + bytes(content_start - len(body)) + cell * n


def many_bad_rows(path: Path, rows: int = 120_000) -> Path:
    """The exact ledger schema holding `rows` rows that are not entries (~10 MB)."""
    _database(path, ENTRIES_DDL)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO entries VALUES (?, ?, zeroblob(64))",
        ((i, os.urandom(16)) for i in range(0, 2 * rows, 2)),  # gaps and garbage
    )
    conn.execute("COMMIT")
    conn.close()
    return path
