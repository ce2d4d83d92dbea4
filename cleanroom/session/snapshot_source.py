"""A vendor-signed snapshot as the source of a review (`Source` for the viewer).

Before any of a file's content is shown, it is read into memory and checked
against the signed hash (`snapshot.content`), and everything shown of it comes
from the bytes checked: a write to the snapshot file afterwards cannot reach the
screen. A file that fails is refused for the rest of the session
(`ContentRefused`). The checked contents of recently opened files are kept, up
to CONTENT_CACHE_BYTES, so moving between files does not read them again.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections import OrderedDict
from itertools import groupby, islice
from operator import attrgetter, sub
from pathlib import Path
from typing import Any

from ..ledger.events import SnapshotRef
from ..snapshot.blobs import unpack_line_index
from ..snapshot.chunked import ChunkedContent
from ..snapshot.chunks import row_problem
from ..snapshot.content import CheckedContent, changed, checked_content
from ..snapshot.hit_check import hit_problems
from ..snapshot.search import Query, Search, search
from ..snapshot.store import FileInfo, Snapshot
from ..snapshot.walk import Kind
from .chunked_document import open_chunked
from .document import HexDocument
from .flag_scan import FAST_SCAN_BYTES, scan_content
from .source import MAX_OPEN_BYTES, ContentRefused, Entry, Opened, TooLarge, scan_blob, too_large

WIDTH_SCAN_LINES = 200_000  # beyond this, the widest line is not measured up front


CONTENT_CACHE_BYTES = 256 << 20  # checked contents kept for reopening (the newest always)
KEEP_CHUNKED = 2  # chunked contents kept for reopening, with the chunks checked so far


class SnapshotDocument:
    """A text file, served from its checked bytes."""

    def __init__(self, info: FileInfo, content: CheckedContent) -> None:
        assert info.blob is not None
        self._content = content
        self.raw_path = info.path
        self.name = info.display
        self.blob = info.blob.hex()
        self.binary = False
        self.line_count = len(content.starts)
        self.max_line_bytes = _widest(content)

    def lines(self, first: int, stop: int) -> list[bytes]:
        """Lines [first, stop), without line feeds, as `Snapshot.read_lines` gives them.
        An empty file (no line: `line_count` 0, its signed count) is shown as one
        empty line, as `BytesDocument` shows it (docs/protocol.md §5)."""
        data, starts = self._content.data, self._content.starts
        if not starts:
            return [b""] if first <= 0 < stop else []
        first, stop = max(first, 0), min(stop, len(starts))
        out = []
        for i in range(first, stop):
            end = starts[i + 1] - 1 if i + 1 < len(starts) else len(data)
            if i + 1 == len(starts) and data.endswith(b"\n"):
                end -= 1
            out.append(data[starts[i] : end])
        return out


def _widest(content: CheckedContent) -> int:
    starts = content.starts
    if not starts:
        return 0
    if len(starts) > WIDTH_SCAN_LINES:
        return 1 << 20  # the viewer caps what it draws anyway
    last = len(content.data) + 1 - starts[-1]  # no copy of the index: it may be large
    return max(max(map(sub, islice(starts, 1, None), starts), default=0), last) - 1


class SnapshotSource:
    def __init__(self, snapshot: Snapshot, path: Path | None = None) -> None:
        self.snapshot = snapshot
        self.path = path  # the file, for the guard's accounting of our own opens
        m = snapshot.manifest
        self.name = f"{m.name} {m.version}"
        self.ref = SnapshotRef(id=snapshot.id, root=m.root)
        self._files: list[bytes] | None = None
        self._refused: dict[tuple[bytes, int], str] = {}  # why a content is refused
        self._contents: OrderedDict[tuple[bytes, int], CheckedContent] = OrderedDict()
        self._chunked: OrderedDict[tuple[bytes, int], ChunkedContent] = OrderedDict()
        self._lock = threading.Lock()  # search vets its hits from a worker thread

    @classmethod
    def from_file(cls, path: Path, trust: list[bytes]) -> SnapshotSource:
        return cls(Snapshot.open(path, trust), Path(path))

    def children(self, path: bytes, limit: int | None = None) -> list[Entry]:
        entries = [
            Entry(i.path, i.name, i.kind is Kind.DIR, i.kind.value, i.size)
            for i in self.snapshot.listdir(path, limit)
        ]
        return sorted(entries, key=lambda e: (not e.is_dir, e.name))

    def search(self, query: Query) -> Search:
        return search(self.snapshot, query)

    def files(self) -> list[bytes]:
        if self._files is None:
            self._files = [i.path for i in self.snapshot.files() if i.kind is Kind.FILE]
        return self._files

    def refusal(self, path: bytes) -> str | None:
        """Why the file's content may not be shown, or None (see `_checked`)."""
        checked = self._checked(self._file(path))
        return checked if isinstance(checked, str) else None

    def _checked(self, info: FileInfo) -> CheckedContent | str:
        """The file's content as checked, or why it is refused: a refusal stands for
        the session; a checked content is kept while the cache has room for it."""
        assert info.blob is not None
        key = (info.blob, info.size)
        known = self._known(key)
        if known is not None:
            return known
        checked = checked_content(self.snapshot, info.blob, info.size)
        with self._lock:
            if isinstance(checked, str):
                self._refused[key] = checked
                return checked
            self._contents[key] = checked
            kept = sum(len(c.data) for c in self._contents.values())
            while kept > CONTENT_CACHE_BYTES and len(self._contents) > 1:
                kept -= len(self._contents.popitem(last=False)[1].data)
        return checked

    def _known(self, key: tuple[bytes, int]) -> CheckedContent | str | None:
        """The content kept for `key` (now the most recent), its refusal, or None."""
        with self._lock:
            if key in self._refused:
                return self._refused[key]
            if key in self._contents:
                self._contents.move_to_end(key)
                return self._contents[key]
        return None

    def hit_refusals(self, hits: list[Any]) -> list[str | None]:
        """Why each search hit may not be shown, or None (`snapshot.hit_check`): its
        text must be that line of its file's content, and that content must hash to
        the signed hash. The bytes compared are the bytes hashed (or a content
        already checked), never read again in between. Hits come in path order."""
        out: list[str | None] = []
        for path, group in groupby(hits, key=attrgetter("path")):
            same = list(group)
            try:
                info = self._file(path)  # a search through a swapped file may name others
            except KeyError:
                out += ["it is not a file of the checked snapshot"] * len(same)
                continue
            assert info.blob is not None
            data_or_why = self._hit_content(info)
            if isinstance(data_or_why, str):
                out += [data_or_why] * len(same)
            else:
                out += hit_problems(data_or_why.data, data_or_why.starts, same)
        return out

    def _hit_content(self, info: FileInfo) -> CheckedContent | str:
        """A content to vet hits against: the checked one if kept, else the bytes read
        now and hashed (the stored line index only finds the line; hit_problems
        proves its number by counting line feeds)."""
        assert info.blob is not None
        known = self._known((info.blob, info.size))
        if known is not None:
            return known
        if info.size > MAX_OPEN_BYTES:
            return too_large(info.size)
        try:
            data = self.snapshot.read(info.blob, 0, self.snapshot.blob(info.blob).size)
            starts = unpack_line_index(self.snapshot.line_index_bytes(info.blob))
        except (KeyError, sqlite3.DatabaseError, ValueError, MemoryError) as exc:
            return f"its content cannot be read: {exc}"
        actual = hashlib.sha256(data).digest()
        if actual != info.blob or len(data) != info.size:
            return changed(actual, info.blob)
        return CheckedContent(data, starts)

    def size_of(self, path: bytes) -> int:
        try:
            return self.snapshot.stat(path).size
        except FileNotFoundError as exc:
            raise KeyError(path) from exc

    def open(self, path: bytes) -> Opened:
        info = self._file(path)
        assert info.blob is not None
        if info.size > MAX_OPEN_BYTES:  # refused before a byte is read
            raise TooLarge(path, info.display, too_large(info.size))
        if info.blob in self.snapshot.chunk_rows:
            opened = self._open_chunked(info)
            if opened is not None:
                return opened
        checked = self._checked(info)
        if isinstance(checked, str):
            raise ContentRefused(path, info.display, checked)
        data = checked.data
        if self.snapshot.blob(info.blob).binary:
            read = lambda offset, n: data[offset : offset + n]  # noqa: E731
            doc = HexDocument(read, len(data), path, info.blob.hex())
            return Opened(path, doc, info.blob.hex(), len(data), doc.line_count)
        document = SnapshotDocument(info, checked)
        lines = document.line_count
        if len(data) >= FAST_SCAN_BYTES:
            flags, flagged = scan_content(data, checked.starts)
        else:
            read = lambda offset, n: data[offset : offset + n]  # noqa: E731
            flags, flagged = scan_blob(read, document.lines, len(data), lines)
        return Opened(path, document, info.blob.hex(), len(data), lines, flags, flagged)

    def _open_chunked(self, info: FileInfo) -> Opened | None:
        """A file with a signed chunk list, opened from the chunks a first screen
        needs (`chunked_document`); None if it is binary (checked whole). A refusal,
        now or at a later view, stands for the session."""
        assert info.blob is not None
        key = (info.blob, info.size)
        with self._lock:
            why = self._refused.get(key)
            content = self._chunked.get(key)
        if why is not None:
            raise ContentRefused(info.path, info.display, why)
        row = self.snapshot.chunk_rows[info.blob]
        assert self.snapshot.manifest.chunks is not None
        chunk_size = self.snapshot.manifest.chunks.size
        try:
            why = row_problem(row, info.size, chunk_size)
            if why is not None:
                raise ContentRefused(info.path, info.display, why)
            blob = self.snapshot.blob(info.blob)
            if content is None:
                content = ChunkedContent(self.snapshot, row, info.size, chunk_size)
            opened = open_chunked(info, blob, content, lambda why: self._refuse(key, why))
        except KeyError:
            why = f"its content {info.blob.hex()} is not stored"
            raise ContentRefused(info.path, info.display, why) from None
        except ContentRefused as exc:
            self._refuse(key, exc.why)
            raise
        with self._lock:
            self._chunked[key] = content
            self._chunked.move_to_end(key)
            while len(self._chunked) > KEEP_CHUNKED:
                self._chunked.popitem(last=False)
        return opened

    def _refuse(self, key: tuple[bytes, int], why: str) -> None:
        with self._lock:
            self._refused[key] = why
            self._chunked.pop(key, None)

    def _file(self, path: bytes) -> FileInfo:
        try:
            info = self.snapshot.stat(path)
        except FileNotFoundError as exc:
            raise KeyError(path) from exc
        if info.kind is not Kind.FILE or info.blob is None:
            raise KeyError(path)
        return info
