"""What follows a byte over 0x7F in the blobs the index does not read byte by byte.

A word boundary before a literal that starts with a word character (`\\bmalloc`)
lets `query.context_expression` rule out a *complete* document (candidates.py):
the index holds the very byte that stands before the literal. In an *incomplete*
document the character the index holds there may be a multi-byte character, or
even an ASCII letter (case folding indexes the Kelvin sign as `k`, the long s as
`s`), so the context expression alone cannot rule it out. But in a match the byte
just before such a literal is either ASCII, which the index reads as itself (the
context expression sees it: the document matches it), the start of the document
(`^`, also in the expression), or a byte over 0x7F. `AfterHigh` records, for each
incomplete text blob, the three bytes (ASCII, lowercased) that follow each byte
over 0x7F in it. So an incomplete blob that fails the context expression and in
which no byte over 0x7F is followed by the literal's first three bytes holds no
match (`exempt`).

Read once per open snapshot, in a thread that `search.prepare` starts (about a
quarter of a second of CPU for the 59 MB of Linux 6.1's 3,112 incomplete blobs),
on a connection opened before `prepare` returns (before a guard watches the
file). Until it is read, or if reading fails, every incomplete blob stays a
candidate, as before: slower, never a different result. `Snapshot.close()`
stops the thread (between two blobs, or by interrupting its statement) and waits
for it, so that no connection is closed under it: Python's sqlite3 frees a
connection's handle even while another thread runs a statement on it, which
crashed the process (a segfault, once a test's teardown closed every connection
it had opened while this thread still read; tests/test_high_bytes_close.py).
"""

from __future__ import annotations

import contextlib
import re
import sqlite3
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass

from .store import Snapshot

_AFTER_HIGH = re.compile(rb"[\x80-\xff]([\x00-\x7f]{3})")
MAX_READ = 64 << 20  # a bigger incomplete blob stays a candidate unread
PIECE = 1 << 20  # bytes read at a time


@dataclass(frozen=True)
class AfterHigh:
    """`after[b"mal"]`: the incomplete blobs in which a byte over 0x7F is followed by
    `mal` (ASCII case folded); `unread`: the incomplete blobs that could not be read
    (always candidates)."""

    after: dict[bytes, frozenset[int]]
    unread: frozenset[int]

    def exempt(self, heads: Iterable[bytes]) -> frozenset[int]:
        """The incomplete blobs that stay candidates whatever the context expression
        says, for a plan whose `heads` (three ASCII bytes each) may follow a byte
        over 0x7F in a match."""
        found = set(self.unread)
        for head in heads:
            found |= self.after.get(head.lower(), frozenset())
        return frozenset(found)


def read_after_high(
    conn: sqlite3.Connection, incomplete: Iterable[int], stop: threading.Event | None = None
) -> AfterHigh:
    """Read every blob in `incomplete` (in pieces) and record what follows its bytes
    over 0x7F. A blob that cannot be read is `unread`. Raises Stopped once `stop`
    is set (checked between two blobs)."""
    after: dict[bytes, set[int]] = {}
    unread: set[int] = set()
    for rowid in sorted(incomplete):
        if stop is not None and stop.is_set():
            raise Stopped()
        try:
            heads = _heads(conn, rowid)
        except (sqlite3.Error, OSError):
            unread.add(rowid)
            continue
        for head in heads:
            after.setdefault(head, set()).add(rowid)
    return AfterHigh({k: frozenset(v) for k, v in after.items()}, frozenset(unread))


class Stopped(Exception):
    """The snapshot is being closed: the reading stops, nothing is kept."""


def _heads(conn: sqlite3.Connection, rowid: int) -> set[bytes]:
    """Read with a plain SELECT, as search does, not SQLite's incremental blob I/O:
    on a snapshot file changed under the immutable connection, blob reads
    crashed the process (a segfault in CI, a test writing the file after its
    check). A blob over MAX_READ is not read (OSError: it stays a candidate)."""
    row = conn.execute(
        "SELECT CASE WHEN length(content) <= ? THEN content END FROM blobs WHERE rowid = ?",
        (MAX_READ, rowid),
    ).fetchone()
    if row is None or not isinstance(row[0], bytes):
        raise OSError(f"blob {rowid} is missing, not bytes, or over {MAX_READ} bytes")
    content = memoryview(row[0])
    heads: set[bytes] = set()
    tail = b""
    for at in range(0, len(content), PIECE):
        data = tail + bytes(content[at : at + PIECE])  # a high byte near a piece's end
        heads.update(h.lower() for h in _AFTER_HIGH.findall(data))
        tail = data[-3:]
    return heads


# -- once per open snapshot, in the background -------------------------------------------

_READ: weakref.WeakKeyDictionary[Snapshot, AfterHigh] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def after_high(snapshot: Snapshot) -> AfterHigh | None:
    """The snapshot's AfterHigh if it has been read; None (never waits) otherwise."""
    with _LOCK:
        return _READ.get(snapshot)


def read_in_background(
    snapshot: Snapshot, conn: sqlite3.Connection, incomplete: frozenset[int]
) -> threading.Thread:
    """Read `incomplete` on `conn` (a connection of the thread's own, which it closes)
    in a daemon thread, and keep the result for `after_high`. `snapshot.close()`
    stops the thread and waits for it (conn closed) before it closes the snapshot."""
    owner = weakref.ref(snapshot)
    stop = threading.Event()

    def work() -> None:
        try:
            found = read_after_high(conn, incomplete, stop)
        except Exception:  # noqa: BLE001 (a hint: without it, searches read more)
            return
        finally:
            conn.close()  # in this thread, the only one that uses it
        kept = owner()
        if kept is not None:
            with _LOCK:
                _READ[kept] = found

    thread = threading.Thread(target=work, name="after-high", daemon=True)

    def halt() -> None:
        stop.set()
        if thread.is_alive():
            with contextlib.suppress(sqlite3.ProgrammingError):  # closed meanwhile
                conn.interrupt()  # thread-safe: a statement under way ends with an error
        thread.join()

    snapshot.before_close(halt)
    thread.start()
    return thread
