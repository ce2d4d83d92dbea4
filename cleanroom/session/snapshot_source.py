"""A vendor-signed snapshot as the source of a review (`Source` for the viewer).

Content is read on demand through the snapshot's line index, so opening a
100 MB file costs a lookup, not a read of the whole file.
"""

from __future__ import annotations

from pathlib import Path

from ..ledger.events import SnapshotRef
from ..snapshot.search import Query, Search, search
from ..snapshot.store import FileInfo, Snapshot
from ..snapshot.walk import Kind
from .document import HexDocument
from .source import Entry, Opened, scan_blob

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

    def size_of(self, path: bytes) -> int:
        try:
            return self.snapshot.stat(path).size
        except FileNotFoundError as exc:
            raise KeyError(path) from exc

    def open(self, path: bytes) -> Opened:
        try:
            info = self.snapshot.stat(path)
        except FileNotFoundError as exc:
            raise KeyError(path) from exc
        if info.kind is not Kind.FILE or info.blob is None:
            raise KeyError(path)
        blob = self.snapshot.blob(info.blob)
        if blob.binary:
            read = lambda offset, n: self.snapshot.read(info.blob, offset, n)  # noqa: E731
            doc = HexDocument(read, blob.size, path, info.blob.hex())
            return Opened(path, doc, info.blob.hex(), blob.size, doc.line_count)
        document = SnapshotDocument(self.snapshot, info, blob.lines)
        read = lambda offset, n: self.snapshot.read(info.blob, offset, n)  # noqa: E731
        flags, flagged = scan_blob(read, document.lines, blob.size, blob.lines)
        return Opened(path, document, info.blob.hex(), blob.size, blob.lines, flags, flagged)
