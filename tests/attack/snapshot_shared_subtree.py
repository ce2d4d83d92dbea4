"""A snapshot whose `blobs` b-tree shares its pages: a plain scan of the table
repeats the same rows some 3000^depth times (the other tables untouched).

Usage: python -m tests.attack.snapshot_shared_subtree GOOD.snapshot OUT.snapshot
"""

from __future__ import annotations

import sqlite3
import struct
import sys
from pathlib import Path

from tests.hostile_sqlite import interior_page


def build(good: Path, out: Path, table: str = "blobs", depth: int = 3) -> Path:
    uri = f"file:{good}?mode=ro&immutable=1"
    with sqlite3.connect(uri, uri=True) as conn:
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        sql = "SELECT rootpage FROM sqlite_schema WHERE name = ?"
        root = conn.execute(sql, (table,)).fetchone()[0]
    data = bytearray(good.read_bytes())
    npages = len(data) // page
    leaf = bytes(data[(root - 1) * page : root * page])
    assert leaf[0] == 0x0D, "the table must fit in its root leaf"
    first = npages + 1
    chain = [interior_page(first + i + 1, page) for i in range(depth - 1)]
    data[(root - 1) * page : root * page] = interior_page(first, page)
    data += b"".join(chain) + leaf
    struct.pack_into(">I", data, 28, len(data) // page)
    struct.pack_into(">I", data, 92, struct.unpack_from(">I", data, 24)[0])
    out.write_bytes(data)
    return out


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(sys.argv[2]))
