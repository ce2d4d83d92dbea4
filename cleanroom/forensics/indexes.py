"""The verified index of each ledger a who-viewed question is asked over.

`load_indexes` takes each ledger's `SessionIndex` from the verification cache,
keyed by its exact bytes (`cache.ledger_key`), or verifies the ledger now
(`fresh_index`): from a private copy whose key it stores the result under, so
the verdict cached is the verdict on the bytes keyed (ADR 0314). `cut_index`
credits a fork's index with its common part only (ADR 0308). `whoviewed`
answers over the indexes.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from ..ledger.load import LIVE_DAMAGE
from ..ledger.private_dir import private_dir
from .cache import Cache, ledger_key
from .keyed_copy import copy_ledger
from .sessionindex import SessionIndex, UnreadableIndex
from .timeline import Timeline, cut_timeline, read_timeline


def load_indexes(
    paths: Sequence[Path],
    trust: Sequence[bytes],
    cache: Cache | None = None,
    progress: Callable[[Path], None] | None = None,
) -> tuple[list[SessionIndex], set[str]]:
    """A verified index per ledger, and the paths whose index came from the cache.
    Raises OSError when a ledger cannot be read."""
    keys: list[bytes | None] = [None] * len(paths)
    if cache is not None:
        # Hashing every ledger is most of a cached query; hashlib and reads release
        # the GIL, so threads use every core.
        with ThreadPoolExecutor(len(os.sched_getaffinity(0))) as pool:
            keys = list(pool.map(lambda p: ledger_key(p, trust), paths))
    out, cached = [], set()
    for path, key in zip(paths, keys, strict=True):
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
            index = fresh_index(path, trust, cache)
        out.append(index)
        if progress is not None:
            progress(path)
    return out, cached


def fresh_index(path: Path, trust: Sequence[bytes], cache: Cache | None = None) -> SessionIndex:
    """Verify the ledger now and index it. With a cache, the ledger is verified from
    a private copy (`keyed_copy`) and the result stored under the copy's key: the
    bytes judged are the bytes keyed, whatever is renamed in the evidence meanwhile
    (atk14, ADR 0314). A ledger that cannot be copied so is verified by path and
    not stored; so is one whose copy reads as damaged while the file has moved
    since (a session still writing), as the loader reads a live session again. A
    copy that reads as damaged is never stored: the damage may be the machine's
    (no space, a read too slow), and would stand for the bytes in every later
    answer (atk14b)."""
    if cache is not None:
        with contextlib.ExitStack() as stack:
            try:
                copy = copy_ledger(path, stack.enter_context(private_dir()))
            except OSError:  # gone, changed kind, no space, no private directory:
                copy = None  # verified as without a cache
            if copy is not None:
                key = ledger_key(copy, trust)
                # Decode everything: the TAMPERED policy is applied per query, not cached.
                t = read_timeline(copy, trust, include_tampered=True, name=str(path))
        if copy is not None and not _damaged(t):
            index = SessionIndex.from_timeline(t)
            cache.put(key, *index.to_record())
            return index
        # Damage may be this machine's, not the bytes' (atk14b): a disk full or a
        # read that took too long while the loader copied or read the copy says
        # NOT_SQLITE or CORRUPT. It is answered, never stored.
        if copy is not None and not _moved(path, trust, key):
            return SessionIndex.from_timeline(t)
    return SessionIndex.from_timeline(read_timeline(path, trust, include_tampered=True))


def _damaged(t: Timeline) -> bool:
    return any(f.code in LIVE_DAMAGE for f in t.verdict.findings)


def _moved(path: Path, trust: Sequence[bytes], key: bytes) -> bool:
    try:
        return ledger_key(path, trust) != key
    except OSError:
        return True


def cut_index(index: SessionIndex, trust: Sequence[bytes], last: int) -> SessionIndex:
    """`index` credited with its entries 1..`last` only (a fork's common part, ADR
    0308): verified again and cut. A file that no longer ends at the head judged
    first is credited with nothing."""
    t = read_timeline(Path(index.path), trust, include_tampered=True)
    same = t.verdict.summary.get("head") == index.verdict.summary.get("head")
    cut_timeline(t, last if same else -1)
    return SessionIndex.from_timeline(t)
