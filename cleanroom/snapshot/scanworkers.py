"""Scan many files on every core: worker processes, each with its own read-only connection.

A search the index cannot narrow reads every text file. One Python process uses
one core; ripgrep uses them all. So for such a pass (`wanted`), the parent cuts
the files to read, in path order, into chunks (small first, so that a first page
comes quickly, then up to CHUNK_BYTES) and deals them out in turn: chunk c goes to
worker c mod W. Each worker opens the snapshot itself (read-only, and checked to
carry the same signed manifest), rebuilds the query's matcher, and sends one
message per chunk, in its own order, on a queue of its own (`Scan`, started in a thread so that
the parent can read the first chunks, `head`, meanwhile). The parent reads
chunk c from queue c mod W, so the hits come back in exactly the order of a
single pass, and the digest is the same.

What a worker sends for a chunk: its first `keep` hits (counted over the whole
worker, which is enough: the first `keep` hits of the search are among the first
`keep` of each worker) as tuples the parent turns into `Hit`s if it keeps them,
and every hit's bytes in the result digest, joined (`Records`), the whole ones
too; a million hits then cost the parent one hash update per chunk, not one
object per hit, and a hit it keeps is hashed here, not there. Once the parent
holds all it keeps it says so (`Scan.enough`), and the workers make no more hits
whole. With `keep` None (`Search.hits`: every hit whole, no digest) no records.

Workers are started by a fork server (`multiprocessing`'s "forkserver", with
this module preloaded), never forked from the caller, which may have threads.
They stop when the pass ends, is closed or is cancelled (they are killed: they
hold only read-only connections). Each worker opens the snapshot exactly twice
(the header check and SQLite), which a guard must be told (`Search.opens`).

Starting a process is refused where the process's audit policy refuses programs
(the reviewer terminal, `tui/audit.py`): `allowed` asks that policy first, and a
refused pass runs in one process, as before.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import sqlite3
import sys
import threading
import time
import weakref
from bisect import bisect_left
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate, repeat
from typing import Any

from .blobs import SNIFF
from .bulkbatch import Item, batchable, records_many
from .bulkhits import records as bulk_records
from .candidates import SMALL_COLUMNS, small_limits
from .catalog import Catalog
from .density import Named
from .filehits import Progress, file_hits
from .linematch import Matcher
from .query import Query, SearchCancelled, SearchError
from .readonly import SnapshotFileError, connect
from .results import _PLAIN, _path_part, _rest
from .schema import schema_problems
from .store import Snapshot

WORKERS = max(1, min(4, os.cpu_count() or 1))
MIN_BYTES = 32 << 20  # below this, starting workers costs more than it saves
FIRST_BYTES = 256 << 10  # the first chunk: small, for a quick first page
CHUNK_BYTES = 8 << 20  # chunks grow to this
DEPTH = 4  # chunks a worker may have sent ahead of the parent
HEAD = 3  # chunks the parent reads itself while the workers start (search.py)
POLL = 0.05  # seconds between checks for cancellation while waiting
_READ = 32  # blobs per statement


FileRef = tuple[int, int, bytes]  # a file's position in the catalog, its blob's rowid, its path
Chunk = tuple[int, list[FileRef]]  # (chunk number, files)


@dataclass(frozen=True, slots=True)
class Records:
    """Hits that count only in the digest: their records, joined, and how many."""

    data: bytes
    count: int


@dataclass(frozen=True, slots=True)
class Kept:
    """Hits a pass keeps whole, already counted and hashed in their `Records`."""

    hits: list[Any]


@dataclass(frozen=True, slots=True)
class Job:
    path: str
    manifest: bytes
    query: tuple[str, bool, bool]  # text, regex, case (the parent applies the globs)
    keep: int | None
    chunks: list[Chunk]
    # an index expression and the truncated blobs: read only the blobs it names (density)
    named: tuple[str, tuple[int, ...]] | None = None


def allowed() -> bool:
    """Whether this process may start workers: not if its audit policy refuses programs."""
    if WORKERS < 2:
        return False
    try:
        sys.audit("subprocess.Popen", sys.executable, [sys.executable], None, None)
    except Exception:  # noqa: BLE001 (a refusal may be any exception)
        return False
    return True


def wanted(total_bytes: int) -> int:
    """How many workers a pass over `total_bytes` of text should use (0: none)."""
    if total_bytes < MIN_BYTES or not allowed():
        return 0
    return WORKERS


_TEXT: weakref.WeakKeyDictionary[Snapshot, list[tuple[int, int, bytes]]] = (
    weakref.WeakKeyDictionary()
)
_TEXT_LOCK = threading.Lock()


def text_files(snapshot: Snapshot, conn: sqlite3.Connection, files: Catalog) -> list[FileRef]:
    """Every file as (position, rowid, path), in path order, read once per open
    snapshot. Binary blobs are among them: a worker skips each at its first 8 KiB,
    as a single pass does; telling them apart here would read the whole blobs
    table (1.3 GB on Linux: their content sits in the same pages)."""
    with _TEXT_LOCK:
        found = _TEXT.get(snapshot)
        if found is None:
            paths = files.paths
            found = [(i, r, paths[i]) for i, r in enumerate(files.rowids)]
            _TEXT[snapshot] = found
        return found


def chunked(
    order: list[FileRef], sizes: Any, workers: int, first: int | None = None
) -> list[list[Chunk]]:
    """The files (pos, rowid, path), in order, cut into chunks that grow from `first`
    (default FIRST_BYTES) to CHUNK_BYTES, dealt out to `workers` in turn. A chunk ends
    with the file that brings it to its limit. Cut by bisecting the running total of
    the sizes (a loop over Linux's 78,000 files took 100 ms of CPU, paid before every
    first page of a pass on every core; about 170 cuts take none)."""
    out: list[list[Chunk]] = [[] for _ in range(workers)]
    top = len(sizes)
    each = [sizes[ref[1]] if ref[1] < top else 0 for ref in order]
    total = list(accumulate(map(max, each, repeat(0))))  # an unknown size is -1
    limit, start, base, number = FIRST_BYTES if first is None else first, 0, 0, 0
    while start < len(order):
        end = bisect_left(total, base + limit, start)  # the first file that fills it
        if end >= len(order):
            out[number % workers].append((number, order[start:]))
            break
        out[number % workers].append((number, order[start : end + 1]))
        base, start, number = total[end], end + 1, number + 1
        limit = min(CHUNK_BYTES, limit * 2)
    return [jobs for jobs in out if jobs]


def head(order: list[FileRef], sizes: Any) -> tuple[list[FileRef], list[FileRef], int]:
    """(the files of the first HEAD chunks, the rest, the size the next chunk starts
    at): the parent reads the head itself while the workers start, so that a first
    page does not wait for them."""
    limit, size, taken = FIRST_BYTES, 0, 0
    top = len(sizes)
    for k, item in enumerate(order):
        rowid = item[1]
        if rowid < top and (n := sizes[rowid]) > 0:
            size += n
        if size >= limit:
            taken, size = taken + 1, 0
            limit = min(CHUNK_BYTES, limit * 2)
            if taken == HEAD:
                return order[: k + 1], order[k + 1 :], limit
    return order, [], limit


_CONTEXT: Any = None


def _context() -> Any:
    global _CONTEXT
    if _CONTEXT is None:
        ctx = multiprocessing.get_context("forkserver")
        # numpy (bulkhits) and hyperscan (prefilter) too, so a worker does not import
        # them itself (a missing module is skipped by the fork server)
        ctx.set_forkserver_preload([__name__, "numpy", "hyperscan"])
        _CONTEXT = ctx
    return _CONTEXT


class Scan:
    """The worker processes of one pass, started at once in a thread of their own (a
    fork server answers slowly on a loaded machine), so that the caller can do other
    work meanwhile. `results` waits for them; `close` stops them (always call it)."""

    def __init__(self, job: Job, workers: list[list[Chunk]], cancelled: Callable[[], bool]) -> None:
        ctx = _context()
        self._workers = workers
        self._cancelled = cancelled
        self._stop = ctx.Event()
        self._enough = ctx.Event()  # the parent holds every hit it keeps whole (`enough`)
        self._queues = [ctx.Queue(DEPTH) for _ in workers]
        self._procs: list[Any] = []
        self._failed: BaseException | None = None
        parts = [
            Job(job.path, job.manifest, job.query, job.keep, mine, job.named) for mine in workers
        ]
        args = [
            (part, q, self._stop, self._enough) for part, q in zip(parts, self._queues, strict=True)
        ]
        self._starter = threading.Thread(
            target=self._start, args=(ctx, args), name="search-workers", daemon=True
        )
        self._starter.start()

    def _start(self, ctx: Any, args: list[tuple]) -> None:
        try:
            for arg in args:
                if self._stop.is_set():
                    return
                proc = ctx.Process(target=_work, args=arg, daemon=True)
                proc.start()
                self._procs.append(proc)
        except BaseException as exc:  # noqa: BLE001 (given to the pass by `results`)
            self._failed = exc

    def results(self) -> Iterator[tuple[int, list[tuple], Records, int, int, float]]:
        """Each chunk's result in chunk order: (number, whole hits, records, files,
        bytes, the worker's CPU seconds). A whole hit is (pos, line, spans, more,
        text, text_start, line_size). Raises SearchCancelled or SearchError."""
        while self._starter.is_alive():
            if self._cancelled():
                raise SearchCancelled("the search was cancelled")
            self._starter.join(POLL)
        if self._failed is not None or len(self._procs) != len(self._workers):
            raise SearchError(f"cannot start the search workers: {self._failed}")
        procs, queues = self._procs, self._queues
        total = sum(len(w) for w in self._workers)
        for number in range(total):
            k = number % len(procs)
            msg = _get(queues[k], procs[k], self._cancelled)
            if msg[0] == "error":
                raise SearchError(msg[1])
            if msg[0] != number:
                raise SearchError("a search worker answered out of order")
            yield msg

    def enough(self) -> None:
        """Tell the workers that the pass has found every hit it keeps whole: from their
        next blobs on they send only records. Whenever it comes, the hits are the same
        (a record is the same bytes either way) and so is the order; the parent calls it
        only once it has counted `keep` hits, so none it keeps whole comes as a record."""
        self._enough.set()

    def close(self) -> None:
        self._stop.set()
        self._starter.join()  # no process starts after this
        for proc in self._procs:
            if proc.is_alive():
                proc.kill()
            proc.join()
        for q in self._queues:
            q.close()
            q.cancel_join_thread()


def _get(q: Any, proc: Any, cancelled: Callable[[], bool]) -> tuple:
    while True:
        if cancelled():
            raise SearchCancelled("the search was cancelled")
        try:
            return q.get(timeout=POLL)
        except queue.Empty:
            if not proc.is_alive() and q.empty():
                raise SearchError("a search worker stopped unexpectedly") from None


# -- in the worker ---------------------------------------------------------------------


def _work(job: Job, out: Any, stop: Any, enough: Any = None) -> None:
    try:
        _run(job, out, stop, enough)
    except SearchCancelled:
        return
    except (SearchError, SnapshotFileError, OSError, sqlite3.Error, ValueError) as exc:
        out.put(("error", _message(exc)))
    except BaseException:  # never a traceback with locals from a worker
        out.put(("error", "a search worker failed"))


def _message(exc: BaseException) -> str:
    if isinstance(exc, SearchError):
        return str(exc)
    if isinstance(exc, sqlite3.Error):
        return f"reading the snapshot failed: {exc}"
    return f"cannot search the snapshot: {exc}"


def _run(job: Job, out: Any, stop: Any, enough: Any = None) -> None:
    # CPU since the last message (the first: since the start, with the snapshot's checks
    # and the index's answer), so that the CPU a pass reports is all its workers spent
    cpu = time.process_time()
    conn = connect(job.path, mmap=False)  # type: ignore[arg-type]
    try:
        body = conn.execute("SELECT body FROM manifest WHERE id = 1").fetchone()
        if schema_problems(conn) or body is None or body[0] != job.manifest:
            raise SearchError("the snapshot file changed since it was opened")
        text, regex, case = job.query
        plan = Query(text, regex=regex, case=case).plan()
        limits = small_limits(plan.likely)
        progress = Progress()
        cancelled = stop.is_set
        # Whole hits past what the parent keeps are waste: each worker would make its
        # own first `keep` whole (counted over this worker alone), most never kept
        told = enough.is_set if enough is not None else (lambda: False)
        found_in = plan.matcher.any
        in_batches = batchable(plan.matcher)
        named = None
        if job.named is not None:  # only the blobs the index names, read forward once
            start = min((ref[1] for _, refs in job.chunks for ref in refs), default=0)
            named = Named(conn, job.named[0], start, frozenset(job.named[1]))
        for number, files in job.chunks:
            if cancelled():
                return
            if named is not None:  # only the blobs the index names (density.Named)
                chosen = named.among([ref[1] for ref in files])
                files = [ref for ref in files if ref[1] in chosen]
            before_files, before_bytes = progress.files, progress.bytes
            whole: list[tuple] = []
            records: list[bytes] = []
            count = 0
            add = records.append
            pending: list[Item] = []  # text blobs for the next batch
            for i in range(0, len(files), _READ):
                part = files[i : i + _READ]
                # Past the kept hits, only records, found in bulk (bulkhits)
                bulk = job.keep is not None and (progress.hits >= job.keep or told())
                rows = _rows(conn, [rowid for _, rowid, _ in part], limits)
                for pos, rowid, path in part:
                    row = rows.get(rowid, (rowid, None, None, None))
                    content = row[2]
                    if content is not None and (bulk or not found_in(content)):
                        # counted as file_hits counts it, without its machinery
                        if content.find(b"\x00", 0, SNIFF) >= 0:
                            continue  # binary
                        progress.files += 1
                        progress.bytes += len(content)
                        if bulk and in_batches:  # a batch at a time (bulkbatch), in order
                            pending.append((content, _path_part(path), row[3]))
                        elif bulk:
                            data, n = bulk_records(plan.matcher, content, _path_part(path), row[3])
                            if n:
                                add(data)
                                count += n
                                progress.hits += n
                        continue
                    count += _flush(plan.matcher, pending, records, progress)
                    prefix = _path_part(path)
                    for batch in file_hits(conn, path, None, row, plan, progress, job.keep,
                                           cancelled):  # fmt: skip
                        for hit in batch:
                            if len(hit) == 8:
                                whole.append((pos, *hit[2:]))
                                if job.keep is None:
                                    continue  # every hit whole: no digest (Search.hits)
                            spans = hit[3]
                            add(prefix)
                            if len(spans) == 1 and not hit[4]:  # the usual case, inline
                                add(_PLAIN.pack(hit[2], 1, *spans[0]))
                            else:
                                add(_rest(hit))
                            count += 1
            count += _flush(plan.matcher, pending, records, progress)
            found = Records(b"".join(records), count)
            msg = (number, whole, found, progress.files - before_files,
                   progress.bytes - before_bytes, time.process_time() - cpu)  # fmt: skip
            cpu = time.process_time()
            out.put(msg)
    finally:
        conn.close()


def _flush(matcher: Matcher, pending: list[Item], out: list[bytes], progress: Progress) -> int:
    """The `pending` blobs' records (bulkbatch) appended to `out`, in order; their count."""
    if not pending:
        return 0
    data, n = records_many(matcher, pending)
    pending.clear()
    if n:
        out.append(data)
        progress.hits += n
    return n


def _rows(conn: sqlite3.Connection, rowids: list[int], limits: tuple[int, int]) -> dict[int, tuple]:
    marks = ",".join("?" * len(rowids))
    sql = f"SELECT blobs.rowid, {SMALL_COLUMNS} FROM blobs WHERE rowid IN ({marks})"  # noqa: S608
    return {row[0]: row for row in conn.execute(sql, (*limits, *rowids))}
