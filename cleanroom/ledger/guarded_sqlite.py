"""SQLite connections to files that may be hostile: read-only and bounded.

Every connection Cleanroom opens to evidence (a ledger, a snapshot, or a
private copy of either) goes through `harden` before its first statement, so
that what SQLite may do is decided here once (docs/adr/0004):

- nothing is written: `query_only`, and callers open `mode=ro` (`immutable=1`
  where no sidecar is to be applied), so no journal is ever rolled back;
- no database is attached and no function in the file's schema is trusted;
- temporary b-trees stay in memory (never temp files that fill a disk), and
  SQLite's whole heap in this process is capped (`hard_heap_limit`);
- strings, blobs, SQL text and expression depth are limited;
- a progress handler interrupts any statement its caller's budget refuses.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

# SQLite's heap, for the whole process (SQLite can lower this limit but never
# raise it again). Reading a genuine ledger needs a few MiB; searching the Linux
# snapshot well under this.
HEAP_LIMIT = 512 << 20
MAX_SQL = 1 << 20  # the longest statement SQLite will parse, schema text included
MAX_EXPR_DEPTH = 200
PROGRESS_STEPS = 10_000  # VM instructions between two calls of the progress handler


def harden(
    conn: sqlite3.Connection,
    progress: Callable[[], int] | None,
    max_value: int | None = None,
) -> None:
    """Limit `conn` before it reads anything. `progress` returns non-zero to
    interrupt the running statement; `max_value` caps any one string or blob
    (None: SQLite's default). Raises sqlite3.Error if the file is unusable."""
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    conn.setlimit(sqlite3.SQLITE_LIMIT_SQL_LENGTH, MAX_SQL)
    conn.setlimit(sqlite3.SQLITE_LIMIT_EXPR_DEPTH, MAX_EXPR_DEPTH)
    conn.setlimit(sqlite3.SQLITE_LIMIT_TRIGGER_DEPTH, 1)
    if max_value is not None:
        conn.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max_value)
    if progress is not None:
        conn.set_progress_handler(progress, PROGRESS_STEPS)
    for pragma in (
        f"hard_heap_limit = {HEAP_LIMIT}",
        "query_only = ON",
        "trusted_schema = OFF",
        "temp_store = MEMORY",
        "cell_size_check = ON",
    ):
        conn.execute(f"PRAGMA {pragma}")
