"""Read a ledger file that may be hostile, without changing anything on disk.

Everything here is about getting rows out of SQLite safely; deciding whether
they can be trusted is `verify.py`'s job (docs/adr/0004). The rules:

- Every connection is read-only and hardened (`guarded_sqlite.harden`). A file
  with no `-wal` is opened `immutable`; a file with a `-wal` is copied, with its
  `-wal` only, into a private directory and opened `mode=ro` there, so SQLite
  can read the log but never write, checkpoint or roll anything back. The two
  are copied as one consistent pair (`private_copy.py`): a session still running
  checkpoints and restarts its log while it is copied.
- A `-journal` is reported, never copied and never applied: a rollback journal
  can name a "super-journal" that SQLite would delete after a rollback.
- The schema is decided from `sqlite_schema` before a single row is read: rows
  are read only from an `entries` table whose definition is exactly the ledger
  schema's, so a view, a virtual table or a generated column is never run.
- Rows are streamed in seq order; a seq that does not increase ends the read
  (a damaged b-tree that loops), and so do rows whose bodies and signatures
  add up to more bytes than the file holds (cells that share overflow pages),
  so reading is bounded by the file's size.
- A private copy keeps the holes of a sparse file: a `-wal` of a terabyte that
  occupies a few KB on disk is not a terabyte written to the private directory.

`load_path` reads a whole file into a `LedgerImage`. `open_path` only opens it
and hands back a `Source` from which any process may open its own connection and
read a range of rows, so that a large ledger can be read by the same workers
that check it.
"""

from __future__ import annotations

import contextlib
import itertools
import operator
import os
import sqlite3
import stat
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from .encoding import MAX_BODY
from .findings import Finding
from .guarded_sqlite import harden
from .journal import describe_journal
from .private_copy import Seen, copy_pair, moved
from .private_dir import private_dir
from .regular_file import open_regular
from .schema import EXPECTED_SCHEMA
from .wal import wal_is_torn

SQLITE_MAGIC = b"SQLite format 3\x00"
SIDECARS = ("-wal", "-journal")
WAL_MODE_AT = 18  # the header's read and write versions: 2 and 2 in WAL mode
READ_SECONDS = 600  # a process that spends longer in SQLite than this on one file gives up
# Parsing sqlite_schema and reading two pragmas: microseconds for a ledger's one table;
# a schema of a million crafted entries takes SQLite minutes to parse.
HEADER_SECONDS = 10
BATCH = 512  # rows fetched per call, so the read budget counts SQLite's time, not ours
# Fewest rows a fetch may ask for, however few bytes are left: at 1 MiB a row at most,
# 32 MiB beyond the file's size. Fetching 3 at a time from a small file cost more
# per entry than reading it.
BATCH_FLOOR = 32
MAX_VALUE = MAX_BODY + 4096  # SQLite refuses any longer string or blob from the file
MAX_ROW = MAX_BODY + 64  # the most one row read can hold (longer values read as NULL)

Row = tuple[object, object, object]  # (seq, body, sig) exactly as SQLite returned them

# Oversized values are read as NULL: they are findings, not memory to fill. NOT
# INDEXED: the rows come from the table's own b-tree, whatever else the file holds.
# The last column is the stored size of body and sig (length() reads only the record
# header): it is charged against the file's size (`_checked_batches`) and never handed on.
_COLUMNS = (
    "seq, iif(length(body) <= ?1, body, NULL), iif(length(sig) <= 64, sig, NULL),"
    " ifnull(length(body), 0) + ifnull(length(sig), 0)"
)
_FROM = "FROM entries NOT INDEXED"
ROWS_SQL = f"SELECT {_COLUMNS} {_FROM} WHERE seq BETWEEN ?2 AND ?3 ORDER BY seq"  # noqa: S608
ROW_BEFORE_SQL = f"SELECT {_COLUMNS} {_FROM} WHERE seq < ?2 ORDER BY seq DESC LIMIT 1"  # noqa: S608
FIRST_ROW_SQL = f"SELECT {_COLUMNS} {_FROM} ORDER BY seq LIMIT 1"  # noqa: S608
LAST_ROW_SQL = f"SELECT {_COLUMNS} {_FROM} ORDER BY seq DESC LIMIT 1"  # noqa: S608 (ends.py)
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
    # The file says it is in WAL mode (header bytes 18-19), yet no -wal lies beside
    # it: a session's file copied without its -wal, or the -wal deleted.
    wal_missing: bool = False
    wal_mode: bool = False  # the header says WAL mode (a seal that never finished its file)
    rows_read: bool = False  # False when the schema forbade reading rows
    problems: list[Finding] = field(default_factory=list)  # file-level findings


