"""Finishing a sealed ledger's file: the WAL checkpointed away and out of WAL mode,
the file read-only, and the receipt beside it.

Sealing does this right after it appends `session_end`. Any step can fail (a
full disk, a read-only or vanished directory); the chain is then complete (the
`session_end` names no next key, so nothing can follow it) but the file is not.
`unfinished` names what is left undone, and `finish` completes it later (the
next `cleanroom review` or `demo` start does, before anything else).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .encoding import EncodingError, decode_body, entry_hash
from .schema import RECEIPT_SUFFIX
from .witness import Receipt, fsync_dir

JOURNAL_MAGIC = bytes.fromhex("d9d505f920a163d7")  # a rollback journal's header and trailer
WAL_MODE = b"\x02\x02"  # bytes 18-19 of a SQLite header: the file is in WAL mode


GONE_RECEIPT_SUFFIX = ".gone" + RECEIPT_SUFFIX  # the receipt of a ledger deleted or moved


@dataclass(frozen=True)
class Finished:
    """The outcome of finishing a sealed ledger's file."""

    receipt: Receipt  # the sealed head, known whatever failed
    receipt_path: Path | None  # where the receipt was written, or None
    failed: tuple[str, ...]  # each step that failed, with why (empty: all done)
    gone: str | None = None  # "deleted", "moved", ...: the path no longer names the file

    def describe(self, path: Path) -> str:
        if self.gone is not None:
            return (
                f"{path}: the ledger file was {self.gone} during the session: it cannot be "
                f"finished; its final witness code is {self.receipt.seq}:"
                f"{self.receipt.witness.code}"
            )
        return f"{path}: sealed, but finishing the file failed: " + "; ".join(self.failed)


FileId = tuple[int, int]  # (st_dev, st_ino) of an open ledger file


