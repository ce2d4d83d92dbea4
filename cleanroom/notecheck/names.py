"""Every name in a snapshot's text, counted once: the table the check reads names from.

A *name* here is a maximal run of `[A-Za-z0-9_]` at least `MIN_NAME` characters
long; those that start with a letter or `_` are exactly the whole identifiers
`rare.py` counts (the others, `0x1f_ab`, are counted for `verbatim.py`). For
each, the table holds how many text blobs hold it, how many times it occurs
counting every path (a blob at two paths counts twice) and, when at most
`corpus.COMMON_BLOBS` blobs hold it, their rowids; and every name reversed
(`tails`), so that the names ending with a run are a range, as those beginning
with it are in `names`.

The check asks it three things (docs/adr/0402-notecheck-name-table.md, 0404):

- `rare.py`: is a name of a note in the snapshot once or twice, and where;
- `verbatim.py`: which blobs can hold a window of a note: a name wholly inside
  the window occurs whole in any text that holds the window, so the blobs
  holding all of its names are the window's only candidates;
- `verbatim.py`, at a window's ends: a run touching the window's start is the
  end of a name of any text holding the window, and one touching its end the
  beginning of one, so the blobs of the names ending (beginning) with it are
  candidates too (`around`).

Building it reads every text blob once (minutes on a Linux tree), so it is kept
in the user's private cache directory (the forensics cache's, ADR 0300), keyed by
the snapshot's signed root and the table's format, beside an HMAC-SHA256 under
that directory's key. On reopen the file is hostile until proven otherwise: a
missing or wrong MAC, a foreign schema, another root or a malformed row and the
table is rebuilt, never believed.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import sqlite3
import sys
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..forensics.cache import CacheUnusable, _check_private, directory_key
from ..ledger.regular_file import hash_data, open_regular
from ..snapshot.readonly import SnapshotFileError, connect
from .normal import VERSION as NORMAL_VERSION
from .normal import plain, spliced, strip
from .pairs import PairFilter

MIN_NAME = 4  # rare names are at least this long; shorter ones anchor nothing
COMMON_BLOBS = 1000  # more blobs than this: no rowids kept (as corpus.COMMON_BLOBS)
# v3: with the word pair and triple filter (ADR 0403); v4: every run of 4 (digits
# first too) and the reversed names (ADR 0404): a v3 file lacks names v4 relies on;
# v5: the filter holds tail and head pairs (ADR 0406): probing a v4 filter for them
# would rule out windows that occur; v6: tail and head triples too (ADR 0407), the
# same reason against v5; v7: names of the normalised text, which drops invisible
# characters (ADR 0410), and the blobs where that joins words (`spliced`); keyed on
# normal.VERSION too, so a table made under other normalisation rules is never read
FORMAT = b"cleanroom:notecheck-names:v7:normal%d" % NORMAL_VERSION
MAC_DOMAIN = b"cleanroom:notecheck-names-mac:v1\x00"
_NAME = re.compile(rb"\b\w{%d,}" % MIN_NAME)  # bytes: \w is ASCII; \b: maximal runs only
MAX_AROUND = 64  # names ending (beginning) with a window's end run read; more: no answer
_PREFETCH = 500  # names looked up in one statement (SQLite allows 32,766 parameters)
_AROUND_KEPT = 1 << 16  # end-run answers remembered for the run (a note repeats its names)
_AFTER = b"\x80"  # above every byte of a name: r <= name < r + _AFTER holds those beginning with r
_ROWIDS = "<I" if sys.byteorder == "little" else ">I"
DDL = (
    "CREATE TABLE facts (id INTEGER PRIMARY KEY CHECK (id = 1), format BLOB NOT NULL,"
    " root BLOB NOT NULL) STRICT",
    "CREATE TABLE names (name BLOB PRIMARY KEY, blobs INTEGER NOT NULL,"
    " weight INTEGER NOT NULL, rowids BLOB) STRICT, WITHOUT ROWID",
    "CREATE TABLE pairs (id INTEGER PRIMARY KEY CHECK (id = 1), bits BLOB NOT NULL) STRICT",
    "CREATE TABLE tails (rname BLOB PRIMARY KEY) STRICT, WITHOUT ROWID",
    "CREATE TABLE spliced (blob INTEGER PRIMARY KEY) STRICT",
)
COUNTED = ("names", "tails", "spliced")  # the tables `count_names` fills


@dataclass(frozen=True)
class NameFacts:
    blobs: int  # text blobs holding the name
    weight: int  # occurrences, each counted once per path of its blob
    rowids: tuple[int, ...] | None  # ascending; None when more than COMMON_BLOBS


class NameTableError(Exception):
    """A cached table that passed its MAC holds a row it cannot: a bug, not an attack."""


class NameTable:
    """name → NameFacts, from a table on disk: a verified cache file, or a private
    temporary database counted now (`count_here`)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self._conn = conn
        self._seen: dict[bytes, NameFacts | None] = {}
        self._around: dict[tuple[str, bool], frozenset[int] | None] = {}
        self._spliced: frozenset[int] | None = None

    def spliced(self) -> frozenset[int]:
        """The blobs whose normalised text joins characters their raw text keeps
        apart (`normal.spliced`): the index and raw-byte tests may miss a window in
        them, so they are candidates of every window the index is asked about."""
        if self._spliced is None:
            try:
                rows = self._conn.execute("SELECT blob FROM spliced").fetchall()
            except sqlite3.Error as exc:
                raise NameTableError(f"the cached name table cannot be read: {exc}") from exc
            if not all(type(r[0]) is int for r in rows):
                raise NameTableError("the cached name table has a malformed spliced row")
            self._spliced = frozenset(r[0] for r in rows)
        return self._spliced

    def close(self) -> None:
        self._conn.close()

    def facts(self, name: str) -> NameFacts | None:
        """What the snapshot holds of `name` (ASCII), or None if no text blob does."""
        key = name.encode("ascii", "replace")
        if key in self._seen:
            return self._seen[key]
        found = self._from_file(key)
        self._seen[key] = found
        return found

    def around(self, run: str, at_start: bool) -> set[int] | None:
        """The blobs holding a name that ends with `run` (`at_start`: the run touches a
        window's start, so the source may hold more of it before) or begins with it
        (it touches the window's end): a superset of the blobs that can hold the
        window. None when that says nothing: a name among them is common, more than
        `MAX_AROUND` names or `COMMON_BLOBS` blobs."""
        if (run, at_start) in self._around:
            found = self._around[run, at_start]
            return None if found is None else set(found)
        found = self._around_now(run, at_start)
        if len(self._around) < _AROUND_KEPT:
            self._around[run, at_start] = None if found is None else frozenset(found)
        return found

    def _around_now(self, run: str, at_start: bool) -> set[int] | None:
        key = run.encode("ascii", "replace")
        if at_start:
            key = key[::-1]
        names = self._around_file(key, at_start)
        if len(names) > MAX_AROUND:
            return None
        found: set[int] = set()
        for name in names:
            facts = self.facts(name.decode("ascii"))
            if facts is None:
                raise NameTableError(f"the cached name table lists {name!r} without its row")
            if facts.rowids is None:
                return None
            found.update(facts.rowids)
            if len(found) > COMMON_BLOBS:
                return None
        return found

    def _around_file(self, key: bytes, reversed_: bool) -> list[bytes]:
        sql = (
            "SELECT rname FROM tails WHERE rname >= ? AND rname < ? LIMIT ?"
            if reversed_
            else "SELECT name FROM names WHERE name >= ? AND name < ? LIMIT ?"
        )
        try:
            rows = self._conn.execute(sql, (key, key + _AFTER, MAX_AROUND + 1)).fetchall()
        except sqlite3.Error as exc:
            raise NameTableError(f"the cached name table cannot be read: {exc}") from exc
        if not all(isinstance(r[0], bytes) and r[0].isascii() for r in rows):
            raise NameTableError("the cached name table has a malformed name")
        return [r[0][::-1] if reversed_ else r[0] for r in rows]

    def prefetch(self, names: Iterable[str]) -> None:
        """Look up all of `names` now, a few hundred to a statement (`facts` then
        answers from memory): one statement per name was most of what a note's rare
        names cost (issue 16)."""
        # membership in the dict itself: a set minus its keys view walks all of them
        keys = [k for k in {n.encode("ascii", "replace") for n in names} if k not in self._seen]
        for at in range(0, len(keys), _PREFETCH):
            chunk = keys[at : at + _PREFETCH]
            marks = ",".join("?" * len(chunk))  # only marks: the names are parameters
            sql = f"SELECT name, blobs, weight, rowids FROM names WHERE name IN ({marks})"  # noqa: S608
            try:
                rows = self._conn.execute(sql, chunk).fetchall()
            except sqlite3.Error as exc:
                raise NameTableError(f"the cached name table cannot be read: {exc}") from exc
            asked = dict.fromkeys(chunk)
            for name, *row in rows:
                if not isinstance(name, bytes) or name not in asked or asked[name] is not None:
                    raise NameTableError("the cached name table answered a name not asked")
                asked[name] = _row_facts(name, row)
            self._seen.update(asked)  # the names it lacks: None, as `facts` says of them

    def _from_file(self, key: bytes) -> NameFacts | None:
        try:
            row = self._conn.execute(
                "SELECT blobs, weight, rowids FROM names WHERE name = ?", (key,)
            ).fetchone()
        except sqlite3.Error as exc:
            raise NameTableError(f"the cached name table cannot be read: {exc}") from exc
        return None if row is None else _row_facts(key, row)