class ReadBudget:
    """Seconds a process may spend inside SQLite on one file. Time between reads (our
    own checking) does not count; a hostile file that keeps SQLite busy is cut off."""

    def __init__(self, seconds: float = READ_SECONDS) -> None:
        self.left = seconds
        self._since: float | None = None
        self._cap = seconds

    @contextlib.contextmanager
    def spending(self, at_most: float | None = None) -> Iterator[None]:
        """Count the time inside the block; with `at_most`, the block itself gets
        no more than that many seconds."""
        self._since = time.monotonic()
        self._cap = self.left if at_most is None else min(self.left, at_most)
        try:
            yield
        finally:
            self.left -= time.monotonic() - self._since
            self._since = None

    def exhausted(self) -> int:  # an SQLite progress handler: non-zero interrupts
        return int(self._since is not None and time.monotonic() - self._since > self._cap)


@dataclass(frozen=True)
class Source:
    """How to open one more read-only connection to a ledger file that `open_path`
    has opened: the file itself (`immutable`) or its private copy (`mode=ro`).
    Valid only inside the `open_path` block; plain data, so it can be handed to a
    worker process."""

    uri: str
    size: int  # bytes of the file and its -wal: more than SQLite can truly hand back
    data: bytes | None = None  # a database held in memory instead (uri ":memory:")
    # A copy of a live pair: (file, -wal, the state it was copied in), for `moved`.
    live: tuple[Path, Path, Seen | None] | None = None

    def moved(self) -> bool:
        """True when this is a copy of a pair that has changed since it was copied."""
        return self.live is not None and moved(*self.live)

    def unsettled(self) -> bool:
        """True when this is a copy of a pair that never held still while copied."""
        return self.live is not None and self.live[2] is None

    @contextlib.contextmanager
    def connect(self, budget: ReadBudget) -> Iterator[sqlite3.Connection]:
        """A guarded connection. Raises sqlite3.Error, and OverflowError, UnicodeError
        or ValueError on values SQLite cannot hand to Python: pass them to `failure`."""
        conn = sqlite3.connect(self.uri, uri=True, isolation_level=None)
        try:
            harden(conn, budget.exhausted, MAX_VALUE)
            if self.data is not None:
                # An in-memory image: SQLite's memdb touches no file at all.
                conn.deserialize(self.data)
            conn.text_factory = lambda b: b.decode("utf-8", "surrogateescape")
            yield conn
        finally:
            conn.close()


READ_ERRORS = (sqlite3.DatabaseError, UnicodeError, ValueError, OverflowError, MemoryError)


class RowOrderError(sqlite3.DatabaseError):
    """The table's b-tree handed back a seq that does not follow the one before."""


def failure(exc: Exception) -> Finding:
    """The finding for an error raised while reading (one of READ_ERRORS)."""
    # SQLite's own message can quote damaged, non-UTF-8 bytes of the file; Python then
    # raises UnicodeDecodeError with the message's bytes instead of the error.
    if isinstance(exc, UnicodeDecodeError) and isinstance(exc.object, bytes):
        text = exc.object.decode("utf-8", "replace")
    elif isinstance(exc, sqlite3.DatabaseError):
        text = str(exc)
    else:
        text = f"{type(exc).__name__}: {exc}"
    if "not a database" in text:
        return Finding(None, "NOT_SQLITE", text)
    if "interrupted" in text:
        return Finding(None, "CORRUPT", "reading the file took too long; refusing it")
    if isinstance(exc, MemoryError) or "out of memory" in text:
        return Finding(None, "CORRUPT", "reading the file needs more memory than a ledger may")
    return Finding(None, "CORRUPT", text)


