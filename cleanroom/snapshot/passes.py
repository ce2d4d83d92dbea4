"""How a search's pass runs, once `Search._pass` has chosen what it reads: in this
process, or on every core. The query model, the choice and the paging stay in
search.py; this module only turns files into hits, in the pass's order.

- `serial(search, conn, files, rows, plan, progress, keep)`: the hits in the blobs
  `rows` (ascending by rowid), read in this process, in path order.
- `one(search, conn, files, i, row, plan, progress, keep)`: the hits in one file;
  past the first `keep`, only their digest records, found in bulk (`bulkhits`).
- `parallel(search, conn, files, order, plan, progress, keep, workers, named)`:
  the text files `order`, the first chunks read here while worker processes start
  (`scanworkers`), the rest by them; same order, same hits, same digest.
- `from_workers(running, files, progress, keep)`: the workers' results as the
  batches a pass yields (`Kept` Hits for the kept ones, `Records` for the digest).

Each may raise SearchCancelled (checked between files) or whatever its reads raise;
`Search._own_connection` turns SQLite errors into SearchError.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .blobs import SNIFF
from .bulkhits import records as bulk_records
from .candidates import SMALL_ROW, small_limits
from .catalog import Catalog, Row
from .filehits import Progress, _new, file_hits
from .query import Plan, SearchCancelled
from .results import Hit, _path_part
from .scanworkers import FileRef, Job, Kept, Records, Scan, chunked, head

if TYPE_CHECKING:
    from .search import Search

Batch = list[Hit] | Records | Kept


def serial(
    search: Search,
    conn: sqlite3.Connection,
    files: Catalog,
    rows: Iterator[Row],
    plan: Plan,
    progress: Progress,
    keep: int | None,
) -> Iterator[Batch]:
    """The hits in the blobs `rows` (ascending by rowid), read in this process."""
    everything = plan.paths.everything
    cancelled = search._cancelled.is_set
    for i, row in files.in_path_order(rows):
        if cancelled():
            raise SearchCancelled("the search was cancelled")
        if not everything and not plan.paths(files.displays[i]):
            continue
        yield from one(search, conn, files, i, row, plan, progress, keep)


def one(
    search: Search,
    conn: sqlite3.Connection,
    files: Catalog,
    i: int,
    row: Row,
    plan: Plan,
    progress: Progress,
    keep: int | None,
) -> Iterator[Batch]:
    """The hits in the file at position `i` of `files`, whose blob is `row`."""
    if len(row) == 1:  # only the rowid: one statement for a small blob
        found = conn.execute(SMALL_ROW, (*small_limits(plan.likely), row[0])).fetchone()
        row = (row[0], *found) if found is not None else (row[0], None, None, None)
    content = row[2]
    if keep is not None and progress.hits >= keep and content is not None:
        # past the kept hits: only records, found in bulk (bulkhits)
        if content.find(b"\x00", 0, SNIFF) < 0:
            progress.files += 1
            progress.bytes += len(content)
            path = _path_part(files.paths[i])
            data, n = bulk_records(plan.matcher, content, path, row[3])
            if n:
                progress.hits += n
                yield Records(data, n)
        return
    yield from file_hits(
        conn, files.paths[i], files.displays[i], row, plan, progress, keep,
        search._cancelled.is_set,
    )  # fmt: skip


def parallel(
    search: Search,
    conn: sqlite3.Connection,
    files: Catalog,
    order: list[FileRef],
    plan: Plan,
    progress: Progress,
    keep: int | None,
    workers: int,
    named: tuple[str, tuple[int, ...]] | None = None,
) -> Iterator[Batch]:
    """The text files `order`, in the same order and with the same hits as a single
    pass: the first few chunks (scanworkers.head) read here while the worker
    processes start, the rest by them (scanworkers); with `named` (an index
    expression, the truncated blobs), the workers read only the blobs it names."""
    search._check()
    displays = files.displays
    if not plan.paths.everything:
        order = [ref for ref in order if plan.paths(displays[ref[0]])]
    if not order:
        return
    first, rest, start_size = head(order, files.sizes)
    running = None

    def start() -> Scan | None:
        dealt = chunked(rest, files.sizes, workers, start_size) if rest else []
        if not dealt:
            return None
        if search.before_opens is not None:
            search.before_opens(2 * len(dealt))  # each worker: the header check and SQLite
        progress.workers = len(dealt)
        q = search.query
        job = Job(str(search.snapshot.path), search.snapshot.manifest_bytes,
                  (q.text, q.regex, q.case), keep, [], named)  # fmt: skip
        return Scan(job, dealt, search._cancelled.is_set)

    # A query expected in most files (`return`) has its first page in the head:
    # its workers start when the head is read, so that page(0) never pays for
    # them (114 ms of CPU on Linux at load 18). Any other starts them now.
    later = plan.likely
    try:
        if not later:
            running = start()
        cancelled = search._cancelled.is_set
        for pos, rowid, _path in first:
            if cancelled():
                raise SearchCancelled("the search was cancelled")
            yield from one(search, conn, files, pos, (rowid,), plan, progress, keep)
        if later:
            running = start()
        if running is not None:
            yield from from_workers(running, files, progress, keep)
    finally:
        if running is not None:
            running.close()


def from_workers(
    running: Scan, files: Catalog, progress: Progress, keep: int | None
) -> Iterator[Batch]:
    """The workers' hits in order. With `keep` (the primary pass), every hit comes
    as its record (`Records`) and those the pass keeps whole, among the first
    `keep`, also as `Kept` Hits, made here only for those; once `keep` are counted
    the workers are told (`Scan.enough`), so that they stop making hits whole.
    Without (`hits`), every hit as a Hit."""
    paths, displays = files.paths, files.displays
    told = keep is None
    for _n, whole, records, nfiles, nbytes, cpu in running.results():
        progress.files += nfiles
        progress.bytes += nbytes
        progress.worker_cpu += cpu
        if keep is None:
            if whole:
                batch = [_new(Hit, (paths[pos], displays[pos], *rest)) for pos, *rest in
                         whole]  # fmt: skip
                progress.hits += len(batch)
                yield batch
            continue
        room = max(0, keep - progress.hits)
        if whole and room:
            yield Kept([_new(Hit, (paths[pos], displays[pos], *rest)) for pos, *rest in
                        whole[:room]])  # fmt: skip
        if records.count:
            progress.hits += records.count
            yield records
        if not told and progress.hits >= keep:
            running.enough()
            told = True
