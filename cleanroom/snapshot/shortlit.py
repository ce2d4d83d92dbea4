"""Literals of one or two bytes, narrowed by the trigram index after all.

FTS5's trigram tokenizer cannot look up fewer than three characters, but its
vocabulary is sorted: every term that *starts* with a one- or two-character
string is one range of terms (`fts5vocab`, `term >= s AND term < s'`). A text
document of the index holds an occurrence of such a string `s` (ASCII, no NUL)
either as the start of a trigram, which is then in that range, or so close to its
end that no trigram starts there: `s` is then among the document's last
characters. So the blobs that can hold `s` are those the range's terms name, and
those whose end holds `s` (`Tails`, read once per open snapshot), and those the
index stops reading at a NUL (candidates.py, `truncated`).

"The end" is counted in characters as the tokenizer reads them (SQLite's UTF-8
reader: a lead byte takes every continuation byte after it, any other byte is a
character of its own): two bytes `s` can only start a trigram if a character
follows them, so the blobs whose last two bytes are `s` are added; one byte `s`
starts a trigram if two characters follow, so the blobs whose last byte, or the
byte before their last character, is `s` are added. The index folds case, so
`s` is looked up lowercased, and a tail is compared lowercased; the matcher
decides what really matches. docs/adr/0106-search-short-literals.md says why this
and not a new table.

If the range names too many documents (more than BROAD of the text blobs, or more
terms than MAX_TERMS), reading them through the index costs more than reading
everything, and `short_candidates` says so (None).
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from .store import Snapshot

BROAD = 0.25  # share of the text blobs above which a full scan is cheaper
MAX_TERMS = 4000  # terms in one range: beyond, the MATCH expression costs too much
TAIL = 64  # bytes read from a blob's end first
BACK = 1 << 20  # bytes read at a time further back, through a long character
_VOCAB = "cleanroom_vocab"


@dataclass(frozen=True)
class Tails:
    """For every text blob: its last two bytes (lowercased), and the byte before its
    last character (lowercased; -1 if none)."""

    last2: dict[int, bytes]
    before_last: dict[int, int]
    count: int  # text blobs


def short_needle(needle: bytes) -> bytes | None:
    """The lowercased literal if it is one this module can narrow: one or two ASCII
    bytes, no NUL, no line feed."""
    if not 1 <= len(needle) <= 2 or not needle.isascii() or b"\x00" in needle:
        return None
    return needle.lower()


def short_candidates(
    snapshot: Snapshot, conn: sqlite3.Connection, needle: bytes, check: Callable[[], None]
) -> list[int] | None:
    """The rowids (ascending) of the text blobs that can hold `needle` (lowercased,
    from `short_needle`), not counting truncated ones; None if too many."""
    tails = tails_of(snapshot, conn)
    text = needle.decode("ascii")
    upper = text[:-1] + chr(ord(text[-1]) + 1)
    _vocab(conn)
    terms: list[str] = []
    docs = 0
    limit = BROAD * max(1, tails.count)
    sql = f"SELECT term, doc FROM temp.{_VOCAB} WHERE term >= ? AND term < ?"  # noqa: S608
    for term, doc in conn.execute(sql, (text, upper)):
        docs += doc
        terms.append(term)
        if docs > limit or len(terms) > MAX_TERMS:
            return None
    check()
    found: set[int] = set()
    if terms:
        expr = " OR ".join('"' + t.replace('"', '""') + '"' for t in terms if "\x00" not in t)
        found.update(r[0] for r in conn.execute(_MATCH, (expr,)))
    check()
    if len(needle) == 2:
        found.update(r for r, last in tails.last2.items() if last == needle)
    else:
        byte = needle[0]
        found.update(r for r, last in tails.last2.items() if last[-1:] == needle)
        found.update(r for r, b in tails.before_last.items() if b == byte)
    return sorted(found)


_MATCH = "SELECT rowid FROM search WHERE search MATCH ?"


def _vocab(conn: sqlite3.Connection) -> None:
    """The index's vocabulary as a table (in the connection's own temp schema: the
    snapshot file is opened read-only and is never written)."""
    # query_only (readonly.py) refuses even the temp schema; the file stays read-only
    # and immutable whatever this pragma says.
    conn.execute("PRAGMA query_only = OFF")
    try:
        conn.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{_VOCAB}"
            " USING fts5vocab(main, 'search', 'row')"
        )
    finally:
        conn.execute("PRAGMA query_only = ON")


# -- the ends of the blobs ---------------------------------------------------------------

_TAILS: weakref.WeakKeyDictionary[Snapshot, Tails] = weakref.WeakKeyDictionary()
_TAILS_LOCK = threading.Lock()


def tails_of(snapshot: Snapshot, conn: sqlite3.Connection) -> Tails:
    """The Tails of `snapshot`, read once per open snapshot."""
    with _TAILS_LOCK:
        found = _TAILS.get(snapshot)
        if found is None:
            found = _TAILS[snapshot] = read_tails(conn)
        return found


def read_tails(conn: sqlite3.Connection) -> Tails:
    last2: dict[int, bytes] = {}
    before_last: dict[int, int] = {}
    count = 0
    rows = conn.execute("SELECT rowid, size FROM blobs WHERE binary = 0").fetchall()
    for rowid, size in rows:
        count += 1
        if not size:
            continue
        with conn.blobopen("blobs", "content", rowid, readonly=True) as blob:
            two, before = _end(blob, size)
        last2[rowid] = two.lower()
        if before >= 0:
            before_last[rowid] = before | 0x20 if 0x41 <= before <= 0x5A else before
    return Tails(last2, before_last, count)


def _end(blob: sqlite3.Blob, size: int) -> tuple[bytes, int]:
    """(the last two bytes, the byte before the last character or -1). The last
    character starts at the lead byte before a run of continuation bytes that ends
    the content; with no lead byte there, it is the last byte alone."""
    start = max(0, size - TAIL)
    blob.seek(start)
    data = blob.read(size - start)
    two = data[-2:]
    k = len(data) - 1
    j = k
    while True:
        while j >= 0 and 0x80 <= data[j] < 0xC0:
            j -= 1
        if (j >= 1 and k >= 1) or start == 0:
            break
        # the run goes on before what was read: read further back (rarely, and at
        # most once through the blob)
        more = max(0, start - BACK)
        blob.seek(more)
        data = blob.read(start - more) + data
        j += start - more
        k += start - more
        start = more
    if j >= 0 and data[j] >= 0xC0:
        return two, data[j - 1] if j >= 1 else -1
    return two, data[k - 1] if k >= 1 else -1
