"""Read a ledger file that may be hostile, without changing the evidence.

Everything here is about getting rows out of SQLite safely; deciding whether
they can be trusted is `verify.py`'s job. The evidence is never opened for
writing: a file with no sidecars is opened `immutable`; a file with a `-wal` or
`-journal` is copied into a private directory first, so SQLite can apply it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import struct
import tempfile
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from .encoding import MAX_BODY
from .findings import Finding

SQLITE_MAGIC = b"SQLite format 3\x00"
SIDECARS = ("-wal", "-journal")
READ_SECONDS = 600  # a read that runs longer than this is treated as a hostile file

Row = tuple[object, object, object]  # (seq, body, sig) exactly as SQLite returned them


@dataclass
class LedgerImage:
    """The raw contents of one ledger file, before any trust decision."""

    name: str
    schema: list[tuple[object, ...]] = field(default_factory=list)
    application_id: int = 0
    user_version: int = 0
    rows: list[Row] = field(default_factory=list)
    sidecars: tuple[str, ...] = ()
    torn_wal: bool = False
    problems: list[Finding] = field(default_factory=list)  # file-level findings


def load_path(path: Path) -> LedgerImage:
    """Load a ledger file. Raises OSError (missing, a directory, no permission) for
    problems on the reader's side; every property of the file's *contents* becomes
    a finding instead."""
    image = LedgerImage(name=str(path))
    # Sidecars lie beside the real file, not beside a link to it.
    path = Path(os.path.realpath(path))
    st = os.stat(path)  # raises FileNotFoundError
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(str(path))
    if not stat.S_ISREG(st.st_mode):
        return _fail(image, "NOT_SQLITE", "not a regular file")
    with open(path, "rb") as f:  # an unreadable file is the operator's problem: OSError
        header = f.read(len(SQLITE_MAGIC))
    if not header:
        return _fail(image, "NOT_SQLITE", "the file is empty")
    if header != SQLITE_MAGIC:
        return _fail(image, "NOT_SQLITE", "no SQLite header")
    present = tuple(s for s in SIDECARS if os.path.lexists(f"{path}{s}"))
    image.sidecars = present
    if "-wal" in present:
        image.torn_wal = _wal_is_torn(Path(f"{path}-wal"))
    if not present:
        # Quote the raw name bytes: a file name need not be UTF-8.
        uri = f"file:{urllib.parse.quote(os.fsencode(path))}?mode=ro&immutable=1"
        return _read(image, lambda: sqlite3.connect(uri, uri=True))
    with tempfile.TemporaryDirectory(prefix="cleanroom-verify-") as tmp:
        copy = Path(tmp) / "ledger"
        try:
            shutil.copyfile(path, copy)
            for s in present:
                if os.path.isfile(f"{path}{s}"):
                    shutil.copyfile(f"{path}{s}", f"{copy}{s}")
        except OSError as exc:
            return _fail(image, "NOT_SQLITE", f"cannot copy the file: {exc.strerror or exc}")
        return _read(image, lambda: sqlite3.connect(copy))


def load_bytes(data: bytes, wal: bytes | None = None, name: str = "<bytes>") -> LedgerImage:
    """Load a ledger from memory: the pure path, used for fuzzing and bit-flip sweeps."""
    image = LedgerImage(name=name)
    if not data:
        return _fail(image, "NOT_SQLITE", "the file is empty")
    if data[: len(SQLITE_MAGIC)] != SQLITE_MAGIC:
        return _fail(image, "NOT_SQLITE", "no SQLite header")
    if wal is None:

        def connect() -> sqlite3.Connection:
            conn = sqlite3.connect(":memory:")
            conn.deserialize(data)
            return conn

        return _read(image, connect)
    with tempfile.TemporaryDirectory(prefix="cleanroom-verify-") as tmp:
        copy = Path(tmp) / "ledger"
        copy.write_bytes(data)
        Path(f"{copy}-wal").write_bytes(wal)
        image.sidecars = ("-wal",)
        image.torn_wal = _wal_is_torn(Path(f"{copy}-wal"))
        return _read(image, lambda: sqlite3.connect(copy))


def _read(image: LedgerImage, connect: object) -> LedgerImage:
    deadline = time.monotonic() + READ_SECONDS
    conn = None
    try:
        conn = connect()  # type: ignore[operator]
        conn.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 100_000)
        conn.execute("PRAGMA cell_size_check = ON")
        conn.execute("PRAGMA query_only = ON")
        image.schema = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid"
        ).fetchall()
        image.application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        image.user_version = conn.execute("PRAGMA user_version").fetchone()[0]
        columns = {r[1] for r in conn.execute("PRAGMA table_info(entries)")}
        if {"seq", "body", "sig"} <= columns:
            # Oversized values are replaced by NULL: they are findings, not memory to fill.
            image.rows = conn.execute(
                "SELECT seq, iif(length(body) <= ?, body, NULL), iif(length(sig) <= 64, sig, NULL)"
                " FROM entries ORDER BY seq",
                (MAX_BODY,),
            ).fetchall()
        check = conn.execute("PRAGMA quick_check").fetchone()
        if check is None or check[0] != "ok":
            image.problems.append(
                Finding(None, "CORRUPT", f"SQLite integrity check failed: {check and check[0]}")
            )
    except (sqlite3.DatabaseError, UnicodeError, ValueError, OverflowError) as exc:
        # SQLite's own message can quote damaged, non-UTF-8 bytes of the file.
        text = (
            str(exc) if isinstance(exc, sqlite3.DatabaseError) else f"{type(exc).__name__}: {exc}"
        )
        if "not a database" in text:
            _fail(image, "NOT_SQLITE", text)
        elif "interrupted" in text:
            _fail(image, "CORRUPT", f"reading took over {READ_SECONDS} s; refusing the file")
        else:
            _fail(image, "CORRUPT", text)
    finally:
        if conn is not None:
            conn.close()
    return image


def _fail(image: LedgerImage, code: str, why: str) -> LedgerImage:
    image.problems.append(Finding(None, code, why))
    return image


def _wal_is_torn(wal: Path) -> bool:
    """True when the WAL's length is not its header plus whole frames."""
    try:
        size = wal.stat().st_size
        if size == 0:
            return False
        with open(wal, "rb") as f:
            header = f.read(32)
    except OSError:
        return False
    if len(header) < 32:
        return True
    page_size = struct.unpack(">I", header[8:12])[0]
    if page_size == 1:
        page_size = 65536
    frame = 24 + page_size
    return page_size < 512 or (size - 32) % frame != 0