def _row_facts(key: bytes, row: Sequence[object]) -> NameFacts:
    """A row of the cached table as facts, or NameTableError if it cannot be one."""
    blobs, weight, packed = row
    ok = isinstance(blobs, int) and isinstance(weight, int) and 1 <= blobs <= weight
    if ok and packed is None:
        ok = isinstance(blobs, int) and blobs > COMMON_BLOBS
    elif ok:
        ok = isinstance(packed, bytes) and len(packed) == 4 * blobs <= 4 * COMMON_BLOBS
    if not ok:
        raise NameTableError(f"the cached name table has a malformed row for {key!r}")
    assert isinstance(blobs, int) and isinstance(weight, int)
    if packed is None:
        return NameFacts(blobs, weight, None)
    assert isinstance(packed, bytes)
    rowids = array("I")
    rowids.frombytes(packed)
    if _ROWIDS[0] == ">":
        rowids.byteswap()
    return NameFacts(blobs, weight, tuple(rowids))


class Counted:
    """Names counted in memory, compactly: a dict from name to a number, and arrays by
    number (a list and an array per name held most of the 4.3 GB the Linux count
    peaked at). `rowids` holds each name's rowids while at most COMMON_BLOBS blobs
    hold it: the first in `first`, the rest in `more` (names of one blob, most of
    them, need no array). `count_names` holds at most `FLUSH_NAMES` names here at a
    time, then adds them to the table on disk."""

    def __init__(self) -> None:
        self.ids: dict[bytes, int] = {}
        self.blobs = array("I")
        self.weight = array("Q")
        self.first = array("I")
        self.more: dict[int, array] = {}

    def add(self, name: bytes, rowid: int, weight: int) -> None:
        i = self.ids.get(name)
        if i is None:
            self.ids[name] = len(self.blobs)
            self.blobs.append(1)
            self.weight.append(weight)
            self.first.append(rowid)
            return
        n = self.blobs[i] + 1
        self.blobs[i] = n
        self.weight[i] += weight
        if n <= COMMON_BLOBS:
            more = self.more.get(i)
            if more is None:
                self.more[i] = array("I", (rowid,))
            else:
                more.append(rowid)
        elif n == COMMON_BLOBS + 1:
            del self.more[i]

    def rows(self) -> Iterator[tuple[bytes, int, int, bytes | None]]:
        """Every name in ascending order: name, blobs, weight and packed rowids (None
        when more than COMMON_BLOBS blobs hold it), as the table stores them."""
        for name in sorted(self.ids):
            i = self.ids[name]
            blobs = self.blobs[i]
            if blobs > COMMON_BLOBS:
                yield name, blobs, self.weight[i], None
                continue
            packed = array("I", (self.first[i],))
            packed.extend(self.more.get(i, ()))
            if _ROWIDS[0] == ">":
                packed.byteswap()
            yield name, blobs, self.weight[i], packed.tobytes()


