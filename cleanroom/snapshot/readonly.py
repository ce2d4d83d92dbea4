"""Open a snapshot file that may be hostile: read-only, never a traceback.

The file is opened `mode=ro&immutable=1` (no locks, no journal, nothing
written) and hardened as every evidence connection is (`ledger.guarded_sqlite`),
after checking that it is a regular file with an SQLite header. Every
problem with the *contents* surfaces as `SnapshotFileError` with a plain
message; only a missing path raises FileNotFoundError / IsADirectoryError.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import time
import urllib.parse
from pathlib import Path

from ..ledger.guarded_sqlite import PROGRESS_STEPS, harden

SQLITE_MAGIC = b"SQLite format 3\x00"
VERIFY_SECONDS = 6 * 3600  # verifying longer than this means a hostile file
# Parsing sqlite_schema when the file is opened: a snapshot's dozen objects take
# microseconds; a schema of hundreds of thousands of crafted entries takes minutes.
SCHEMA_SECONDS = 10
MMAP_BYTES = 1 << 31
SIDECARS = ("-journal", "-wal", "-shm")


class SnapshotFileError(Exception):
    """The file cannot be read as a snapshot. `code` is NOT_SQLITE or CORRUPT."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def check_header(path: Path) -> None:
    st = os.stat(path)  # FileNotFoundError is the caller's usage problem
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(str(path))
    if not stat.S_ISREG(st.st_mode):
        raise SnapshotFileError("NOT_SQLITE", "not a regular file")
    try:
        with open(path, "rb") as f:
            header = f.read(len(SQLITE_MAGIC))
    except OSError as exc:
        raise SnapshotFileError("NOT_SQLITE", f"cannot read: {exc.strerror or exc}") from exc
    check_magic(header)


def check_magic(header: bytes) -> None:
    if not header:
        raise SnapshotFileError("NOT_SQLITE", "the file is empty")
    if header[: len(SQLITE_MAGIC)] != SQLITE_MAGIC:
        raise SnapshotFileError("NOT_SQLITE", "not an SQLite database (no SQLite header)")


def connect(
    path: Path, mmap: bool = False, seconds: int | None = None, any_thread: bool = False
) -> sqlite3.Connection:
    """A read-only connection to the snapshot at `path`. With `seconds`, every
    statement after that long from now is interrupted (a budget for verifying).
    `any_thread`: usable from any thread, one at a time (search runs in workers)."""
    path = Path(path)
    check_header(path)
    uri = readonly_uri(path)
    same = not any_thread
    return _guard(lambda: sqlite3.connect(uri, uri=True, check_same_thread=same), mmap, seconds)


def readonly_uri(path: Path) -> str:
    """An SQLite URI that opens `path` read-only and immutable (any name bytes)."""
    return f"file:{urllib.parse.quote(os.fsencode(os.path.abspath(path)))}?mode=ro&immutable=1"


def connect_bytes(data: bytes, seconds: int | None = None) -> sqlite3.Connection:
    """A connection to a snapshot held in memory (fuzzing, byte-flip sweeps)."""
    check_magic(data[: len(SQLITE_MAGIC)])

    def open_() -> sqlite3.Connection:
        conn = sqlite3.connect(":memory:")
        conn.deserialize(data)
        return conn

    return _guard(open_, False, seconds)


def _guard(open_: object, mmap: bool, seconds: int | None) -> sqlite3.Connection:
    conn = None
    try:
        conn = open_()  # type: ignore[operator]
        progress = None
        if seconds is not None:
            deadline = time.monotonic() + seconds
            progress = lambda: int(time.monotonic() > deadline)  # noqa: E731
        harden(conn, progress)
        if mmap:
            conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        schema_deadline = time.monotonic() + SCHEMA_SECONDS
        conn.set_progress_handler(lambda: int(time.monotonic() > schema_deadline), PROGRESS_STEPS)
        conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()
        conn.set_progress_handler(progress, PROGRESS_STEPS)
    except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
        if conn is not None:
            conn.close()
        raise as_file_error(exc) from exc
    return conn


def as_file_error(exc: sqlite3.Error | UnicodeDecodeError) -> SnapshotFileError:
    # Python decodes SQLite's message as UTF-8, and raises UnicodeDecodeError
    # instead when the message quotes bytes of a damaged schema.
    text = (
        exc.object.decode("utf-8", "replace") if isinstance(exc, UnicodeDecodeError) else str(exc)
    )
    if "not a database" in text:
        return SnapshotFileError("NOT_SQLITE", text)
    if "interrupted" in text:
        return SnapshotFileError("CORRUPT", "reading took too long; refusing the file")
    return SnapshotFileError("CORRUPT", text)


def sidecars(path: Path) -> list[str]:
    return [s for s in SIDECARS if os.path.lexists(f"{path}{s}")]
