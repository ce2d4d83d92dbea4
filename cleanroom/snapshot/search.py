"""Search a snapshot: a stream of hits in a fixed order, a total, and a digest.

    query = Query("spin_lock", regex=False, case=True, include=["drivers/**"], exclude=[])
    s = search(snapshot, query)      # cheap: nothing runs until asked
    s.page(0)                        # the first 100 hits, quickly even with a million
    s.total(); s.digest()            # run to the end (later, in a worker)
    s.cancel()                       # from any thread; the running call raises SearchCancelled

- `Query(text, regex, case, include, exclude)`: validated when built; a bad
  pattern or glob raises `SearchError` with a message for the reviewer.
  Syntax and semantics: `pattern` (regex), `pathglob` (globs), `linematch`
  (what a match and a span are).
- `search(snapshot, query) -> Search`. Hits come in path byte order, then line,
  then column, so the same query on the same snapshot always gives the same list.
  A file's content is searched once per path: a blob stored under two paths
  gives hits under both. Only text files are searched (binary blobs, links and
  skipped entries are not).
- `Search.page(n, size=100)`: hits [n*size, (n+1)*size). Pages within the first
  KEPT hits are kept; later pages are found again by a fresh pass.
- `Search.hits()`: every hit, as a fresh stream (a new pass on each call).
- `Search.total()`, `Search.digest()`: run the search to its end; the digest is
  SHA-256 over the whole ordered list (docs/snapshot-format.md, "Search results
  and their digest"), which replay recomputes.
- `Search.cancel()`: thread-safe and prompt: running SQLite statements are
  interrupted, scans stop at the next line or chunk. Afterwards any call that
  needs more work raises `SearchCancelled`; pages already found stay readable.
  `Search.progress` counts files, bytes and hits for a status line.
  `Search.close()` (or `with`) cancels and releases its connections.
- `Hit`: path (raw bytes), display path, line, spans, and the line's raw text
  (capped; see `results.Hit`). Sanitize before display.

How: the trigram index (FTS5, docs/adr/0100-snapshot-index.md) names the
candidate blobs for the literals every match must contain, in rowid order;
`candidates` narrows that by what the pattern says comes just before a literal
(`\\bmalloc` rules out files with only `kmalloc`) and adds the blobs the index
cannot vouch for (a NUL stops its reading). Blob rowids follow the order in
which the tree walk met each content, which is path order, so candidates are
read from the index lazily, merged with the path-ordered file list (`catalog`),
and the first page needs only the start of the index's answer. A candidate is
read in chunks of whole lines and matched (literal: `bytes.find`; regex:
literals first, then RE2 on those lines only; with no literal, the lines a
Hyperscan prefilter names: `prefilter`, ADR 0113). A literal the index cannot look
up is narrowed by the byte presence table (`presence`: the blobs holding each of
its bytes) or, for two ASCII bytes first, through the index's vocabulary
(`shortlit`; both in `narrowing`). With no usable literal, or when the index
names most blobs (judged from the start of its answer, read once per search and
taken as the whole answer when shorter than PEEK: `_peek`; then from windows
spread over it: `density`), every text file is read (only those the index names,
if it names any), by worker processes when there is enough to read
(`scanworkers`: same order, same digest; the first chunks are read here while
they start; the pass calls `Search.before_opens(n)` just before they open the
snapshot). Past the kept hits, a pass finds only digest records, in bulk
(`bulkhits`). Each pass has its own read-only connection (`_own_connection`), so
a search can run in a worker thread while
the viewer reads. This module chooses what a pass reads; `passes` runs it (in this
process, or on every core).
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
import weakref
from collections.abc import Callable, Iterator
from itertools import islice

from .candidates import (
    IndexFacts,
    candidates,
    filled,
    index_facts,
    small_limits,
)
from .catalog import catalog
from .density import NAMED_MOST, share_of
from .filehits import Progress
from .firstpage import prefix
from .high_bytes import after_high, read_in_background
from .narrowing import BROAD_INDEX, broad, chosen_blobs
from .passes import parallel, serial
from .query import Query, SearchCancelled, SearchError
from .readonly import SnapshotFileError, connect
from .results import Hit, ResultDigest
from .scanworkers import Kept, Records, text_files, wanted
from .schema import schema_problems
from .store import Snapshot

__all__ = [
    "Hit", "Progress", "Query", "Search", "SearchCancelled", "SearchError", "prepare", "search",
]  # fmt: skip

PAGE = 100
KEPT = 10_000  # hits a Search keeps for paging
_PEEK = "SELECT rowid FROM search WHERE search MATCH ? ORDER BY rowid LIMIT ?"
PEEK = 400  # candidates looked at to judge whether the index narrows a search enough


def prepare(snapshot: Snapshot) -> None:
    """Read now what every search of `snapshot` shares (the file list, the index
    facts and the files in path order, read once per open snapshot), on the
    snapshot's own connection. The reviewer terminal calls this while it starts, so
    that its first search answers as fast as the rest."""
    with snapshot.unmapped() as conn:  # what this reads once need not stay resident
        files = catalog(snapshot, conn)
        facts = index_facts(snapshot, conn, files)
        # The files in path order, as a pass on every core and the first page of
        # references read them (65 ms of CPU on Linux, paid by the first such search).
        text_files(snapshot, conn, files)
    # Not the ends of the blobs (shortlit.tails_of): reading them walks every blob's
    # pages, which the first search for a literal of one or two bytes pays instead.
    # What follows the high bytes of the incomplete blobs (high_bytes) is read in the
    # background, on a connection opened now, before a guard watches the file;
    # `snapshot.close()` stops that thread and waits for it.
    if facts.incomplete and snapshot.path is not None:
        with _STARTED_LOCK:
            if snapshot in _STARTED:
                return
            _STARTED.add(snapshot)
        try:
            conn = checked_connection(snapshot)
        except SearchError:
            return  # a hint only: searches then read every incomplete candidate
        read_in_background(snapshot, conn, facts.incomplete)


_STARTED: weakref.WeakSet[Snapshot] = weakref.WeakSet()
_STARTED_LOCK = threading.Lock()


def search(snapshot: Snapshot, query: Query) -> Search:
    """A search of `snapshot` for `query`. Nothing runs until hits are asked for."""
    if not isinstance(query, Query):
        raise SearchError("search needs a Query")
    return Search(snapshot, query)


class Search:
    """A search handle; see the module docstring. Methods may be called from any
    thread: pages, totals and digests share one pass (one caller at a time runs
    it), `hits()` makes a pass of its own, and `cancel` never waits."""

    def __init__(self, snapshot: Snapshot, query: Query) -> None:
        if snapshot.path is None:
            raise SearchError("this snapshot was not opened from a file")
        self.snapshot = snapshot
        self.query = query
        self.progress = Progress()
        self._cancelled = threading.Event()
        self._conns: set[sqlite3.Connection] = set()
        self._conns_lock = threading.Lock()
        self._lock = threading.Lock()  # the primary pass, which pages and totals share
        self._primary: Iterator[Hit] | None = None
        self._kept: list[Hit] = []
        self._digest = ResultDigest(query.to_json())
        self._result: str | None = None  # the hex digest, once the primary pass is done
        self._failed: BaseException | None = None
        self._peeked: tuple[str, list[int]] | None = None  # (index, the start of its answer)
        self._shared: tuple[str, float | None] | None = None  # (index, density.share_of)
        # Called with the number of snapshot opens a pass is about to make beyond its
        # own two, right before it makes them (worker processes: scanworkers), in the
        # thread that runs the pass: a guard must be told of every open.
        self.before_opens: Callable[[int], object] | None = None

    # -- results --------------------------------------------------------------------

    def page(self, number: int, size: int = PAGE) -> list[Hit]:
        """Hits [number*size, (number+1)*size): fewer at the end, [] past it."""
        if number < 0 or size < 1:
            raise ValueError("page number must be >= 0 and size >= 1")
        lo, hi = number * size, (number + 1) * size
        if hi <= KEPT:
            self._advance(hi)
            return self._kept[lo:hi]
        if self.done and self._digest.count <= KEPT:
            return self._kept[lo:hi]
        return list(islice(self.hits(), lo, hi))  # past the kept hits: find them again

    def first_page(self, seconds: float, size: int = PAGE) -> list[Hit]:
        """Page 0, or fewer hits: those found once `seconds` have passed, if any were
        (the pass is looked at between its batches, so a page comes when the first
        hit does if that is later). For a first page that must not wait for the
        last files of a rare match (references of a short name: ADR 0215).

        Before the pass has started, this thread first reads the files itself, in
        path order, until `seconds` have passed: on a large tree the pass starts
        worker processes, which took 1.5-2 s on Linux before their first hit. The
        hits it finds are the first hits of the pass (the same files in the same
        order, as `passes.parallel` promises). With none by then it reads on for up to
        PREFIX_MORE (a pass's workers take longer than that to start); with none
        after that, the pass gives the page. How: `firstpage.prefix`."""
        deadline = time.monotonic() + seconds
        if self._primary is None and not self.done:
            early = prefix(self, deadline, size)
            if early:
                return early
        self._advance(size, deadline)
        return self._kept[:size]

    def hits(self) -> Iterator[Hit]:
        """Every hit in order, from a fresh pass."""
        self._check()
        return self._one_by_one(self._pass(Progress(), None))

    def total(self) -> int:
        """The number of hits (runs the search to its end)."""
        self._advance(None)
        return self._digest.count

    def digest(self) -> str:
        """Hex SHA-256 of the complete ordered result list (runs to the end)."""
        self._advance(None)
        assert self._result is not None
        return self._result

    @property
    def done(self) -> bool:
        """Whether the total and digest are known."""
        return self._result is not None

    # -- control --------------------------------------------------------------------

    def cancel(self) -> None:
        self._cancelled.set()
        with self._conns_lock:
            for conn in self._conns:
                conn.interrupt()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def close(self) -> None:
        """Cancel and release the connections (finishes any open pass)."""
        self.cancel()
        with self._lock:
            if self._primary is not None:
                self._primary.close()  # type: ignore[attr-defined]

    def __enter__(self) -> Search:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the primary pass -------------------------------------------------------------

    def _check(self) -> None:
        if self._cancelled.is_set():
            raise SearchCancelled("the search was cancelled")
        if self._failed is not None:
            raise SearchError(str(self._failed)) from self._failed

    def _advance(self, until: int | None, deadline: float | None = None) -> None:
        """Run the primary pass until `until` hits are kept (None: to the end), or
        past `deadline` (time.monotonic) with a hit kept."""
        if self.done or (until is not None and len(self._kept) >= until):
            return
        with self._lock:
            self._check()
            if self._primary is None:
                self._primary = self._pass(self.progress, KEPT)
            primary, add, kept = self._primary, self._digest.add_all, self._kept
            try:
                while self._result is None and (until is None or len(kept) < until):
                    batch = next(primary, None)
                    if batch is None:
                        self._result = self._digest.finish()
                        break
                    if type(batch) is Records:
                        self._digest.add_records(batch.data, batch.count)
                        continue
                    if type(batch) is Kept:  # hits hashed in the Records that follow
                        kept.extend(batch.hits[: KEPT - len(kept)])
                        if deadline is not None and kept and time.monotonic() > deadline:
                            break
                        continue
                    add(batch)
                    if len(kept) < KEPT:
                        kept.extend(batch[: KEPT - len(kept)])
                    if deadline is not None and kept and time.monotonic() > deadline:
                        break
            except SearchCancelled:
                raise
            except Exception as exc:  # the pass is dead: never finish a digest from it
                self._failed = exc
                raise

    def _one_by_one(self, batches: Iterator[list[Hit]]) -> Iterator[Hit]:
        cancelled = self._cancelled.is_set
        try:
            for batch in batches:
                for hit in batch:
                    if cancelled():
                        raise SearchCancelled("the search was cancelled")
                    yield hit
        finally:
            batches.close()  # type: ignore[attr-defined]

    def _pass(self, progress: Progress, keep: int | None) -> Iterator[list[Hit]]:
        """The hits in order, in small batches (at most BATCH; those of a file together).
        Past the first `keep` (None: all), a hit is only what the digest reads of it:
        (path, None, line, spans, more), without its text (a total needs no more)."""
        plan = self.query.plan()
        with self._own_connection() as conn:
            files = catalog(self.snapshot, conn)

            def facts() -> IndexFacts:
                return index_facts(self.snapshot, conn, files)

            # Without globs, the blobs come with their content in the same statement
            # (one step per blob instead of a query each); with globs, only rowids,
            # so that the content of excluded files is never read.
            everything = plan.paths.everything
            if plan.index is None:  # the index cannot narrow this query, or not alone
                chosen = chosen_blobs(self.snapshot, conn, files, plan, facts, self._check)
                total = self.snapshot.manifest.bytes if chosen is None else chosen[1]
                workers = wanted(total)
                if workers:
                    order = text_files(self.snapshot, conn, files)
                    if chosen is not None:
                        order = [ref for ref in order if ref[1] in chosen[0]]
                    yield from parallel(self, conn, files, order, plan, progress, keep, workers)
                    return
                if chosen is not None:
                    rowids = iter([(r,) for r in sorted(chosen[0])])
                    rows = filled(conn, rowids, small_limits(plan.likely), self._check)
                    yield from serial(self, conn, files, rows, plan, progress, keep)
                    return
            else:
                workers = wanted(self.snapshot.manifest.bytes)
                if workers and self._broad(conn, plan.index):
                    order = text_files(self.snapshot, conn, files)
                    # what the workers read (density), unless it names nearly everything
                    share = self._share(conn, plan.index)
                    named = None if share is not None and share > NAMED_MOST else (
                        plan.index, facts().truncated)  # fmt: skip
                    yield from parallel(self, conn, files, order, plan, progress, keep, workers,
                                        named)  # fmt: skip
                    return
            rows = candidates(conn, plan, everything, facts, self._check, self._exempt,
                              answer=self._whole_answer(plan.index))  # fmt: skip
            yield from serial(self, conn, files, rows, plan, progress, keep)

    def _broad(self, conn: sqlite3.Connection, index: str) -> bool:
        """Whether the index names so many blobs that every core should read every text
        file (`narrowing.broad`), from the start of its answer, or from windows spread
        over it (`density.share_of`: a common word's first rowids can be sparse)."""
        rowids = self._peek(conn, index)
        if len(rowids) < PEEK:
            return False
        if broad(rowids, PEEK):
            return True
        share = self._share(conn, index)
        return share is not None and share > BROAD_INDEX

    def _share(self, conn: sqlite3.Connection, index: str) -> float | None:
        """`density.share_of` for `index`, counted once per search."""
        shared = self._shared
        if shared is None or shared[0] != index:
            shared = self._shared = (index, share_of(conn, index))
            self._check()
        return shared[1]

    def _peek(self, conn: sqlite3.Connection, index: str) -> list[int]:
        """The first PEEK rowids the index names for `index`, ascending. Read once per
        search: the first page and the pass both ask (`_broad`), and the candidates
        take it as the whole answer when it is shorter (`_whole_answer`): on Linux a
        long name's MATCH costs 18 ms of CPU, and it was run three times."""
        peeked = self._peeked
        if peeked is None or peeked[0] != index:
            rowids = [row[0] for row in conn.execute(_PEEK, (index, PEEK))]
            self._check()
            peeked = self._peeked = (index, rowids)
        return peeked[1]

    def _whole_answer(self, index: str | None) -> list[int] | None:
        """The index's whole answer for `index` if `_peek` read it (fewer than PEEK
        rows: the LIMIT did not cut it), else None."""
        peeked = self._peeked
        if index is None or peeked is None or peeked[0] != index or len(peeked[1]) >= PEEK:
            return None
        return peeked[1]

    @contextlib.contextmanager
    def _own_connection(self, announce: bool = False) -> Iterator[sqlite3.Connection]:
        """A connection of this search's own, to the same signed snapshot, closed on
        leaving; an SQLite error inside becomes SearchCancelled (after `cancel`) or
        SearchError. `announce`: tell `before_opens` of its two opens first (the
        header check and SQLite), for a connection beyond the pass's own two."""
        if announce and self.before_opens is not None:
            self.before_opens(2)
        conn = checked_connection(self.snapshot)
        with self._conns_lock:
            self._conns.add(conn)
        if self._cancelled.is_set():
            conn.interrupt()
        try:
            yield conn
        except sqlite3.Error as exc:
            if self._cancelled.is_set():
                raise SearchCancelled("the search was cancelled") from None
            raise SearchError(f"reading the snapshot failed: {exc}") from None
        finally:
            with self._conns_lock:
                self._conns.discard(conn)
            conn.close()

    def _exempt(self, known: IndexFacts) -> frozenset[int]:
        """The incomplete blobs this search's context cannot rule out (candidates)."""
        found = after_high(self.snapshot)
        if found is None:  # not read yet (or it failed): every one, as always
            return known.incomplete
        return found.exempt(self.query.plan().after_high)


def checked_connection(snapshot: Snapshot) -> sqlite3.Connection:
    """A read-only connection of its own (any thread) to `snapshot`'s file, checked to
    hold the same signed manifest. Raises SearchError."""
    try:
        # Not memory-mapped: a pass reads each page about once, and a fresh mapping
        # faults on every one (pread costs less: 10-30 % of a pass on Linux 6.1).
        conn = connect(snapshot.path, mmap=False, any_thread=True)  # type: ignore[arg-type]
    except (OSError, SnapshotFileError) as exc:
        raise SearchError(f"cannot open the snapshot to search it: {exc}") from None
    try:
        body = conn.execute("SELECT body FROM manifest WHERE id = 1").fetchone()
        if schema_problems(conn) or body is None or body[0] != snapshot.manifest_bytes:
            raise SearchError("the snapshot file changed since it was opened")
    except (sqlite3.Error, SearchError):
        conn.close()
        raise
    return conn