FLUSH_NAMES = 1 << 19  # names counted in memory before they join the table on disk
_CACHE_KIB = 64 << 10  # SQLite's page cache while counting (KiB)


def _add_sql(common: int) -> str:
    """Add a part's row to the table: a name already there has its counts added up,
    and its rowids follow the earlier ones (blobs are counted in rowid order) until
    more than `common` blobs hold it; || makes text of blobs, so its result is cast
    back (the column is STRICT BLOB)."""
    return " ".join(
        (
            "INSERT INTO names VALUES (?, ?, ?, ?) ON CONFLICT (name) DO UPDATE SET",
            "blobs = blobs + excluded.blobs, weight = weight + excluded.weight,",
            "rowids = CASE WHEN blobs + excluded.blobs > " + str(int(common)) + " THEN NULL",
            "ELSE CAST(rowids || excluded.rowids AS BLOB) END",
        )
    )


def count_names(
    conn: sqlite3.Connection,
    paths_of: Callable[[int], int],
    into: sqlite3.Connection,
    tick: Callable[[], None] | None = None,
) -> None:
    """One pass over every text blob of the snapshot open on `conn`, counting every
    name of its normalised text (invisible characters dropped, `normal.strip`; ADR
    0410) into the empty `names` and `tails` tables of `into`, and the blobs that
    drop one inside a word into `spliced`. At most `FLUSH_NAMES`
    names are held in memory: Linux's 5.4 million names in one dict held 1.44 GB
    (ADR 0408); SQLite adds each part to the table on disk, in name order."""
    into.execute(f"PRAGMA cache_size = -{_CACHE_KIB}")
    sql = _add_sql(COMMON_BLOBS)
    part = Counted()
    rows = conn.execute("SELECT rowid, content FROM blobs WHERE binary = 0 ORDER BY rowid")
    for n, (rowid, content) in enumerate(rows, 1):
        paths = paths_of(rowid)
        if paths:
            if not plain(content):
                text = content.decode("utf-8", "surrogateescape")
                if spliced(text):
                    into.execute("INSERT INTO spliced VALUES (?)", (rowid,))
                content = strip(text).encode("utf-8", "surrogateescape")
            add = part.add
            for name, times in Counter(_NAME.findall(content)).items():
                add(name, rowid, times * paths)
            if len(part.ids) >= FLUSH_NAMES:
                into.executemany(sql, part.rows())
                part = Counted()
        if tick is not None and n % 1000 == 0:
            tick()
    into.executemany(sql, part.rows())
    del part
    # SQLite sorts the reversed names on disk: a sorted list of millions of
    # reversed names here would hold as much again as the table itself
    into.create_function("reversed", 1, lambda b: b[::-1], deterministic=True)
    into.execute("INSERT INTO tails SELECT reversed(name) FROM names ORDER BY 1")


