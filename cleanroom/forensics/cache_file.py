"""Open the forensics cache's SQLite file without letting it act on us.

The cache is ours, but it lives in a directory the user can write, and a cache
directory can be pointed anywhere (`--cache-dir`, `$CLEANROOM_CACHE_DIR`,
`$XDG_CACHE_HOME`), even at files that came with the evidence. The connection
must be read-write, so it is the one SQLite file Cleanroom reads that could
replay a rollback journal: a crafted `-journal` names a "super-journal" that
SQLite deletes after the rollback (docs/adr/0300). So, before SQLite sees it:

- A `-journal` or `-wal` beside the database is never handed to SQLite. This
  tool writes only in rollback mode and leaves no journal when it finishes, so
  it cannot tell one a crash left from one that was planted; either way the
  database and its sidecars are *set aside* (renamed, never deleted, the
  journal under a name SQLite will not pair with anything) and a fresh cache is
  started.
- So is anything that is not a plain SQLite file of ours: a link, a FIFO or
  another non-regular file, a header that is not SQLite's or is in WAL mode.
- After opening, the schema is compared with the cache's own before a single
  row is read: a view, a trigger or another table means the file is set aside.
Each set-aside is reported as a notice for the caller to show.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
import time
from pathlib import Path

SIDECARS = ("-journal", "-wal", "-shm")
SQLITE_MAGIC = b"SQLite format 3\x00"
ROLLBACK_MODE = b"\x01\x01"  # header bytes 18-19: read and write versions 1 in rollback mode
SCHEMA_SECONDS = 10  # parsing our two tables takes microseconds; a crafted schema, minutes


def open_cache_db(db: Path, schema: str) -> tuple[sqlite3.Connection, list[str]]:
    """A read-write connection to `db` holding exactly `schema` (created if new),
    and the notices to show for anything set aside on the way. Raises OSError or
    sqlite3.Error when no usable file can be opened."""
    notices: list[str] = []
    for _ in range(2):  # once more after setting aside what was there
        why = _not_ours(db)
        if why is None:
            conn = sqlite3.connect(db, timeout=30, isolation_level=None)
            why = _schema_problem(conn, schema)
            if why is None:
                conn.executescript(schema)
                return conn, notices
            conn.close()
        notices.append(f"{db.name}: {why}; set it aside as {set_aside(db)} and started afresh")
    raise sqlite3.DatabaseError(f"{db}: still not a cache after setting it aside")


def _not_ours(db: Path) -> str | None:
    """Why the file at `db` (or a sidecar of it) is not one this tool left, or None;
    creates `db` empty (0600) when nothing is there."""
    for suffix in SIDECARS:
        if os.path.lexists(f"{db}{suffix}"):
            return f"a {suffix} this tool did not leave (SQLite would apply it)"
    if os.path.islink(db):
        return "a symbolic link, not a regular file"
    fd = os.open(db, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return "not a regular file"
        head = os.pread(fd, 20, 0)
    finally:
        os.close(fd)
    if head and (head[:16] != SQLITE_MAGIC or head[18:20] != ROLLBACK_MODE):
        return "not an SQLite file in rollback mode"
    return None


def _schema_problem(conn: sqlite3.Connection, schema: str) -> str | None:
    """Why the schema of `conn` is not `schema` (an empty file is fine), or None.
    Nothing in the file is trusted or run while it is read, and reading is bounded."""
    conn.execute("PRAGMA trusted_schema = OFF")
    conn.setlimit(sqlite3.SQLITE_LIMIT_ATTACHED, 0)
    deadline = time.monotonic() + SCHEMA_SECONDS
    conn.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
    try:
        found = _schema_of(conn)
    except sqlite3.DatabaseError as exc:
        return f"its schema cannot be read ({exc})"
    finally:
        conn.set_progress_handler(None, 0)
    if found and found != expected_schema(schema):
        return "its schema is not the cache's"
    return None


def _schema_of(conn: sqlite3.Connection) -> list[tuple[object, ...]]:
    query = "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY name"
    return conn.execute(query).fetchall()


def expected_schema(schema: str) -> list[tuple[object, ...]]:
    """The rows of `sqlite_schema` that `schema` creates, as SQLite stores them."""
    mem = sqlite3.connect(":memory:")
    try:
        mem.executescript(schema)
        return _schema_of(mem)
    finally:
        mem.close()


def set_aside(db: Path) -> str:
    """Rename `db` and each sidecar of it to a fresh name that SQLite pairs with
    nothing (`NAME.aside-XXXX`, `NAME.aside-XXXX.journal`); return the new name."""
    tag = f"{db.name}.aside-{secrets.token_hex(4)}"
    for suffix in ("", *SIDECARS):
        old = f"{db}{suffix}"
        if os.path.lexists(old):
            os.rename(old, db.parent / (tag + suffix.replace("-", ".")))
    return tag
