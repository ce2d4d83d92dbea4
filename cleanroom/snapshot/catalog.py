"""The file list a search walks: every file in path order, with its blob's rowid.

Read once per open snapshot and shared by its searches (`catalog`). Blob rowids
follow the order in which the tree walk met each content, which is path order,
so the index's answer (ascending by rowid) can be merged into path order lazily
(`Catalog.in_path_order`): a file is given as soon as no unread rowid can come
before it, which is almost at once.

Display paths are derived from the signed paths when first asked for
(`Displays`), not read from the files table: a search without path globs
sanitizes only the paths of its hits, and one with globs each path once per
open snapshot (ADR 0305), keeping only displays of ordinary length (ADR 0306).
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from heapq import heappop, heappush

from .store import Snapshot
from .walk import display_path

Row = tuple  # (rowid,) or (rowid, size, content | None, line index | None)


KEPT_DISPLAY = 1024  # characters: a longer display is derived again when asked for


class Displays:
    """`displays[i]`: the display form of `paths[i]` (`walk.display_path`), derived
    when first asked for and kept if at most `KEPT_DISPLAY` characters. A printable
    ASCII path is its own display. A glob search asks for every path's display once:
    20,000 hostile 3 KB paths make ~9,000-character displays, 360 MB if all were
    kept; only a hit's is asked for again, and deriving it is cheap (`clean`)."""

    __slots__ = ("_made", "_paths")

    def __init__(self, paths: list[bytes]) -> None:
        self._paths = paths
        self._made: dict[int, str] = {}

    def __len__(self) -> int:
        return len(self._paths)

    def __getitem__(self, i: int) -> str:
        made = self._made.get(i)
        if made is None:
            made = display_path(self._paths[i])
            if len(made) <= KEPT_DISPLAY:
                self._made[i] = made
        return made


@dataclass(frozen=True)
class Catalog:
    """Every file in path order, with its blob's rowid; and for merging the index's
    answer (in rowid order) into path order: each blob's paths, and `bound[r]`, the
    least path position of any blob with rowid >= r. `sizes[r]` is the size of blob r
    as the signed file list gives it (-1 for a rowid no file names)."""

    paths: list[bytes]
    displays: Displays
    rowids: list[int]
    first: dict[int, int]  # rowid -> position of its first path
    more: dict[int, list[int]]  # rowid -> positions of its other paths
    bound: array[int]
    sizes: array[int] = field(default_factory=lambda: array("q"))

    def in_path_order(self, rows: Iterator[Row]) -> Iterator[tuple[int, Row]]:
        """(position, row) for every file whose blob is in `rows` (ascending by rowid),
        in path order. A position is given once no unread row can precede it; since
        blobs are numbered in walk (path) order, that is almost at once. A blob's
        other paths, and a row that must wait, keep only the rowid (its content is
        read again when its turn comes), so memory stays bounded."""
        heap: list[tuple[int, Row]] = []
        bound, more, top = self.bound, self.more, len(self.bound) - 1
        for row in rows:
            rowid = row[0]
            low = bound[rowid + 1] if rowid < top else len(self.paths)
            first = self.first.get(rowid)
            if not heap and first is not None and first < low and rowid not in more:
                yield first, row  # the usual case: in order, one path, nothing waiting
                continue
            if first is not None:
                heappush(heap, (first, row if first < low else (rowid,)))
                for i in self.more.get(rowid, ()):
                    heappush(heap, (i, (rowid,)))
            while heap and heap[0][0] < low:
                yield heappop(heap)
        while heap:
            yield heappop(heap)

    @classmethod
    def of(cls, files: Iterable[tuple[bytes, int]], sizes: array[int] | None = None) -> Catalog:
        """From (path, blob rowid) in path order."""
        paths: list[bytes] = []
        rowids: list[int] = []
        first: dict[int, int] = {}
        more: dict[int, list[int]] = {}
        for path, rowid in files:
            if rowid in first:
                more.setdefault(rowid, []).append(len(paths))
            else:
                first[rowid] = len(paths)
            paths.append(path)
            rowids.append(rowid)
        top = max(rowids, default=0)
        bound = array("q", [len(paths)]) * (top + 2)
        for rowid, i in first.items():
            bound[rowid] = i
        for r in range(top, -1, -1):
            bound[r] = min(bound[r], bound[r + 1])
        return cls(paths, Displays(paths), rowids, first, more, bound, sizes or array("q"))


_CATALOGS: weakref.WeakKeyDictionary[Snapshot, Catalog] = weakref.WeakKeyDictionary()
_CATALOGS_LOCK = threading.Lock()


def catalog(snapshot: Snapshot, conn: sqlite3.Connection) -> Catalog:
    """The file list of `snapshot`, read once per open snapshot."""
    with _CATALOGS_LOCK:
        found = _CATALOGS.get(snapshot)
        if found is None:
            found = _CATALOGS[snapshot] = read_catalog(conn)
        return found


def read_catalog(conn: sqlite3.Connection) -> Catalog:
    rowid_of = dict(conn.execute("SELECT hash, rowid FROM blobs"))
    sizes = array("q", [-1]) * (max(rowid_of.values(), default=0) + 1)
    files = conn.execute("SELECT path, blob, size FROM files WHERE kind = 'file' ORDER BY path")
    listed = []
    for path, blob, size in files:
        rowid = rowid_of.get(blob)
        if rowid is None:
            continue  # a file whose blob is missing is for `verify` to report
        listed.append((path, rowid))
        sizes[rowid] = size
    return Catalog.of(listed, sizes)
