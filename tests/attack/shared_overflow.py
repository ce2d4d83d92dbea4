"""A ledger with the exact schema whose rows all share one overflow chain.

Every cell of the entries table points at the same chain of overflow pages
holding one ~1 MB body, so a file of a few MB hands back `rows` bodies of 1 MB
each: a reader that keeps or hashes the bodies does `rows` MB of work.

Usage: python -m tests.attack.shared_overflow OUT.ledger [ROWS]
"""

from __future__ import annotations

import sqlite3
import struct
import sys
from pathlib import Path

from cleanroom.ledger.schema import APPLICATION_ID, ENTRIES_DDL, USER_VERSION

PAGE = 512
BODY = 1_000_220  # (payload - M) % (PAGE - 4) == 0: the smallest cells


def _varint(v: int) -> bytes:
    if v < 0x80:
        return bytes([v])
    out = [v & 0x7F]
    v >>= 7
    while v:
        out.append(0x80 | (v & 0x7F))
        v >>= 7
    return bytes(reversed(out))


def _read_varint(b: bytes, i: int) -> tuple[int, int]:
    v = 0
    for n in range(9):
        c = b[i + n]
        if n == 8:
            return (v << 8) | c, i + 9
        v = (v << 7) | (c & 0x7F)
        if c < 0x80:
            return v, i + n + 1
    raise AssertionError


def _page(head: bytes, cells: list[bytes]) -> bytes:
    """A b-tree page: `head` (type byte onwards; the cell count and content start
    are filled in after the first three bytes), its cell pointers, then the cells."""
    content = b"".join(reversed(cells))
    start = PAGE - len(content)
    ptrs, at = [], PAGE
    for c in cells:
        at -= len(c)
        ptrs.append(struct.pack(">H", at))
    header = head[:3] + struct.pack(">HH", len(cells), start) + head[3:] + b"".join(ptrs)
    assert len(header) <= start
    return header + bytes(start - len(header)) + content


def _leaf(cells: list[bytes]) -> bytes:
    return _page(struct.pack(">BHB", 0x0D, 0, 0), cells)


def _interior(children: list[tuple[int, int]], right: int) -> bytes:
    cells = [struct.pack(">I", page) + _varint(key) for page, key in children]
    return _page(struct.pack(">BHBI", 0x05, 0, 0, right), cells)


def build(path: Path, rows: int = 2000) -> Path:
    path.unlink(missing_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(f"PRAGMA page_size = {PAGE}")
    conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {USER_VERSION}")
    conn.execute(ENTRIES_DDL)
    conn.execute("INSERT INTO entries VALUES (0, randomblob(?), zeroblob(64))", (BODY,))
    conn.close()
    data = bytearray(path.read_bytes())
    npages = len(data) // PAGE
    leaf = bytes(data[PAGE : 2 * PAGE])  # page 2: the root, a leaf with one cell
    assert leaf[0] == 0x0D and struct.unpack(">H", leaf[3:5])[0] == 1
    off = struct.unpack(">H", leaf[8:10])[0]
    payload, i = _read_varint(leaf, off)
    _rowid, j = _read_varint(leaf, i)
    m = (PAGE - 12) * 32 // 255 - 23
    k = m + (payload - m) % (PAGE - 4)
    local = k if k <= PAGE - 35 else m
    cell_rest = leaf[j : j + local + 4]  # local payload and the overflow page number
    per_leaf = (PAGE - 8) // (len(cell_rest) + 3 + 3 + 2)
    leaves: list[bytes] = []
    keys: list[int] = []
    seq = 0
    while seq < rows:
        cells = []
        for _ in range(per_leaf):
            if seq >= rows:
                break
            cells.append(_varint(payload) + _varint(seq) + cell_rest)
            seq += 1
        leaves.append(_leaf(cells))
        keys.append(seq - 1)
    # Levels of interior pages above the leaves; new pages go after the file's own.
    pages: dict[int, bytes] = {}
    nxt = npages + 1
    level = []
    for lf, key in zip(leaves, keys, strict=True):
        pages[nxt] = lf
        level.append((nxt, key))
        nxt += 1
    fan = 40
    while len(level) > 1:
        up = []
        for a in range(0, len(level), fan):
            group = level[a : a + fan]
            page = _interior(group[:-1], group[-1][0])
            if len(level) <= fan:
                pages[2] = page  # the root stays page 2
                up = [(2, group[-1][1])]
                break
            pages[nxt] = page
            up.append((nxt, group[-1][1]))
            nxt += 1
        level = up
    if level[0][0] != 2:
        pages[2] = _interior([], level[0][0])
    out = bytearray(data) + bytearray((nxt - 1 - npages) * PAGE)
    for no, page in pages.items():
        out[(no - 1) * PAGE : no * PAGE] = page
    struct.pack_into(">I", out, 28, nxt - 1)
    struct.pack_into(">I", out, 92, struct.unpack_from(">I", out, 24)[0])
    path.write_bytes(out)
    return path


if __name__ == "__main__":
    build(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 2000)
