"""The verified index of each ledger a who-viewed question is asked over.

`load_indexes` takes each ledger's `SessionIndex` from the verification cache,
keyed by its exact bytes (`cache.ledger_key`), or verifies the ledger now
(`fresh_index`) and stores the result when the file did not change while it
was read. `cut_index` credits a fork's index with its common part only (ADR
0308). `whoviewed` answers over the indexes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from .cache import Cache, Stamp, keyed
from .sessionindex import SessionIndex, UnreadableIndex
from .timeline import cut_timeline, read_timeline


def load_indexes(
    paths: Sequence[Path],
    trust: Sequence[bytes],
    cache: Cache | None = None,
    progress: Callable[[Path], None] | None = None,
) -> tuple[list[SessionIndex], set[str]]:
    """A verified index per ledger, and the paths whose index came from the cache.
    Raises OSError when a ledger cannot be read."""
    keys: list[tuple[bytes, Stamp] | None] = [None] * len(paths)
    if cache is not None:
        # Hashing every ledger is most of a cached query; hashlib and reads release
        # the GIL, so threads use every core.
        with ThreadPoolExecutor(len(os.sched_getaffinity(0))) as pool:
            keys = list(pool.map(lambda p: keyed(p, trust), paths))
    out, cached = [], set()
    for path, taken in zip(paths, keys, strict=True):
        key = None if taken is None else taken[0]
        index = None
        if cache is not None and key is not None and (record := cache.get(key)) is not None:
            try:
                index = SessionIndex.from_record(
                    str(path), record, lambda p, d, k=key: cache.part(k, p, d)
                )
                cached.add(str(path))
            except UnreadableIndex:
                index = None
        if index is None:
            index = fresh_index(path, trust, cache, taken)
        out.append(index)
        if progress is not None:
            progress(path)
    return out, cached


def fresh_index(
    path: Path,
    trust: Sequence[bytes],
    cache: Cache | None = None,
    taken: tuple[bytes, Stamp] | None = None,
) -> SessionIndex:
    """Verify the ledger now and index it; store the result if the file did not change
    while it was read (`taken`: its content key and stamp from before, `keyed`).
    Equal keys alone are not enough: a file swapped for another while it was
    verified and swapped back has the same key after; its stamp differs."""
    if cache is not None and taken is None:
        taken = keyed(path, trust)
    # Decode everything: the TAMPERED policy is applied per query, not cached.
    index = SessionIndex.from_timeline(read_timeline(path, trust, include_tampered=True))
    if cache is not None and taken is not None and keyed(path, trust) == taken:
        cache.put(taken[0], *index.to_record())
    return index


def cut_index(index: SessionIndex, trust: Sequence[bytes], last: int) -> SessionIndex:
    """`index` credited with its entries 1..`last` only (a fork's common part, ADR
    0308): verified again and cut. A file that no longer ends at the head judged
    first is credited with nothing."""
    t = read_timeline(Path(index.path), trust, include_tampered=True)
    same = t.verdict.summary.get("head") == index.verdict.summary.get("head")
    cut_timeline(t, last if same else -1)
    return SessionIndex.from_timeline(t)
