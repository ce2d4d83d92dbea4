"""A large content checked chunk by chunk, as it is read (docs/snapshot-format.md §2.1).

`ChunkedContent` serves lines of a content that has a signed chunk list. A chunk
is read once, its SHA-256, line-feed count and plain flag compared with the
list the manifest seals, and only then kept; every byte served comes from kept
(checked) chunks, never from the snapshot file again. Where each line starts is
found from the signed line-feed counts and the checked chunk's own line feeds,
so the stored line index is not used. A chunk that does not match raises
`ChunkChanged` and nothing more of the content is served (the session refuses
the file). Thread-safe: views and the flag scan may read from worker threads.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from array import array
from bisect import bisect_left
from itertools import accumulate

from .chunks import ChunkRow, count, is_plain
from .store import Snapshot


class ChunkChanged(ValueError):
    """A chunk that is not what the vendor signed (the message says how)."""


class ChunkedContent:
    def __init__(self, snapshot: Snapshot, row: ChunkRow, size: int, chunk_size: int) -> None:
        self._snapshot = snapshot
        self._row = row
        self.size = size
        self.chunk_size = chunk_size
        self.lines = row.lines
        self.widest = row.widest
        self.chunks = count(size, chunk_size)
        self._before = [0, *accumulate(row.feeds)]  # line feeds before each chunk
        self._kept: dict[int, tuple[bytes, array[int]]] = {}
        self._refused: str | None = None
        self._lock = threading.Lock()

    @property
    def plain(self) -> tuple[bool, ...]:
        """Whether each chunk was signed as plain (no byte the sanitizer tags)."""
        return self._row.plain

    @property
    def checked(self) -> int:
        """Bytes of content checked and kept so far."""
        return sum(len(d) for d, _ in self._kept.values())

    def chunk(self, i: int) -> tuple[bytes, array[int]]:
        """Chunk `i`'s checked bytes and the offsets of its line feeds in it. Raises
        ChunkChanged if it is not the signed chunk (then and for every later call)."""
        with self._lock:
            if self._refused is not None:
                raise ChunkChanged(self._refused)
            kept = self._kept.get(i)
            if kept is None:
                try:
                    kept = self._kept[i] = self._check(i)
                except ChunkChanged as exc:
                    self._refused = str(exc)
                    raise
            return kept

    def _check(self, i: int) -> tuple[bytes, array[int]]:
        at = i * self.chunk_size
        want = min(self.chunk_size, self.size - at)
        blob = self._row.blob
        try:
            data = self._snapshot.read(blob, at, want)
        except (KeyError, sqlite3.DatabaseError, ValueError, MemoryError) as exc:
            raise ChunkChanged(f"chunk {i} of its content cannot be read: {exc}") from None
        if len(data) != want or hashlib.sha256(data).digest() != self._row.hashes[i]:
            raise ChunkChanged(
                f"chunk {i} of its content (bytes {at}-{at + want - 1}) was changed after "
                f"signing: it does not hash to the signed chunk hash {self._row.hashes[i].hex()}"
            )
        feeds = array("I")
        find, pos = data.find, data.find(b"\n")
        while pos >= 0:
            feeds.append(pos)
            pos = find(b"\n", pos + 1)
        if len(feeds) != self._row.feeds[i] or is_plain(data) != self._row.plain[i]:
            raise ChunkChanged(f"chunk {i} of its content does not match its signed facts")
        return data, feeds

    def read(self, start: int, stop: int) -> bytes:
        """Content bytes [start, stop), from checked chunks. Raises ChunkChanged."""
        start, stop = max(0, start), min(stop, self.size)
        if start >= stop:
            return b""
        cs = self.chunk_size
        first, last = start // cs, (stop - 1) // cs
        if first == last:
            data = self.chunk(first)[0]
            return data[start - first * cs : stop - first * cs]
        parts = [self.chunk(i)[0] for i in range(first, last + 1)]
        joined = b"".join(parts)
        return joined[start - first * cs : stop - first * cs]

    def feed(self, k: int) -> int:
        """The offset of the line feed numbered `k` (0-based), or the size if the
        content has no more line feeds. Raises ChunkChanged."""
        if k >= self._before[-1]:
            return self.size
        i = bisect_left(self._before, k + 1) - 1  # the chunk holding feed k
        return i * self.chunk_size + self.chunk(i)[1][k - self._before[i]]

    def span(self, line: int) -> tuple[int, int]:
        """Line `line`'s bytes [start, end), without its line feed (§2)."""
        start = 0 if line == 0 else self.feed(line - 1) + 1
        return start, self.feed(line)

    def line_bytes(self, first: int, stop: int) -> list[bytes]:
        """Lines [first, stop), without line feeds. Raises ChunkChanged."""
        first, stop = max(first, 0), min(stop, self.lines)
        if first >= stop:
            return []
        start = self.span(first)[0]
        end = self.span(stop - 1)[1]
        return self.read(start, end).split(b"\n")

    def lines_of_chunk(self, i: int) -> tuple[int, int]:
        """The lines [first, stop) that hold a byte of chunk `i` (at most one more)."""
        return self._before[i], min(self._before[i + 1] + 1, self.lines)

    def prove(self) -> str | None:
        """Check the first and last chunks and that the signed line count follows
        from the signed line-feed counts and the last byte; why not, or None.
        Raises ChunkChanged."""
        self.chunk(0)
        last = self.chunk(self.chunks - 1)[0]
        ends = last.endswith(b"\n")
        if self.lines != self._before[-1] + (0 if ends else 1):
            return f"its signed line count {self.lines} does not match its content"
        return None