def load_path(path: Path) -> LedgerImage:
    """Load a ledger file. Raises OSError (missing, a directory, no permission) for
    problems on the reader's side; every property of the file's *contents* becomes
    a finding instead."""
    for attempt in range(LIVE_RETRIES + 1):
        with open_path(path) as (image, source):
            if source is None:
                return image
            _read(image, source)
            damaged = (
                image.torn_wal
                or any(f.code in LIVE_DAMAGE for f in image.problems)
                or [tuple(r) for r in image.schema] != EXPECTED_SCHEMA
            )
            if attempt == LIVE_RETRIES or not damaged or not source.moved():
                if damaged and source.unsettled():
                    image.problems = live_copy(image.problems)
                return image
    raise AssertionError("unreachable")  # pragma: no cover


def live_copy(findings: list[Finding]) -> list[Finding]:
    """Findings of a copy taken while the session never stopped writing (no copy
    held still, and every read was damaged): the damage is the copy's as likely
    as the file's, so it is reported as LIVE_COPY (incomplete: verify again once
    the session is sealed), with what was found, not as tampering."""
    damage = [f for f in findings if f.code in LIVE_DAMAGE]
    if not damage:
        return findings
    what = "; ".join(f"{f.code}: {f.message}"[:200] for f in damage[:3])
    why = f"the session kept writing through every copy; the last read found {what}"
    return [f for f in findings if f.code not in LIVE_DAMAGE] + [Finding(None, "LIVE_COPY", why)]


# A copy of a session still running that reads as damaged is taken again, up to
# LIVE_RETRIES times, while the live pair keeps moving (private_copy.moved): the
# copy may have caught the writer between two moments. Damage looks like this.
LIVE_RETRIES = 3
LIVE_DAMAGE = frozenset({"CORRUPT", "SCHEMA", "EMPTY", "NOT_SQLITE", "TORN_WRITE"})


@contextlib.contextmanager
def open_path(path: Path) -> Iterator[tuple[LedgerImage, Source | None]]:
    """Open a ledger file for reading, as `load_path` does, without reading rows:
    (the image with its file-level facts and problems, a Source to read from, or
    None when the file cannot be read as SQLite at all). A private copy made for
    a `-wal` is removed when the block ends. Raises OSError as `load_path` does."""
    image = LedgerImage(name=str(path))
    # Sidecars lie beside the real file, not beside a link to it.
    path = Path(os.path.realpath(path))
    st = os.stat(path)  # raises FileNotFoundError
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(str(path))
    if not stat.S_ISREG(st.st_mode):
        yield _fail(image, "NOT_SQLITE", "not a regular file"), None
        return
    start = _read_start(path, WAL_MODE_AT + 2)  # OSError: the operator's problem
    header = None if start is None else start[: len(SQLITE_MAGIC)]
    image.wal_mode = start is not None and start[WAL_MODE_AT:] == b"\x02\x02"
    if header is None:
        yield _fail(image, "NOT_SQLITE", "not a regular file"), None
        return
    if not header:
        yield _fail(image, "NOT_SQLITE", "the file is empty"), None
        return
    if header != SQLITE_MAGIC:
        yield _fail(image, "NOT_SQLITE", "no SQLite header"), None
        return
    for last_try in (False, True):
        image.sidecars = tuple(s for s in SIDECARS if os.path.lexists(f"{path}{s}"))
        image.problems = [f for f in image.problems if f.code != "SIDECAR"]
        if "-journal" in image.sidecars:
            image.problems.append(Finding(None, "SIDECAR", describe_journal(f"{path}-journal")))
        wal = f"{path}-wal"
        if "-wal" in image.sidecars and not _is_regular(wal):
            problem = Finding(None, "SIDECAR", "the -wal is not a regular file; not read")
            image.problems.append(problem)
        if not _is_regular(wal):
            image.wal_missing = not image.sidecars and start[WAL_MODE_AT:] == b"\x02\x02"
            yield image, Source(f"{_uri(path)}?mode=ro&immutable=1", os.stat(path).st_size)
            return
        with private_dir() as tmp:
            copy = Path(tmp) / "ledger"
            try:
                size, state = copy_pair(path, Path(wal), copy)
            except OSError as exc:
                if not last_try and not os.path.lexists(wal):
                    continue  # sealed meanwhile: the -wal is gone, read the file alone
                why = f"cannot copy the file: {exc.strerror or exc}"
                yield _fail(image, "NOT_SQLITE", why), None
                return
            image.torn_wal = wal_is_torn(Path(f"{copy}-wal"))
            yield image, Source(f"{_uri(copy)}?mode=ro", size, live=(path, Path(wal), state))
            return


