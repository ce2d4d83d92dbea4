"""A vendor-signed snapshot as the source of a review (`Source` for the viewer).

Content is read on demand through the snapshot's line index, so opening a
100 MB file costs a lookup, not a read of the whole file. Before any of a
file's content is shown, it is checked against the signed hash once per
session (`snapshot.content`); a file that fails is refused (`ContentRefused`).
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from itertools import groupby
from operator import attrgetter
from pathlib import Path
from typing import Any

from ..ledger.events import SnapshotRef
from ..snapshot.blobs import unpack_line_index
from ..snapshot.content import content_problem
from ..snapshot.hit_check import hit_problems
from ..snapshot.search import Query, Search, search
from ..snapshot.store import FileInfo, Snapshot
from ..snapshot.walk import Kind
from .document import HexDocument
from .source import ContentRefused, Entry, Opened, may_flag, scan_flags

WIDTH_SCAN_LINES = 200_000  # beyond this, the widest line is not measured up front


class SnapshotDocument:
    def __init__(self, snapshot: Snapshot, info: FileInfo, lines: int) -> None:
        assert info.blob is not None
        self._snapshot, self._blob = snapshot, info.blob
        self.raw_path = info.path
        self.name = info.display
        self.blob = info.blob.hex()
        self.binary = False
        self.line_count = lines
        self.max_line_bytes = _widest(snapshot, info.blob, lines)

    def lines(self, first: int, stop: int) -> list[bytes]:
        return self._snapshot.read_lines(self._blob, first, stop)


def _widest(snapshot: Snapshot, blob: bytes, lines: int) -> int:
    if lines == 0:
        return 0
    if lines > WIDTH_SCAN_LINES:
        return 1 << 20  # the viewer caps what it draws anyway
    starts = snapshot.line_index(blob) + [snapshot.blob(blob).size + 1]
    return max(b - a for a, b in zip(starts, starts[1:], strict=False)) - 1


class SnapshotSource:
    def __init__(self, snapshot: Snapshot, path: Path | None = None) -> None:
        self.snapshot = snapshot
        self.path = path  # the file, for the guard's accounting of our own opens
        m = snapshot.manifest
        self.name = f"{m.name} {m.version}"
        self.ref = SnapshotRef(id=snapshot.id, root=m.root)
        self._files: list[bytes] | None = None
        self._checked: dict[tuple[bytes, int], str | None] = {}  # why a content is refused
        self._hashed: dict[tuple[bytes, int], str | None] = {}  # hash only, for search hits
        self._lock = threading.Lock()  # search vets its hits from a worker thread

    @classmethod
    def from_file(cls, path: Path, trust: list[bytes]) -> SnapshotSource:
        return cls(Snapshot.open(path, trust), Path(path))

    def children(self, path: bytes) -> list[Entry]:
        entries = [
            Entry(i.path, i.name, i.kind is Kind.DIR, i.kind.value, i.size)
            for i in self.snapshot.listdir(path)
        ]
        return sorted(entries, key=lambda e: (not e.is_dir, e.name))

    def search(self, query: Query) -> Search:
        return search(self.snapshot, query)

    def files(self) -> list[bytes]:
        if self._files is None:
            self._files = [i.path for i in self.snapshot.files() if i.kind is Kind.FILE]
        return self._files

    def refusal(self, path: bytes) -> str | None:
        """Checked once per content per session: a content never changes under an
        open connection (the file is opened immutable and memory-mapped)."""
        info = self._file(path)
        assert info.blob is not None
        key = (info.blob, info.size)
        with self._lock:
            if key not in self._checked:
                self._checked[key] = content_problem(self.snapshot, info.blob, info.size)
            return self._checked[key]

    def hit_refusals(self, hits: list[Any]) -> list[str | None]:
        """Why each search hit may not be shown, or None (`snapshot.hit_check`): its
        file's content must hash to the signed hash (checked once per content per
        session) and its text must be that line of the content. Hits come in path order."""
        out: list[str | None] = []
        for path, group in groupby(hits, key=attrgetter("path")):
            same = list(group)
            try:
                info = self._file(path)  # a search through a swapped file may name others
                assert info.blob is not None
                data = self.snapshot.read(info.blob, 0, self.snapshot.blob(info.blob).size)
                starts = unpack_line_index(self.snapshot.line_index_bytes(info.blob))
            except KeyError:
                out += ["it is not a file of the checked snapshot"] * len(same)
                continue
            except (sqlite3.DatabaseError, ValueError, MemoryError) as exc:
                out += [f"its content cannot be read: {exc}"] * len(same)
                continue
            why = self._hash_problem(info, data)
            out += [why] * len(same) if why else hit_problems(data, starts, same)
        return out

    def _hash_problem(self, info: FileInfo, data: bytes) -> str | None:
        assert info.blob is not None
        key = (info.blob, info.size)
        with self._lock:
            if self._checked.get(key):  # the full check already refused it
                return self._checked[key]
            if key not in self._hashed:
                actual = hashlib.sha256(data).digest()
                self._hashed[key] = (
                    None
                    if actual == info.blob and len(data) == info.size
                    else f"its content was changed after signing: it hashes to {actual.hex()},"
                    f" signed {info.blob.hex()}"
                )
            return self._hashed[key]

    def open(self, path: bytes) -> Opened:
        info = self._file(path)
        assert info.blob is not None
        why = self.refusal(path)
        if why is not None:
            raise ContentRefused(path, info.display, why)
        blob = self.snapshot.blob(info.blob)
        if blob.binary:
            read = lambda offset, n: self.snapshot.read(info.blob, offset, n)  # noqa: E731
            doc = HexDocument(read, blob.size, path, info.blob.hex())
            return Opened(path, doc, info.blob.hex(), blob.size, doc.line_count)
        document = SnapshotDocument(self.snapshot, info, blob.lines)
        flags: dict[str, int] = {}
        flagged: list[int] = []
        if may_flag(self.snapshot.read(info.blob, 0, blob.size)):
            flags, flagged = scan_flags(document.lines(0, blob.lines))
        return Opened(path, document, info.blob.hex(), blob.size, blob.lines, flags, flagged)

    def _file(self, path: bytes) -> FileInfo:
        try:
            info = self.snapshot.stat(path)
        except FileNotFoundError as exc:
            raise KeyError(path) from exc
        if info.kind is not Kind.FILE or info.blob is None:
            raise KeyError(path)
        return info
