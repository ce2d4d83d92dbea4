"""A ledger's spilled entries, read back as a sequence, a chunk at a time.

Every pass over a `Spilled` sequence reads its chunks from the `Store` again and
builds the entries from their records (`build`), unless a chunk is cached. The
cache is shared by every sequence of the process and holds at most
`CACHE_RECORDS` records: chunks are kept in the order they are first read until
it is full, and never evicted (a pass over a ledger larger than the cache reads
the same chunks again each time, rather than evicting each chunk before the next
pass needs it). Memory is so bounded by the cache, whatever the entries.
"""

from __future__ import annotations

import bisect
import itertools
import marshal
import weakref
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar, overload

from .store import Chunk, Store

T = TypeVar("T")
CACHE_RECORDS = 1 << 17  # about 80 MB of decoded entries at the most


class _Budget:
    """Records the caches of this process may still hold."""

    def __init__(self, records: int) -> None:
        self.left = records

    def take(self, n: int) -> bool:
        if n > self.left:
            return False
        self.left -= n
        return True

    def give(self, n: int) -> None:
        self.left += n


BUDGET = _Budget(CACHE_RECORDS)


class Spilled(Sequence[T]):
    """The items built from the records of `chunks` in `store`, in order; with
    `last`, only those whose `seq` is at most `last` (a fork's common part)."""

    def __init__(
        self,
        store: Store,
        chunks: list[Chunk],
        build: Callable[[tuple[Any, ...]], T],
        last: int | None = None,
        cached: dict[int, list[T]] | None = None,
    ) -> None:
        """`cached`: items already built from some chunks (by chunk index), with the
        budget they took from `BUDGET`, which this sequence gives back when it goes."""
        self._store, self._chunks, self._build, self._last = store, chunks, build, last
        self._cache: dict[int, list[T]] = dict(cached or {})
        # records cached, given back to the budget when this goes
        self._held = [sum(len(x) for x in self._cache.values())]
        weakref.finalize(self, _give_back, self._held)
        if last is None:
            self._starts = list(itertools.accumulate((c.count for c in chunks), initial=0))
            self._len = self._starts[-1]
        else:
            self._starts = []
            self._len = sum(1 for _ in self)

    def _items(self, i: int) -> list[T]:
        found = self._cache.get(i)
        if found is not None:
            return found
        build = self._build
        # Our own unnamed file, written only by this process and its forked children
        # (store.py): never a file another party could have given.
        records = marshal.loads(self._store.read(self._chunks[i]))  # noqa: S302
        items = [build(r) for r in records]
        if len(items) != self._chunks[i].count:
            raise OSError("spill file: a chunk holds other records than were written")
        if BUDGET.take(len(items)):
            self._cache[i] = items
            self._held[0] += len(items)
        return items

    def __iter__(self) -> Iterator[T]:
        last = self._last
        for i in range(len(self._chunks)):
            items = self._items(i)
            if last is None:
                yield from items
                continue
            for item in items:
                if item.seq > last:  # type: ignore[attr-defined]
                    return
                yield item

    def __len__(self) -> int:
        return self._len

    @overload
    def __getitem__(self, index: int) -> T: ...
    @overload
    def __getitem__(self, index: slice) -> list[T]: ...
    def __getitem__(self, index: int | slice) -> T | list[T]:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._len)
            if step != 1 or self._last is not None:
                return list(self)[index]
            return list(itertools.islice(self._from(start), max(0, stop - start)))
        if index < 0:
            index += self._len
        if not 0 <= index < self._len:
            raise IndexError("spilled entry index out of range")
        if self._last is not None:
            return next(itertools.islice(iter(self), index, None))
        return next(self._from(index))

    def _from(self, index: int) -> Iterator[T]:
        """The items from position `index` on (no `last`)."""
        i = bisect.bisect_right(self._starts, index) - 1
        skip = index - self._starts[i] if i >= 0 else 0
        for k in range(max(i, 0), len(self._chunks)):
            items = self._items(k)
            yield from items[skip:] if skip else items
            skip = 0

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str | bytes):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other, strict=True))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def cut(self, last: int) -> Spilled[T]:
        """Only the items whose seq is at most `last`."""
        mine = last if self._last is None else min(last, self._last)
        return Spilled(self._store, self._chunks, self._build, mine)

    def __repr__(self) -> str:
        return f"<{len(self)} spilled entries>"


def _give_back(held: list[int]) -> None:
    BUDGET.give(held[0])
