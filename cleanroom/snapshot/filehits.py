"""Hits in one file's content: its text read chunk by chunk, each line that
matches a `Plan` made a `Hit` (or, past the kept ones, a digest record in bulk),
and how far the pass has got (`Progress`).

Both a `Search` in this process (search.py) and a worker process (scanworkers.py)
call `file_hits`; keeping it apart lets each import it without importing the other.
"""

from __future__ import annotations

import sqlite3
import sys
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from .blobs import SNIFF, unpack_line_index
from .candidates import CHUNK
from .catalog import Row
from .query import Plan, SearchCancelled
from .results import MAX_TEXT, Hit, window

BATCH = 64  # hits made at a time: few enough that a first page costs what it finds
_new = tuple.__new__  # builds a Hit without a Python-level __new__ call


@dataclass
class Progress:
    """How far a pass has got (read from any thread, for a status line)."""

    files: int = 0  # files whose content was searched
    bytes: int = 0  # content bytes read
    hits: int = 0
    worker_cpu: float = 0.0  # CPU seconds spent by worker processes (scanworkers)
    workers: int = 0  # worker processes the pass started


def file_hits(
    conn: sqlite3.Connection,
    path: bytes,
    display: str | None,
    row: Row,
    plan: Plan,
    progress: Progress,
    keep: int | None,
    cancelled: Callable[[], bool],
) -> Iterator[list[Hit]]:
    """One file's hits in batches of at most BATCH. `row` is (rowid, size, content,
    line index), content None for a large blob (read in chunks). The first `keep`
    hits counted by `progress` (None: all) are whole Hits; later ones only what the
    digest reads: (path, None, line, spans, more)."""
    rowid = row[0]
    _, _, content, index = row
    if content is not None:
        if content.find(b"\x00", 0, SNIFF) >= 0:
            return  # binary content (docs/snapshot-format.md §2) is not searched
        chunks: Iterator[tuple[int, bytes]] | list[tuple[int, bytes]] = [(0, content)]
    else:  # a large blob, in chunks
        chunks = _chunks(conn, rowid)
        if next(chunks, None) is None:
            return  # binary
    progress.files += 1
    starts: Sequence[int] | None = None  # the line index, unpacked at the first hit
    line = 0
    lines = plan.matcher.lines
    whole = 1 << 62 if keep is None else keep - progress.hits  # Hits still to make whole
    batch: list[Hit] = []
    add = batch.append
    for offset, data in chunks:
        progress.bytes += len(data)
        for start, end, spans, more in lines(data):
            if starts is None:
                starts = _starts(index) if index is not None else _index(conn, rowid)
            line = bisect_right(starts, offset + start, line) - 1
            if whole > 0:
                if end - start <= MAX_TEXT:
                    text, text_start = data[start:end], 0
                else:
                    text, text_start = window(data, start, end, spans[0][0])
                hit = (path, display, line, spans, more, text, text_start, end - start)
                add(_new(Hit, hit))
                whole -= 1
            else:
                add((path, None, line, spans, more))
            if len(batch) == BATCH:
                progress.hits += BATCH
                yield batch
                if cancelled():
                    raise SearchCancelled("the search was cancelled")
                batch = []
                add = batch.append
        if cancelled():
            raise SearchCancelled("the search was cancelled")
    if batch:
        progress.hits += len(batch)
        yield batch


def _chunks(conn: sqlite3.Connection, rowid: int) -> Iterator[tuple[int, bytes]]:
    """A large content as (offset, piece), in pieces of whole lines of about CHUNK bytes
    (a longer line is one piece). The first item is (0, b"") for text, and nothing
    follows it for binary content."""
    with conn.blobopen("blobs", "content", rowid, readonly=True) as blob:
        if b"\x00" in blob.read(SNIFF):
            return
        yield 0, b""
        blob.seek(0)
        offset = 0
        pending: list[bytes] = []
        while piece := blob.read(CHUNK):
            cut = piece.rfind(b"\n") + 1
            if cut == 0:
                pending.append(piece)
                continue
            data = b"".join([*pending, piece[:cut]])
            yield offset, data
            offset += len(data)
            pending = [piece[cut:]] if cut < len(piece) else []
        if pending:
            yield offset, b"".join(pending)


def _starts(index: bytes) -> Sequence[int]:
    """The line starts in a line index, without copying it where the machine's own byte
    order is the index's (little-endian): a file's hits look up only a few of them."""
    if _LITTLE and len(index) % 4 == 0:
        return memoryview(index).cast("I")
    return unpack_line_index(index)  # raises ValueError if malformed


_LITTLE = sys.byteorder == "little" and array("I").itemsize == 4


def _index(conn: sqlite3.Connection, rowid: int) -> array[int]:
    """The blob's line starts: the same index the viewer uses, so line numbers agree."""
    with conn.blobopen("blobs", "line_index", rowid, readonly=True) as blob:
        return unpack_line_index(blob.read())