def count_here(fill: Callable[[sqlite3.Connection], None]) -> NameTable:
    """A table counted into a private temporary database (`--no-cache`): on disk
    while it is used, so its memory stays bounded, and deleted by SQLite when it is
    closed (nothing is kept)."""
    conn = sqlite3.connect("", isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("BEGIN")
        for ddl in DDL:
            if any(f" {table} " in ddl for table in COUNTED):
                conn.execute(ddl)
        fill(conn)
        conn.execute("COMMIT")
    except BaseException:
        conn.close()
        raise
    return NameTable(conn)


def cache_path(directory: Path, root: bytes) -> Path:
    return directory / f"notecheck-names-{root.hex()}.sqlite"


def _mac(key: bytes, root: bytes, path: Path) -> bytes:
    """The table file's MAC, over its data extents (holes skipped, so a sparse
    terabyte costs what is on disk); raises OSError if it is not a regular file
    (a FIFO is never waited on, a link never followed)."""
    mac = hmac.new(key, MAC_DOMAIN + FORMAT + b"\x00" + root, hashlib.sha256)
    fd, st = _regular(path)
    try:
        mac.update(st.st_size.to_bytes(8, "big"))  # the extents say nothing of a last hole
        hash_data(mac, fd, st.st_size)
    finally:
        os.close(fd)
    return mac.digest()


def _regular(path: Path) -> tuple[int, os.stat_result]:
    opened = open_regular(path)
    if opened is None:
        raise OSError(f"{path}: not a regular file")
    return opened


def _read_mac(path: Path) -> bytes:
    """At most one byte more than a MAC: a huge or sparse file is never read whole."""
    fd, _ = _regular(path)
    try:
        return os.read(fd, hashlib.sha256().digest_size + 1)
    finally:
        os.close(fd)


def open_cached(directory: Path, root: bytes) -> tuple[NameTable, PairFilter] | None:
    """The cached table and word-pair filter for `root`, or None when there is none
    or it is not one this program wrote for this snapshot (then the caller rebuilds)."""
    path = cache_path(directory, root)
    mac_path = path.with_suffix(".mac")
    try:
        _check_private(directory, 0o022)
        key = directory_key(directory)  # never a key the directory holds (ADR 0308)
        for p in (path, mac_path):
            _check_private(p, 0o022)
        if not hmac.compare_digest(_mac(key, root, path), _read_mac(mac_path)):
            return None
        conn = connect(path)
    except (OSError, CacheUnusable, SnapshotFileError, sqlite3.Error, MemoryError):
        return None
    try:
        schema = conn.execute(
            "SELECT sql FROM sqlite_schema WHERE type = 'table' ORDER BY name"
        ).fetchall()
        if sorted(r[0] for r in schema) != sorted(DDL):
            raise ValueError("not this program's table")
        if conn.execute("SELECT format, root FROM facts").fetchall() != [(FORMAT, root)]:
            raise ValueError("not this program's table for this snapshot")
        bits = conn.execute("SELECT bits FROM pairs").fetchall()
        if len(bits) != 1 or not isinstance(bits[0][0], bytes):
            raise ValueError("no word-pair filter")
        pairs = PairFilter(bits[0][0])  # its size is checked there
    except (sqlite3.Error, ValueError, MemoryError):
        conn.close()
        return None
    return NameTable(conn=conn), pairs


def write_cache(
    directory: Path, root: bytes, fill: Callable[[sqlite3.Connection], None], pairs: PairFilter
) -> bool:
    """Store the name table (`fill` counts it into the file's empty `names`, `tails`
    and `spliced` tables) and `pairs` for `root`; whether it was stored. A failure to write is not
    an error: the cache is only an optimisation."""
    path = cache_path(directory, root)
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        _check_private(directory, 0o022)
        key = directory_key(directory)  # never a key the directory holds (ADR 0308)
        fd = os.open(tmp, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        os.close(fd)
        conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("BEGIN")
            for ddl in DDL:
                conn.execute(ddl)
            conn.execute("INSERT INTO facts VALUES (1, ?, ?)", (FORMAT, root))
            fill(conn)
            conn.execute("INSERT INTO pairs VALUES (1, ?)", (pairs.bits,))
            conn.execute("COMMIT")
        finally:
            conn.close()
        mac_tmp = tmp.with_suffix(f".mactmp{os.getpid()}")
        fd = os.open(mac_tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(_mac(key, root, tmp))
        os.replace(tmp, path)
        os.replace(mac_tmp, path.with_suffix(".mac"))
    except (OSError, CacheUnusable, sqlite3.Error):
        for leftover in (tmp, tmp.with_suffix(f".mactmp{os.getpid()}")):
            try:
                leftover.unlink()
            except OSError:
                pass
        return False
    return True