def file_id(path: Path) -> FileId | None:
    """The identity of the file `path` names now, or None if it names none."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def whereabouts(path: Path, ident: FileId | None) -> str | None:
    """None while `path` still names the open file `ident`; else what became of it:
    "deleted" (no name left: its link count is 0), "moved" (it has a name, not
    this one), "replaced" (this name is another file's) or "deleted or moved"
    (the process holds no descriptor of it to ask). Linux: the open descriptors
    are found through /proc/self/fd."""
    if ident is None:
        return None
    now = file_id(path)
    if now == ident:
        return None
    links = _open_links(ident)
    if links == 0:
        return "deleted"
    if now is not None:
        return "replaced by another file"
    return "deleted or moved" if links is None else "moved"


def _open_links(ident: FileId) -> int | None:
    """The link count of the file `ident`, through a descriptor this process holds
    on it (SQLite's), or None if none is found."""
    try:
        fds = os.listdir("/proc/self/fd")
    except OSError:
        return None
    for fd in fds:
        try:
            st = os.stat(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if (st.st_dev, st.st_ino) == ident:
            return st.st_nlink
    return None


def receipt_path(ledger: Path) -> Path:
    return ledger.with_name(ledger.name + RECEIPT_SUFFIX)


def gone_receipt_path(ledger: Path) -> Path:
    return ledger.with_name(ledger.name + GONE_RECEIPT_SUFFIX)


def unfinished(path: Path) -> list[str]:
    """What is left undone on the file of a *sealed* ledger (empty: finished).
    Looks only at the file system; the caller knows the last entry is `session_end`."""
    left = []
    if os.path.lexists(f"{path}-wal"):
        left.append("its -wal was not checkpointed away")
    try:
        with open(path, "rb") as f:
            header = f.read(20)
        if header[18:20] == WAL_MODE:
            left.append("it is still in WAL mode")
        if os.stat(path).st_mode & 0o222:
            left.append("it is still writable")
    except OSError as exc:
        left.append(f"it cannot be read ({exc.strerror})")
    if not receipt_path(path).is_file():
        left.append("it has no receipt beside it")
    return left


def finish_open(
    conn: sqlite3.Connection, path: Path, receipt: Receipt, ident: FileId | None = None
) -> Finished:
    """Finish the file of a ledger whose `conn` is still open, then close `conn`.
    Every step is tried even if an earlier one failed (the receipt above all).
    Never raises for I/O: the outcome names each step that failed.

    When `path` no longer names the open file `ident` (deleted, moved or replaced
    during the session), nothing can finish it where it was: the checkpoint is
    tried through `conn` (a moved file then holds its `session_end`), nothing
    touches `path` (it may be another file's name now), and the receipt is written
    as `<ledger>.gone.receipt.json`, never as the receipt of a ledger not there."""
    gone = whereabouts(path, ident)
    failed: list[str] = [] if gone is None else [f"the ledger file was {gone} during the session"]
    # Moved, the file is still written through `conn`: its `session_end` goes in too.
    checkpointed = _step(failed, "checkpoint", lambda: _checkpoint(conn))
    with contextlib.suppress(sqlite3.Error):
        conn.close()
    if gone is not None:  # `path` is no name of it now (or another file's): leave it be
        target = gone_receipt_path(path)
        written = _step(failed, "receipt", lambda: receipt.write(target))
        return Finished(receipt, target if written else None, tuple(failed), gone)
    if checkpointed:  # a file left in WAL mode must stay writable, to be finished later
        _step(failed, "chmod", lambda: os.chmod(path, 0o444))
    _step(failed, "fsync", lambda: fsync_dir(path.parent))
    target = receipt_path(path)
    written = _step(failed, "receipt", lambda: receipt.write(target))
    return Finished(receipt, target if written else None, tuple(failed))


def finish(path: Path) -> Finished:
    """Finish the file of a sealed ledger that sealing left unfinished (idempotent).
    Raises ValueError when `path` is not a readable, sealed ledger."""
    path = Path(path)
    if _foreign_journal(Path(f"{path}-journal")):
        # SQLite would replay it on open and delete whatever super-journal it names.
        raise ValueError(f"{path}: a -journal no seal leaves lies beside it; not touched")
    if os.path.islink(path) or not os.path.isfile(path):
        raise ValueError(f"{path}: not a regular file; not touched")
    try:
        if not os.access(path, os.W_OK) and os.path.lexists(f"{path}-wal"):
            os.chmod(path, 0o644)  # read-only with a WAL: SQLite must write to finish

        conn = sqlite3.connect(path, isolation_level=None)
        row = conn.execute("SELECT seq, body, sig FROM entries ORDER BY seq DESC LIMIT 1")
        last = row.fetchone()
    except (OSError, sqlite3.Error) as exc:
        raise ValueError(f"{path}: cannot read the ledger: {exc}") from exc
    try:
        seq, body, sig = last
        decoded = decode_body(body)
    except (TypeError, ValueError, EncodingError) as exc:
        conn.close()
        raise ValueError(f"{path}: unreadable last entry") from exc
    if decoded.kind != "session_end":
        conn.close()
        raise ValueError(f"{path}: not sealed (its last entry is {decoded.kind})")
    receipt = Receipt(decoded.ledger.hex(), seq, entry_hash(body, sig).hex())
    return finish_open(conn, path, receipt)


def _foreign_journal(journal: Path) -> bool:
    """Whether `journal` is one no seal leaves: not a regular file, or one that
    ends with a super-journal record (pager.c `writeSuperJournal`), whose named
    file SQLite deletes after rolling the journal back. A seal killed while
    leaving WAL mode may leave a hot journal of its own (page 1 as it was), but
    a single-database transaction never writes that record."""
    try:
        fd = os.open(journal, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return False
    except OSError:
        return True  # a link, or unreadable: not ours
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return True
        return st.st_size >= 8 and os.pread(fd, 8, st.st_size - 8) == JOURNAL_MAGIC
    finally:
        os.close(fd)


def _checkpoint(conn: sqlite3.Connection) -> None:
    busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    if busy:
        raise sqlite3.OperationalError("the WAL checkpoint did not complete")
    mode = conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0]
    if mode != "delete":
        raise sqlite3.OperationalError(f"cannot leave WAL mode (still {mode})")


def _step(failed: list[str], name: str, do: Callable[[], object]) -> bool:
    try:
        do()
    except (OSError, sqlite3.Error) as exc:
        failed.append(f"{name}: {exc}")
        return False
    return True
