"""Whether the trigram index names most of the tree, judged from a few windows of its
answer spread over the blobs, not only from its start.

`Search._broad` looked at the first PEEK blobs the index names (ADR 0106): where they
lie close together, a scan of every text file on every core beats reading the
answer in one process. The start of the rowids is not the tree, though: `return`'s
first 400 blobs lie among 6,186 rowids (0.065: Documentation/ and arch/ come first),
while it is in 40,620 of 78,209 blobs (0.52) and 1.07 million lines, so it ran on one
core (issue 17). Here WINDOWS windows of WIDTH rowids, spread evenly over the rowids,
are counted (FTS5 seeks to a rowid range, so a window costs what it holds: 1-3 ms of
CPU on Linux 6.1 for `return`, `static`, `spin_lock_irqsave`); the share they hold is
the estimate. Only asked when the start of the answer already filled a peek (a
rare name never gets here).
"""

from __future__ import annotations

import sqlite3

WINDOWS = 4
WIDTH = 400  # rowids per window
_COUNT = "SELECT count(*) FROM search WHERE search MATCH ? AND rowid BETWEEN ? AND ?"


def share_of(conn: sqlite3.Connection, index: str) -> float | None:
    """The share of the windows' rowids that `index` names; None on a snapshot too
    small for the windows (its start was the whole answer's evidence)."""
    top = conn.execute("SELECT max(rowid) FROM blobs").fetchone()[0]
    if not isinstance(top, int) or top < WINDOWS * WIDTH:
        return None
    named = 0
    for k in range(WINDOWS):
        start = top * (2 * k + 1) // (2 * WINDOWS)
        named += conn.execute(_COUNT, (index, start, start + WIDTH - 1)).fetchone()[0]
    return named / (WINDOWS * WIDTH)


# Beyond this share of the windows, a broad pass's workers read every text blob rather
# than the index's answer: it would spare them under a tenth of the reading, and an
# answer that names nearly every blob through a wide clause costs a walk of every one of
# its trigrams' lists (`[a-p]_[a-p]`, 256 trigrams, 0.93 of the windows: 0.86 s of CPU
# for the whole answer on Linux 6.1, ADR 0118). A literal named in most files
# (`include`: 0.84) still reads the answer, as before.
NAMED_MOST = 0.9


_FORWARD = "SELECT rowid FROM search WHERE search MATCH ? AND rowid >= ? ORDER BY rowid"
_STEP = 1024  # rowids read from the index at a time


class Named:
    """Which blobs the index names for `index`, read forward once in rowid order from
    `start`, only as far as asked; or are in `extra` (the truncated blobs: a NUL stops
    the index, so it cannot rule them out). A worker of a broad pass asks `among` for
    each chunk and reads only those: on Linux `return` names 40,620 of 78,209 blobs,
    and its workers' CPU fell from 4.9-5.3 s to 3.5 s.

    Read forward, not asked per chunk: a MATCH limited to a chunk's rowid range cost
    what a third of the whole answer costs (FTS5 walks each trigram's list to the
    range), so one worker's 37 chunks of `return` spent 0.40-0.43 s of CPU asking,
    against 0.04 s for its whole half read once. Read lazily, so a worker's first
    chunk waits only for the rowids up to its own."""

    def __init__(
        self, conn: sqlite3.Connection, index: str, start: int, extra: frozenset[int]
    ) -> None:
        self._rows = conn.execute(_FORWARD, (index, start))
        self._extra = extra
        self._named: set[int] = set()
        self._read_to = start - 1  # every named rowid in [start, _read_to] is in _named
        self._start = start

    def among(self, rowids: list[int]) -> set[int]:
        """Which of `rowids` (each >= start) the index names, or are in `extra`."""
        if not rowids:
            return set()
        if min(rowids) < self._start:
            raise ValueError("a rowid before the start of the answer")
        top = max(rowids)
        named, add = self._named, self._named.add
        while self._read_to < top:
            got = self._rows.fetchmany(_STEP)
            if not got:
                self._read_to = 1 << 62  # the answer is read to its end
                break
            for (rowid,) in got:
                add(rowid)
            self._read_to = got[-1][0]
        extra = self._extra
        return {r for r in rowids if r in named or r in extra}
