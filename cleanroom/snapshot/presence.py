"""The byte presence table: which text blobs hold each byte value, sealed by the index digest.

docs/snapshot-format.md §3.1 is the specification; docs/adr/0112 says why. The
`presence` table has one row per byte value 0-255: a bitmap over blob rowids, bit
r (byte r >> 3, bit r & 7, least significant first) set exactly when the blob
with rowid r is a text blob whose content holds that byte. Every row has
`width(max rowid)` bytes. The index digest (§4.3) covers the rows, so the vendor's
signature does; `verify` recomputes them from the content (§5 step 6b).

A search for a literal the trigram index cannot look up (one byte, or a short
literal held by most files) reads only the blobs that hold every one of its bytes
(`holding`); a snapshot without the table, or with one that is not of the format,
reads every text blob, as before (`holding` says None).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

PRESENCE_DDL = """CREATE TABLE presence (
    byte INTEGER PRIMARY KEY CHECK (byte BETWEEN 0 AND 255),
    blobs BLOB NOT NULL
) STRICT"""

SCHEMA_ROWS = [("table", "presence", "presence", PRESENCE_DDL)]
_WINDOW = 512  # bytes looked at to choose what the next pass deletes
_PASSES = 4  # passes of `translate` before the bytes left are looked up one by one
_LETTERS = frozenset(range(0x41, 0x5B)) | frozenset(range(0x61, 0x7B))


def bytes_of(data: bytes) -> bytes:
    """The byte values `data` holds, ascending, one byte each. Each pass deletes
    from what is left every byte seen in its first _WINDOW bytes (source text has
    few distinct bytes, so what is left shrinks to nothing in a pass or two); after
    _PASSES passes the rest is searched for each unseen byte (memchr: at most 256
    passes, never a hang)."""
    seen: set[int] = set()
    rest = data
    for _ in range(_PASSES):
        if not rest:
            return bytes(sorted(seen))
        head = set(rest[:_WINDOW])
        seen |= head
        rest = rest.translate(None, bytes(head))
    if rest:
        seen.update(b for b in range(256) if b not in seen and b in rest)
    return bytes(sorted(seen))


def width(max_rowid: int) -> int:
    """Bytes in each row's bitmap for rowids 0..max_rowid."""
    return (max(0, max_rowid) >> 3) + 1


def rows(held: Iterable[tuple[int, bytes]], max_rowid: int) -> list[bytes]:
    """The 256 bitmaps for text blobs given as (rowid, the bytes it holds: bytes_of)."""
    n = width(max_rowid)
    bits = [bytearray(n) for _ in range(256)]
    for rowid, values in held:
        if rowid < 0:
            continue  # no bit for it (create never makes one; verify reports the table)
        at, mark = rowid >> 3, 1 << (rowid & 7)
        for b in values:
            bits[b][at] |= mark
    return [bytes(x) for x in bits]


def insert_rows(conn: sqlite3.Connection, bitmaps: list[bytes]) -> None:
    conn.executemany("INSERT INTO presence VALUES (?, ?)", enumerate(bitmaps))


def build(conn: sqlite3.Connection, held: dict[bytes, bytes]) -> None:
    """Fill the (empty) presence table from `held`: the bytes of each text blob, by
    hash, as `create` found them while storing."""
    found = conn.execute("SELECT rowid, hash FROM blobs WHERE binary = 0").fetchall()
    top = conn.execute("SELECT coalesce(max(rowid), 0) FROM blobs").fetchone()[0]
    insert_rows(conn, rows(((r, held[h]) for r, h in found), top))


def has_table(conn: sqlite3.Connection, schema: str = "main") -> bool:
    if not schema.isidentifier():
        raise ValueError("bad schema name")
    sql = f"SELECT 1 FROM {schema}.sqlite_schema WHERE type = 'table' AND name = 'presence'"  # noqa: S608
    return conn.execute(sql).fetchone() is not None


def needs_of(needle: bytes, case: bool) -> tuple[bytes, ...]:
    """What a blob must hold to hold `needle`: for each distinct byte, the byte (and,
    for an ASCII letter without `case`, its other case), one of which must be there."""
    out = []
    for b in sorted(set(needle.lower() if not case else needle)):
        out.append(bytes(sorted({b, b ^ 0x20})) if not case and b in _LETTERS else bytes([b]))
    return tuple(out)


def holding(conn: sqlite3.Connection, needs: tuple[bytes, ...]) -> list[int] | None:
    """The rowids (ascending) of the text blobs that hold, for every element of
    `needs`, at least one of its bytes; None if the snapshot has no presence table,
    or one not of the format (then every text blob must be read)."""
    if not needs or not has_table(conn):
        return None
    top = conn.execute("SELECT coalesce(max(rowid), 0) FROM blobs").fetchone()[0]
    n = width(top) if isinstance(top, int) else -1
    wanted = sorted({b for alternatives in needs for b in alternatives})
    marks = ",".join("?" * len(wanted))
    sql = f"SELECT byte, blobs FROM presence WHERE byte IN ({marks})"  # noqa: S608
    found: dict[int, int] = {}
    for byte, bitmap in conn.execute(sql, wanted):
        if not isinstance(bitmap, bytes) or len(bitmap) != n:
            return None
        found[byte] = int.from_bytes(bitmap, "little")
    if len(found) != len(wanted):
        return None
    every = -1
    for alternatives in needs:
        any_of = 0
        for b in alternatives:
            any_of |= found[b]
        every &= any_of
    return set_bits(every.to_bytes(n, "little") if every > 0 else b"")


_BITS = [tuple(k for k in range(8) if byte >> k & 1) for byte in range(256)]


def set_bits(bitmap: bytes) -> list[int]:
    """The positions of the set bits of a little-endian bitmap, ascending."""
    out: list[int] = []
    add = out.append
    bits = _BITS
    for i, byte in enumerate(bitmap):
        if byte:
            base = i << 3
            for k in bits[byte]:
                add(base + k)
    return out
