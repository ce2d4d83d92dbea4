"""Which blobs a search reads: the trigram index's answer, made safe, then narrowed.

The index (docs/adr/0100-snapshot-index.md) names, in ascending rowid order, the
documents that an FTS5 expression matches. How SQLite's trigram tokenizer reads
content decides what that answer can be trusted for:

- It stops at the first NUL byte. A text blob has none in its first 8 KiB but may
  have one later, and the index knows nothing after it. Such a blob (*truncated*)
  is a candidate for every indexed query.
- It reads UTF-8: a character may take several bytes, and a stray byte is a
  character of its own. A blob whose document has exactly size - 2 trigrams
  (`search_docsize`) has one byte per character and no NUL: it is *complete*, and
  the character the index holds just before any byte is the byte itself (U+FFFD
  for a lone lead byte). A complete blob can be ruled out by a context expression
  (`query.context_expression`); an incomplete one only where what follows its
  bytes over 0x7F says it can be (`high_bytes`), else it stays a candidate. When
  the index names only a few small blobs (`FEW`, `FEW_BYTES`), the context
  expression is not run at all: reading them costs less than its lookups.

Both facts are read once per open snapshot, by the first search that needs them
(`index_facts`). Rows come as (rowid,), or with `content` as (rowid, size,
content, line index) with the last two None for a blob over CHUNK bytes; either
way ascending by rowid, read lazily.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain, islice

from .blobs import SNIFF
from .catalog import Catalog, Row
from .query import Plan
from .store import Snapshot

CHUNK = 1 << 20  # bytes of content read at a time (whole lines; a longer line is read whole)
# A blob of at most CHUNK bytes whole, with its line index; else only its size.
SMALL_COLUMNS = (
    "blobs.size, CASE WHEN blobs.size <= ? THEN blobs.content END,"
    " CASE WHEN blobs.size <= ? THEN blobs.line_index END"
)
SMALL_ROW = f"SELECT {SMALL_COLUMNS} FROM blobs WHERE rowid = ?"  # noqa: S608 (constants only)
_BATCH = 16  # rows fetched at a time: few enough that the first page waits for little


@dataclass(frozen=True)
class IndexFacts:
    incomplete: frozenset[int]  # text blobs the index does not read one byte per character
    truncated: tuple[int, ...]  # text blobs with a NUL, ascending: the index stops there


def small_limits(line_index: bool) -> tuple[int, int]:
    """The parameters of SMALL_COLUMNS: the content of a blob up to CHUNK bytes, and
    its line index too if `line_index`."""
    return CHUNK, CHUNK if line_index else -1


def candidates(
    conn: sqlite3.Connection,
    plan: Plan,
    content: bool,
    facts: Callable[[], IndexFacts],
    check: Callable[[], None],
    exempt: Callable[[IndexFacts], frozenset[int]] | None = None,
    answer: list[int] | None = None,
) -> Iterator[Row]:
    """The blobs that can hold a match of `plan`, ascending by rowid: those the index
    names (narrowed by the plan's context), and the truncated ones; or, with no index
    expression, every text blob. `facts` gives the snapshot's IndexFacts (only called
    for an indexed plan); `check` runs between batches and may raise to stop.
    `exempt` gives the incomplete blobs the context cannot rule out (default: all of
    them; high_bytes.AfterHigh.exempt names fewer). With `content`, a row carries
    the line index only if the plan expects most candidates to hold a match
    (`Plan.likely`). `answer`: the index's whole answer for `plan.index` (ascending
    rowids), if the caller read it already; it is then not asked again."""
    columns = f"blobs.rowid, {SMALL_COLUMNS}" if content else "blobs.rowid"
    small = small_limits(plan.likely) if content else ()
    if plan.index is None:
        sql = f"SELECT {columns} FROM blobs WHERE binary = 0 ORDER BY blobs.rowid"  # noqa: S608
        return _stream(conn.execute(sql, small), check)
    known = facts()
    if plan.context is not None:
        kept = known.incomplete if exempt is None else exempt(known)
        rows = _narrowed(conn, plan.index, plan.context, kept, check, answer)
        if content:
            rows = filled(conn, rows, small, check)
    elif answer is not None and content:  # the rows the statement below gives (a blob
        # each: the join), without asking the index again
        whole = filled(conn, ((rowid,) for rowid in answer), small, check)
        rows = (row for row in whole if len(row) > 1)
    else:  # ordered by search.rowid, which FTS5 gives as it goes (no sort: streaming)
        sql = (
            f"SELECT {columns} FROM search JOIN blobs ON blobs.rowid = search.rowid"  # noqa: S608
            " WHERE search MATCH ? ORDER BY search.rowid"
        )
        rows = _stream(conn.execute(sql, (*small, plan.index)), check)
    return _with(rows, known.truncated) if known.truncated else rows


def _stream(cursor: sqlite3.Cursor, check: Callable[[], None]) -> Iterator[Row]:
    while rows := cursor.fetchmany(_BATCH):
        check()
        yield from rows


_MATCHING = "SELECT rowid FROM search WHERE search MATCH ? ORDER BY rowid"
FEW = 32  # candidates read unnarrowed (a rare literal: the first page of a
FEW_BYTES = 4 << 20  # symbol's references), if they hold at most this much
_SIZES = "SELECT coalesce(sum(size), 0) FROM blobs WHERE rowid IN ({})"


def _bytes(conn: sqlite3.Connection, rowids: list[int]) -> int:
    if not rowids:
        return 0
    sql = _SIZES.format(",".join("?" * len(rowids)))
    return int(conn.execute(sql, rowids).fetchone()[0])


def _narrowed(
    conn: sqlite3.Connection,
    index: str,
    context: str,
    exempt: frozenset[int],
    check: Callable[[], None],
    answer: list[int] | None = None,
) -> Iterator[Row]:
    """The documents matching `index` (`answer`, if read already) that also match
    `context` or are in `exempt`
    (incomplete ones the context cannot rule out). Both answers stream in rowid
    order and are merged as they come. When `index` names at most FEW documents
    of at most FEW_BYTES in all, they are all candidates: the context expression
    (an OR of a hundred terms or more, a lookup each) costs more than reading
    them, and the matcher decides anyway."""
    matching: Iterator[Row] = (
        _stream(conn.execute(_MATCHING, (index,)), check)
        if answer is None
        else ((rowid,) for rowid in answer)
    )
    first = list(islice(matching, FEW + 1))
    if len(first) <= FEW and _bytes(conn, [row[0] for row in first]) <= FEW_BYTES:
        yield from first
        return
    narrow = _stream(conn.execute(_MATCHING, (context,)), check)
    ahead = -1
    for row in chain(first, matching):
        rowid = row[0]
        while ahead < rowid:
            ahead = next(narrow, (1 << 63,))[0]
        if ahead == rowid or rowid in exempt:
            yield row


def filled(
    conn: sqlite3.Connection, rows: Iterator[Row], small: tuple[int, ...], check: Callable[[], None]
) -> Iterator[Row]:
    """`rows` (rowids only) with their content, read _BATCH at a time: one statement
    for many blobs costs half as much as one each."""
    while batch := [row[0] for row in islice(rows, _BATCH)]:
        marks = ",".join("?" * len(batch))
        sql = f"SELECT blobs.rowid, {SMALL_COLUMNS} FROM blobs WHERE rowid IN ({marks})"  # noqa: S608
        found = {row[0]: row for row in conn.execute(sql + " ORDER BY rowid", (*small, *batch))}
        check()
        for rowid in batch:
            yield found.get(rowid, (rowid,))


def _with(rows: Iterator[Row], extra: tuple[int, ...]) -> Iterator[Row]:
    """`rows` with the rowids `extra` (ascending) merged in, once each."""
    pending = iter(extra)
    nxt = next(pending, None)
    for row in rows:
        while nxt is not None and nxt < row[0]:
            yield (nxt,)
            nxt = next(pending, None)
        if nxt == row[0]:
            nxt = next(pending, None)
        yield row
    while nxt is not None:
        yield (nxt,)
        nxt = next(pending, None)


# -- facts about the index --------------------------------------------------------------

_FACTS: weakref.WeakKeyDictionary[Snapshot, IndexFacts] = weakref.WeakKeyDictionary()
_FACTS_LOCK = threading.Lock()


def index_facts(snapshot: Snapshot, conn: sqlite3.Connection, catalog: Catalog) -> IndexFacts:
    """The IndexFacts of `snapshot`, read once per open snapshot."""
    with _FACTS_LOCK:
        found = _FACTS.get(snapshot)
        if found is None:
            found = _FACTS[snapshot] = read_facts(conn, catalog)
        return found


def read_facts(conn: sqlite3.Connection, catalog: Catalog) -> IndexFacts:
    """Compare each document's trigram count with its blob's size (from the signed file
    list); look for a NUL only in the blobs where they disagree and a NUL can be."""
    sizes = catalog.sizes
    incomplete: dict[int, int] = {}  # rowid -> size (-1: unknown)
    for rowid, record in conn.execute("SELECT id, sz FROM search_docsize"):
        size = sizes[rowid] if 0 <= rowid < len(sizes) else -1
        if size < 0 or not isinstance(record, bytes) or _trigrams(record) != max(0, size - 2):
            incomplete[rowid] = size
    truncated = [
        r for r in sorted(incomplete) if not 0 <= incomplete[r] <= SNIFF and _has_nul(conn, r)
    ]
    return IndexFacts(frozenset(incomplete), tuple(truncated))


def _trigrams(record: bytes) -> int:
    """A docsize record's count for the one column: an SQLite varint. Up to three bytes
    (two million trigrams) by arithmetic, for speed; longer ones by `_varint`."""
    n = len(record)
    x = int.from_bytes(record, "big")
    if n == 1:
        return x
    if n == 2:
        return ((x >> 1) & 0x3F80) | (x & 0x7F)
    if n == 3:
        return ((x >> 2) & 0x1FC000) | ((x >> 1) & 0x3F80) | (x & 0x7F)
    return _varint(record)


def _varint(data: bytes) -> int:
    """The first SQLite varint in `data`."""
    value = 0
    for i, byte in enumerate(data[:9]):
        if i == 8:
            return (value << 8) | byte
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            break
    return value


def _has_nul(conn: sqlite3.Connection, rowid: int) -> bool:
    with conn.blobopen("blobs", "content", rowid, readonly=True) as blob:
        while piece := blob.read(CHUNK):
            if b"\x00" in piece:
                return True
    return False