def load_bytes(data: bytes, wal: bytes | None = None, name: str = "<bytes>") -> LedgerImage:
    """Load a ledger from memory: the pure path, used for fuzzing and bit-flip sweeps."""
    image = LedgerImage(name=name)
    if not data:
        return _fail(image, "NOT_SQLITE", "the file is empty")
    if data[: len(SQLITE_MAGIC)] != SQLITE_MAGIC:
        return _fail(image, "NOT_SQLITE", "no SQLite header")
    if wal is None:
        return _read(image, Source(":memory:", len(data), data))
    with private_dir() as tmp:
        copy = Path(tmp) / "ledger"
        copy.write_bytes(data)
        Path(f"{copy}-wal").write_bytes(wal)
        image.sidecars = ("-wal",)
        image.torn_wal = wal_is_torn(Path(f"{copy}-wal"))
        return _read(image, Source(f"{_uri(copy)}?mode=ro", len(data) + len(wal)))


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

    Rows are read only when `sqlite_schema` is exactly the ledger schema
    (`image.rows_read`). With `defer_from`, a file that spans at least that many
    seqs is not read past its header and first row: a Span is returned instead,
    and the caller reads its rows (`read_range`) and checks the file
    (`check_file`) from the Source. Errors while reading become findings in
    `image.problems`, never exceptions."""
    budget = ReadBudget()
    try:
        with source.connect(budget) as conn:
            if read_header(conn, image, budget):
                image.rows_read = True
                if defer_from is not None:
                    span = _span(conn, budget, source)
                    if span is not None and span.high - span.low + 1 >= defer_from:
                        return span
                with budget.spending():
                    cursor = conn.execute(ROWS_SQL, (MAX_BODY, SEQ_MIN, SEQ_MAX))
                try:  # rows read before a damaged b-tree loops are kept
                    image.rows.extend(
                        itertools.chain.from_iterable(_checked_batches(cursor, budget, source.size))
                    )
                except RowOrderError as exc:
                    image.problems.append(failure(exc))
            image.problems += _quick_check(conn, budget)
    except READ_ERRORS as exc:
        image.problems.append(failure(exc))
    return None


def _read(image: LedgerImage, source: Source) -> LedgerImage:
    read_into(image, source)
    return image


def read_header(conn: sqlite3.Connection, image: LedgerImage, budget: ReadBudget) -> bool:
    """Fill in the schema and pragmas of `image`; True if rows may be read: the
    schema is exactly the ledger schema, so `entries` is that table and no other
    object can take part in reading it."""
    with budget.spending(HEADER_SECONDS):
        image.schema = conn.execute(
            "SELECT type, name, tbl_name, sql FROM sqlite_schema ORDER BY rowid"
        ).fetchall()
        image.application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        image.user_version = conn.execute("PRAGMA user_version").fetchone()[0]
    return [tuple(r) for r in image.schema] == EXPECTED_SCHEMA


def _span(conn: sqlite3.Connection, budget: ReadBudget, source: Source) -> Span | None:
    with budget.spending():
        # Two subqueries: each is one b-tree seek; min() and max() together scan the table.
        low, high = conn.execute(
            "SELECT (SELECT min(seq) FROM entries), (SELECT max(seq) FROM entries)"
        ).fetchone()
        first = conn.execute(FIRST_ROW_SQL, (MAX_BODY,)).fetchone()
    if first is None or type(low) is not int or type(high) is not int:
        return None
    return Span(source, first[:3], low, high)


def _checked_batches(
    cursor: sqlite3.Cursor, budget: ReadBudget, size: int, after: object = None
) -> Iterator[list[Row]]:
    """The rows of `cursor`, fetched and handed on a batch at a time, each row
    checked before it is handed on:

    - seq strictly increases (after `after`): a b-tree whose pages point back into
      themselves would otherwise hand back the same rows forever;
    - the rows hold no more than `size` bytes: a file cannot store more than its
      own size, so its cells share overflow pages (each row would cost another
      pass over them). A batch holds no more rows than could fit in the bytes
      left, or BATCH_FLOOR, so memory stays within the file's size plus 32 MiB.

    Raises RowOrderError at the first row that breaks either, after the rows before
    it. The checks run over whole batches in C, and the rows are read without a
    Python frame per row (`read_range`): this runs once per entry verified."""
    left = size
    last = after if type(after) is int else SEQ_MIN - 1
    while True:
        with budget.spending():
            batch = cursor.fetchmany(max(BATCH_FLOOR, min(BATCH, left // MAX_ROW)))
        if not batch:
            return
        seqs = [row[0] for row in batch]
        spent = sum([row[3] for row in batch])  # ifnull(): always an integer
        if spent <= left and _increasing(seqs, last):
            left, last = left - spent, seqs[-1]
            yield [row[:3] for row in batch]
            continue
        good, left, last, error = _row_by_row(batch, left, last, size)
        if good:
            yield good
        if error is not None:
            raise RowOrderError(error)


def _increasing(seqs: list[object], after: int) -> bool:
    try:
        return seqs[0] > after and all(map(operator.lt, seqs, seqs[1:]))  # type: ignore[operator]
    except TypeError:  # a seq that is not a number: `_row_by_row` decides
        return False


def _row_by_row(
    batch: list[tuple[object, ...]], left: int, last: int, size: int
) -> tuple[list[Row], int, int, str | None]:
    """`_checked_batches`'s rules one row at a time: the rows before the first that
    breaks one, the bytes left, the last seq, and what broke (None: nothing)."""
    good: list[Row] = []
    for seq, body, sig, length in batch:
        left -= length  # type: ignore[operator]
        if left < 0:
            return (
                good,
                left,
                last,
                (
                    f"the entries hold more than the file's {size} bytes: "
                    "its pages are shared, it is damaged"
                ),
            )
        if type(seq) is int:
            if seq <= last:
                return (
                    good,
                    left,
                    last,
                    (f"the entries b-tree returns seq {seq} after {last}: it is damaged"),
                )
            last = seq
        good.append((seq, body, sig))
    return good, left, last, None


def read_range(
    source: Source, budget: ReadBudget, low: int, high: int, problems: list[Finding]
) -> Iterator[Row | None]:
    """On a connection of its own: first the row just before seq `low` (None if
    there is none), then the rows with low <= seq <= high in seq order, fetched a
    batch at a time. An error ends the rows and is appended to `problems`. Only
    for a file whose schema `read_into` accepted."""
    return itertools.chain.from_iterable(_range_batches(source, budget, low, high, problems))


def _range_batches(
    source: Source, budget: ReadBudget, low: int, high: int, problems: list[Finding]
) -> Iterator[list[Row | None]]:
    try:
        with source.connect(budget) as conn:
            with budget.spending():
                before = conn.execute(ROW_BEFORE_SQL, (MAX_BODY, low)).fetchone()
                cursor = conn.execute(ROWS_SQL, (MAX_BODY, low, high))
            yield [None if before is None else before[:3]]
            yield from _checked_batches(cursor, budget, source.size, low - 1)
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
        check = conn.execute("PRAGMA quick_check(10)").fetchone()
    if check is None or check[0] != "ok":
        return [Finding(None, "CORRUPT", f"SQLite integrity check failed: {check and check[0]}")]
    return []


def _uri(path: Path) -> str:
    # Quote the raw name bytes: a file name need not be UTF-8.
    return f"file:{urllib.parse.quote(os.fsencode(path))}"


def _fail(image: LedgerImage, code: str, why: str) -> LedgerImage:
    image.problems.append(Finding(None, code, why))
    return image


def _is_regular(path: str) -> bool:
    try:
        return stat.S_ISREG(os.lstat(path).st_mode)
    except OSError:
        return False


def _read_start(path: Path, n: int) -> bytes | None:
    opened = open_regular(path)
    if opened is None:
        return None
    with os.fdopen(opened[0], "rb") as f:
        return f.read(n)
