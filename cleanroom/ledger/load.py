"""Read a ledger file that may be hostile, without changing the evidence.

Everything here is about getting rows out of SQLite safely; deciding whether
they can be trusted is `verify.py`'s job. The evidence is never opened for
writing: a file with no sidecars is opened `immutable`; a file with a `-wal` or
`-journal` is copied into a private directory first, so SQLite can apply it.

`load_path` reads a whole file into a `LedgerImage`. `open_path` only opens it
and hands back a `Source` from which any process may open its own connection and
read a range of rows, so that a large ledger can be read by the same workers
that check it. Every connection gets the same guards.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import stat
import tempfile
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .encoding import MAX_BODY
from .findings import Finding
from .schema import EXPECTED_SCHEMA
from .wal import wal_is_torn

SQLITE_MAGIC = b"SQLite format 3\x00"
SIDECARS = ("-wal", "-journal")
READ_SECONDS = 600  # a process that spends longer in SQLite than this on one file gives up
BATCH = 512  # rows fetched per call, so the read budget counts SQLite's time, not ours

Row = tuple[object, object, object]  # (seq, body, sig) exactly as SQLite returned them

# Oversized values are read as NULL: they are findings, not memory to fill.
ROWS_SQL = (
    "SELECT seq, iif(length(body) <= ?1, body, NULL), iif(length(sig) <= 64, sig, NULL)"
    " FROM entries WHERE seq BETWEEN ?2 AND ?3 ORDER BY seq"
)
ROW_BEFORE_SQL = (
    "SELECT seq, iif(length(body) <= ?1, body, NULL), iif(length(sig) <= 64, sig, NULL)"
    " FROM entries WHERE seq < ?2 ORDER BY seq DESC LIMIT 1"
)
FIRST_ROW_SQL = (
    "SELECT seq, iif(length(body) <= ?1, body, NULL), iif(length(sig) <= 64, sig, NULL)"
    " FROM entries ORDER BY seq LIMIT 1"
)
ALL_ROWS_SQL = (
    "SELECT seq, iif(length(body) <= ?1, body, NULL), iif(length(sig) <= 64, sig, NULL)"
    " FROM entries ORDER BY seq"
)
SEQ_MIN, SEQ_MAX = -(1 << 63), (1 << 63) - 1


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


class ReadBudget:
    """Seconds a process may spend inside SQLite on one file. Time between reads (our
    own checking) does not count; a hostile file that keeps SQLite busy is cut off."""

    def __init__(self, seconds: float = READ_SECONDS) -> None:
        self.left = seconds
        self._since: float | None = None

    @contextlib.contextmanager
    def spending(self) -> Iterator[None]:
        self._since = time.monotonic()
        try:
            yield
        finally:
            self.left -= time.monotonic() - self._since
            self._since = None

    def exhausted(self) -> int:  # an SQLite progress handler: non-zero interrupts
        return int(self._since is not None and time.monotonic() - self._since > self.left)


@dataclass(frozen=True)
class Source:
    """How to open one more read-only connection to a ledger file that `open_path`
    has opened: the file itself (`immutable`) or its private copy. Valid only inside
    the `open_path` block; plain data, so it can be handed to a worker process."""

    uri: str
    data: bytes | None = None  # a database held in memory instead (uri ":memory:")

    @contextlib.contextmanager
    def connect(self, budget: ReadBudget) -> Iterator[sqlite3.Connection]:
        """A guarded connection. Raises sqlite3.Error, and OverflowError, UnicodeError
        or ValueError on values SQLite cannot hand to Python: pass them to `failure`."""
        conn = sqlite3.connect(self.uri, uri=True)
        try:
            if self.data is not None:
                conn.deserialize(self.data)
            conn.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
            conn.set_progress_handler(budget.exhausted, 100_000)
            with budget.spending():
                conn.execute("PRAGMA cell_size_check = ON")
                conn.execute("PRAGMA query_only = ON")
            yield conn
        finally:
            conn.close()


READ_ERRORS = (sqlite3.DatabaseError, UnicodeError, ValueError, OverflowError)


def failure(exc: Exception) -> Finding:
    """The finding for an error raised while reading (one of READ_ERRORS)."""
    # SQLite's own message can quote damaged, non-UTF-8 bytes of the file.
    text = str(exc) if isinstance(exc, sqlite3.DatabaseError) else f"{type(exc).__name__}: {exc}"
    if "not a database" in text:
        return Finding(None, "NOT_SQLITE", text)
    if "interrupted" in text:
        return Finding(None, "CORRUPT", f"reading took over {READ_SECONDS} s; refusing the file")
    return Finding(None, "CORRUPT", text)


def load_path(path: Path) -> LedgerImage:
    """Load a ledger file. Raises OSError (missing, a directory, no permission) for
    problems on the reader's side; every property of the file's *contents* becomes
    a finding instead."""
    with open_path(path) as (image, source):
        if source is not None:
            _read(image, source)
        return image


@contextlib.contextmanager
def open_path(path: Path) -> Iterator[tuple[LedgerImage, Source | None]]:
    """Open a ledger file for reading, as `load_path` does, without reading rows:
    (the image with its file-level facts and problems, a Source to read from, or
    None when the file cannot be read as SQLite at all). A private copy made for
    sidecars is removed when the block ends. Raises OSError as `load_path` does."""
    image = LedgerImage(name=str(path))
    # Sidecars lie beside the real file, not beside a link to it.
    path = Path(os.path.realpath(path))
    st = os.stat(path)  # raises FileNotFoundError
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(str(path))
    if not stat.S_ISREG(st.st_mode):
        yield _fail(image, "NOT_SQLITE", "not a regular file"), None
        return
    with open(path, "rb") as f:  # an unreadable file is the operator's problem: OSError
        header = f.read(len(SQLITE_MAGIC))
    if not header:
        yield _fail(image, "NOT_SQLITE", "the file is empty"), None
        return
    if header != SQLITE_MAGIC:
        yield _fail(image, "NOT_SQLITE", "no SQLite header"), None
        return
    present = tuple(s for s in SIDECARS if os.path.lexists(f"{path}{s}"))
    image.sidecars = present
    if "-wal" in present:
        image.torn_wal = wal_is_torn(Path(f"{path}-wal"))
    if not present:
        yield image, Source(f"{_uri(path)}?mode=ro&immutable=1")
        return
    with tempfile.TemporaryDirectory(prefix="cleanroom-verify-") as tmp:
        copy = Path(tmp) / "ledger"
        try:
            shutil.copyfile(path, copy)
            for s in present:
                if os.path.isfile(f"{path}{s}"):
                    shutil.copyfile(f"{path}{s}", f"{copy}{s}")
        except OSError as exc:
            yield _fail(image, "NOT_SQLITE", f"cannot copy the file: {exc.strerror or exc}"), None
            return
        yield image, Source(_uri(copy))


def load_bytes(data: bytes, wal: bytes | None = None, name: str = "<bytes>") -> LedgerImage:
    """Load a ledger from memory: the pure path, used for fuzzing and bit-flip sweeps."""
    image = LedgerImage(name=name)
    if not data:
        return _fail(image, "NOT_SQLITE", "the file is empty")
    if data[: len(SQLITE_MAGIC)] != SQLITE_MAGIC:
        return _fail(image, "NOT_SQLITE", "no SQLite header")
    if wal is None:
        return _read(image, Source(":memory:", data))
    with tempfile.TemporaryDirectory(prefix="cleanroom-verify-") as tmp:
        copy = Path(tmp) / "ledger"
        copy.write_bytes(data)
        Path(f"{copy}-wal").write_bytes(wal)
        image.sidecars = ("-wal",)
        image.torn_wal = wal_is_torn(Path(f"{copy}-wal"))
        return _read(image, Source(_uri(copy)))


@dataclass(frozen=True)
class Span:
    """A ledger left in its file for workers to read: its first row (which sets the
    context for all others) and its lowest and highest seq."""

    source: Source
    first: Row
    low: int
    high: int


def read_into(image: LedgerImage, source: Source, defer_from: int | None = None) -> Span | None:
    """Read the file into `image`: header, every row, then `quick_check`; return None.

    With `defer_from`, a file that has exactly the ledger schema (so seq is the
    rowid, always an integer) and spans at least that many seqs is not read past
    its header and first row: a Span is returned instead, and the caller reads its
    rows (`read_range`) and checks the file (`check_file`) from the Source. Errors
    while reading become findings in `image.problems`, never exceptions."""
    budget = ReadBudget()
    try:
        with source.connect(budget) as conn:
            if _read_header(conn, image, budget):
                exact = [tuple(r) for r in image.schema] == EXPECTED_SCHEMA
                if defer_from is not None and exact:
                    span = _span(conn, budget, source)
                    if span is not None and span.high - span.low + 1 >= defer_from:
                        return span
                with budget.spending():
                    image.rows = conn.execute(ALL_ROWS_SQL, (MAX_BODY,)).fetchall()
            image.problems += _quick_check(conn, budget)
    except READ_ERRORS as exc:
        image.problems.append(failure(exc))
    return None


def _read(image: LedgerImage, source: Source) -> LedgerImage:
    read_into(image, source)
    return image


def _read_header(conn: sqlite3.Connection, image: LedgerImage, budget: ReadBudget) -> bool:
    """Fill in the schema and pragmas of `image`; True if `entries` has the columns
    to read rows from."""
    with budget.spending():
        image.schema = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid"
        ).fetchall()
        image.application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        image.user_version = conn.execute("PRAGMA user_version").fetchone()[0]
        columns = {r[1] for r in conn.execute("PRAGMA table_info(entries)")}
    return {"seq", "body", "sig"} <= columns


def _span(conn: sqlite3.Connection, budget: ReadBudget, source: Source) -> Span | None:
    with budget.spending():
        # Two subqueries: each is one b-tree seek; min() and max() together scan the table.
        low, high = conn.execute(
            "SELECT (SELECT min(seq) FROM entries), (SELECT max(seq) FROM entries)"
        ).fetchone()
        first = conn.execute(FIRST_ROW_SQL, (MAX_BODY,)).fetchone()
    if first is None or type(low) is not int or type(high) is not int:
        return None
    return Span(source, first, low, high)


def read_range(
    source: Source, budget: ReadBudget, low: int, high: int, problems: list[Finding]
) -> Iterator[Row | None]:
    """On a connection of its own: first the row just before seq `low` (None if
    there is none), then the rows with low <= seq <= high in seq order, fetched a
    batch at a time. An error ends the rows and is appended to `problems`."""
    try:
        with source.connect(budget) as conn:
            with budget.spending():
                before = conn.execute(ROW_BEFORE_SQL, (MAX_BODY, low)).fetchone()
                cursor = conn.execute(ROWS_SQL, (MAX_BODY, low, high))
            yield before
            while True:
                with budget.spending():
                    batch = cursor.fetchmany(BATCH)
                if not batch:
                    return
                yield from batch
    except READ_ERRORS as exc:
        problems.append(failure(exc))


def check_file(source: Source, budget: ReadBudget) -> list[Finding]:
    """`quick_check` on a connection of its own; a read error is a finding too."""
    try:
        with source.connect(budget) as conn:
            return _quick_check(conn, budget)
    except READ_ERRORS as exc:
        return [failure(exc)]


def _quick_check(conn: sqlite3.Connection, budget: ReadBudget) -> list[Finding]:
    """SQLite's own structural check of the whole file: [] or a CORRUPT finding."""
    with budget.spending():
        check = conn.execute("PRAGMA quick_check").fetchone()
    if check is None or check[0] != "ok":
        return [Finding(None, "CORRUPT", f"SQLite integrity check failed: {check and check[0]}")]
    return []


def _uri(path: Path) -> str:
    # Quote the raw name bytes: a file name need not be UTF-8.
    return f"file:{urllib.parse.quote(os.fsencode(path))}"


def _fail(image: LedgerImage, code: str, why: str) -> LedgerImage:
    image.problems.append(Finding(None, code, why))
    return image
