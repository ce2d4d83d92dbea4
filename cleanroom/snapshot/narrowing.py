"""Which blobs a search reads when the trigram index cannot say alone, and whether
its answer is too broad to read in one process.

- `chosen_blobs`: for a literal the index cannot look up (one or two bytes, or
  none usable), the blobs that can hold it, from the index's vocabulary
  (`shortlit`) or the byte presence table (`presence`), and their total size.
- `broad`: whether the start of the index's answer names so many blobs that
  reading every text file on every core costs less than reading that answer.

Pure reads of the search's own connection; the search decides from these how to
read (search.py).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from .candidates import IndexFacts
from .catalog import Catalog
from .presence import holding
from .query import Plan
from .shortlit import short_candidates
from .store import Snapshot

BROAD_INDEX = 0.3  # above this share of the blobs, a scan on every core is faster


def broad(rows: list[int], peek: int) -> bool:
    """Whether the index names so many blobs that reading every text file on every
    core costs less than reading its answer in one process: judged from the start
    of its answer, `rows` (its first `peek` rowids, ascending), where `peek` blobs
    must not be spread over fewer than `peek` / BROAD_INDEX rowids."""
    return len(rows) == peek and peek / max(1, rows[-1]) > BROAD_INDEX


def chosen_blobs(
    snapshot: Snapshot,
    conn: sqlite3.Connection,
    files: Catalog,
    plan: Plan,
    facts: Callable[[], IndexFacts],
    check: Callable[[], None],
) -> tuple[set[int], int] | None:
    """For a literal the index cannot look up, the blobs that can hold it and their
    total size; None: every text blob (no literal, or nothing narrows it). A literal
    of two bytes asks the index's vocabulary first (shortlit: a pair is rarer than
    its two bytes apart), then the byte presence table (every literal: the blobs
    holding each of its bytes); a snapshot without that table asks the vocabulary
    for a literal of one byte. `check` runs between lookups and may raise to stop."""
    short = plan.short
    found: list[int] | None = None
    if short is not None and len(short) == 2:
        found = short_candidates(snapshot, conn, short, check)
        if found is not None:
            return sized(files, {*found, *facts().truncated})
    found = holding(conn, plan.needs) if plan.needs else None
    check()
    if found is not None:  # exact: whatever the index could not read
        return sized(files, set(found))
    if short is not None and len(short) == 1:
        found = short_candidates(snapshot, conn, short, check)
        if found is not None:
            return sized(files, {*found, *facts().truncated})
    return None


def sized(files: Catalog, chosen: set[int]) -> tuple[set[int], int]:
    """`chosen` and the total size of its blobs, as the signed file list gives it."""
    sizes = files.sizes
    named = filter(len(sizes).__gt__, chosen)  # rowids are >= 0
    return chosen, max(0, sum(map(sizes.__getitem__, named)))  # -1: named by no file
