"""The first page of a references search, read in the calling thread before the
pass starts (ADR 0215): on a large tree the pass reads every text file on worker
processes, which took 1.5-2 s on Linux before their first hit.

- `prefix(search, deadline, size)`: the hits of the first files in path order,
  read until `deadline` with a hit found; the pass's own first hits (the same
  files in the same order as its workers', `passes.parallel`).
- `on_every_core(search, conn, files, plan)`: whether the pass would read on
  worker processes, the only case where reading here first is worth it.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from typing import TYPE_CHECKING

from .candidates import SMALL_ROW, IndexFacts, index_facts, small_limits
from .catalog import Catalog, catalog
from .filehits import Progress, file_hits
from .narrowing import chosen_blobs
from .query import Plan
from .results import Hit
from .scanworkers import text_files, wanted

if TYPE_CHECKING:
    from .search import Search

PREFIX_MORE = 1.0  # seconds a first page reads on alone for a first hit (`first_page`)


def prefix(search: Search, deadline: float, size: int) -> list[Hit]:
    """The hits of the first files in path order, read in this thread until
    `deadline` with a hit found (or `size` hits); [] if none was by then."""
    plan = search.query.plan()
    found: list[Hit] = []
    # This thread's own connection: the guard is told of it (ADR 0215).
    with search._own_connection(announce=True) as conn:
        files = catalog(search.snapshot, conn)
        if not on_every_core(search, conn, files, plan):
            return []  # the index or a table narrows it: the pass finds it soon
        limits, cancelled = small_limits(plan.likely), search._cancelled.is_set
        for pos, rowid, path in text_files(search.snapshot, conn, files):
            if found and time.monotonic() > deadline or len(found) >= size:
                break
            if not found and time.monotonic() > deadline + PREFIX_MORE:
                return []  # a rare name: the pass, on every core, finds its first use
            display = files.displays[pos]
            if not plan.paths.everything and not plan.paths(display):
                continue
            row = (rowid, *conn.execute(SMALL_ROW, (*limits, rowid)).fetchone())
            # Between batches too, not only between files: a first file with a
            # million hits (`e` in a 500 MB file) gives its page at its first ones.
            with contextlib.closing(file_hits(conn, path, display, row, plan, Progress(),
                                              size, cancelled)) as batches:  # fmt: skip
                for batch in batches:
                    found.extend(batch)  # type: ignore[arg-type]
                    if len(found) >= size or found and time.monotonic() > deadline:
                        break
    return found[:size]


def on_every_core(search: Search, conn: sqlite3.Connection, files: Catalog, plan: Plan) -> bool:
    """Whether the pass reads every text file (or most) on worker processes, as
    `Search._pass` decides: only then is a first page worth reading here while they
    start. A name the index or a table narrows is found by the pass in a few
    milliseconds; reading files in path order would take up to a second more."""
    snapshot = search.snapshot
    if plan.index is not None:
        return bool(wanted(snapshot.manifest.bytes)) and search._broad(conn, plan.index)

    def facts() -> IndexFacts:
        return index_facts(snapshot, conn, files)

    chosen = chosen_blobs(snapshot, conn, files, plan, facts, search._check)
    return bool(wanted(snapshot.manifest.bytes if chosen is None else chosen[1]))
