"""Read a snapshot for the viewer: directories, stat, and line ranges of any blob.

`Snapshot.open` checks the schema, the manifest signature, the files table
against the signed Merkle root and that the search index has a document for
every text blob (all cheap); it does not re-hash the content or the index:
`content.py` checks one blob before it is shown, `index_problem` the index, and
`verify_snapshot` everything. The checks that read a whole table (the files
table at open, the index in `index_problem`) read through SQLite's small page
cache rather than the memory map (`unmapped`), so that what they read does not
stay resident in the process: a long-lived reader (the recorder) holds only the
pages it serves. Reads return raw bytes; decoding and sanitizing
for display is the caller's job. Each lookup re-checks the key it asked for, so
a damaged index cannot silently answer with another row. Line numbers are
0-based and ranges half-open, like slices.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .blobs import unpack_line_index
from .chunks import ChunkRow, sealed_rows
from .index import index_digest
from .manifest import Manifest, ManifestError, parse, snapshot_id, trusted_signer
from .readonly import MMAP_BYTES, SnapshotFileError, as_file_error, connect
from .schema import schema_problems
from .signed_rows import rows_problem
from .symbols.table import V1_REFUSED, has_table, presence_problem, symbols_digest
from .walk import Kind, display_path

# `display` is not read: it is derived from the signed path when shown (FileInfo.display)
_FILE_COLUMNS = "path, kind, mode, size, blob, target, reason"
_STAT = f"SELECT {_FILE_COLUMNS} FROM files WHERE path = ?"  # noqa: S608 (constants only)
_ALL = f"SELECT {_FILE_COLUMNS} FROM files ORDER BY path"  # noqa: S608
_FILE_LINES = (
    "SELECT f.path, f.blob, b.lines, b.binary, b.size FROM files f JOIN blobs b"
    " ON b.hash = f.blob"
    " WHERE f.kind = 'file' ORDER BY f.path"
)
_FROM = (  # the paths in [low, end) in order, or from low on when end is NULL
    f"SELECT {_FILE_COLUMNS} FROM files WHERE path >= ? AND (? IS NULL OR path < ?)"  # noqa: S608
    " ORDER BY path"
)
_ROOT_MODE = 0o040555
_COVERAGE_RUN = 256  # below this many rowids, list the documents instead of halving


class SnapshotError(Exception):
    """The snapshot cannot be opened: not a snapshot, damaged, or not trusted."""


class SnapshotTampered(SnapshotError):
    """The snapshot is signed by a trusted key, but what it holds is not what was signed."""


@dataclass(frozen=True, slots=True)
class FileInfo:
    path: bytes
    kind: Kind
    mode: int
    size: int
    blob: bytes | None  # SHA-256 of the content, for a file
    target: bytes | None  # raw link target, for a link
    reason: str | None  # why it was skipped

    @property
    def display(self) -> str:
        """The path as it may be shown, derived from the signed path on each call (the
        stored column is not trusted, and sanitizing every name at open is costly)."""
        return display_path(self.path)

    @property
    def name(self) -> bytes:
        return self.path.rsplit(b"/", 1)[-1]


@dataclass(frozen=True, slots=True)
class BlobInfo:
    hash: bytes
    rowid: int
    size: int
    binary: bool
    lines: int


class Snapshot:
    """An open, signature-checked snapshot. Use as a context manager, or `close()`."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        manifest: Manifest,
        body: bytes,
        signer: bytes,
        path: Path | None = None,
    ):
        self._conn = conn
        self._closing: list[Callable[[], None]] = []  # threads to stop before the close
        self.path = path  # the file it was opened from (search opens its own connections)
        self.manifest = manifest
        self.manifest_bytes = body
        self.signer = signer  # the trusted raw vendor key that signed it
        self.id = snapshot_id(body)
        self._blobs: dict[bytes, BlobInfo] = {}
        # The signed chunk lists (§2.1) by blob, as checked at open; empty without.
        self.chunk_rows: dict[bytes, ChunkRow] = {}
        # Whether the symbols table was proved to be the signed one (its digest),
        # now or by a trusted record of an earlier check (session/symbols_check.py).
        self.symbols_verified = False

    @classmethod
    def open(cls, path: str | Path, trust: list[bytes]) -> Snapshot:
        """Open read-only. Raises SnapshotError unless the schema is exactly the snapshot
        schema, the manifest is signed by a key in `trust` and the search index has a
        document for every text blob (`index_gap`); SnapshotTampered if the files table
        is not the signed one (`rows_problem`); FileNotFoundError if absent."""
        try:
            # Search vets hits, and files open, in worker threads. Mapped once checked.
            conn = connect(Path(path), mmap=False, any_thread=True)
        except SnapshotFileError as exc:
            raise SnapshotError(f"{path}: {exc}") from exc
        try:
            problems = schema_problems(conn)
            if problems == [V1_REFUSED]:
                raise SnapshotError(f"{path}: refused: {V1_REFUSED}")
            if problems:
                raise SnapshotError(f"{path}: not a snapshot: {'; '.join(problems)}")
            rows = conn.execute("SELECT body, sig FROM manifest WHERE id = 1").fetchall()
            if len(rows) != 1 or not all(isinstance(v, bytes) for v in rows[0]):
                raise SnapshotError(f"{path}: the manifest is missing")
            body, sig = rows[0]
            manifest = parse(body)
            signer = trusted_signer(manifest, body, sig, trust)
            if signer is None:
                raise SnapshotError(f"{path}: the manifest is not signed by a trusted vendor key")
            gap = index_gap(conn)
            if gap is not None:
                raise SnapshotError(f"{path}: {gap}; run `cleanroom snapshot verify` on it")
            mismatch = presence_problem(has_table(conn), manifest.symbols is not None)
            if mismatch is not None:
                raise SnapshotTampered(f"{path}: refused: {mismatch}")
            changed = rows_problem(conn, manifest)
            signed = (
                None if manifest.chunks is None else (manifest.chunks.size, manifest.chunks.digest)
            )
            chunk_rows = sealed_rows(conn, signed)
            if changed is None and isinstance(chunk_rows, str):
                changed = chunk_rows
            if changed is not None:
                raise SnapshotTampered(
                    f"{path}: refused: the snapshot was changed after the vendor signed it: "
                    f"{changed}; `cleanroom snapshot verify` names what changed"
                )
        except ManifestError as exc:
            conn.close()
            raise SnapshotError(f"{path}: bad manifest: {exc}") from exc
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise SnapshotError(f"{path}: {as_file_error(exc)}") from exc
        except MemoryError as exc:  # SQLite's heap limit (ledger.guarded_sqlite)
            conn.close()
            raise SnapshotError(
                f"{path}: reading it needs more memory than a snapshot may"
            ) from exc
        except SnapshotError:
            conn.close()
            raise
        conn.execute(f"PRAGMA mmap_size = {MMAP_BYTES}")
        snapshot = cls(conn, manifest, body, signer, Path(path).absolute())
        assert not isinstance(chunk_rows, str)
        snapshot.chunk_rows = chunk_rows
        return snapshot

    def before_close(self, stop: Callable[[], None]) -> None:
        """Have `close` call `stop` first: it must return only once the work it
        stops (a thread reading a connection of its own) no longer reads."""
        self._closing.append(stop)

    def close(self) -> None:
        """Stop what `before_close` named, then close the connection. Once this
        returns, no thread this snapshot started reads the file: whoever owns the
        process's connections may close any of them (sqlite3 frees a connection's
        database handle under a statement another thread is running: a segfault)."""
        while self._closing:
            self._closing.pop()()
        self._conn.close()

    @contextlib.contextmanager
    def unmapped(self) -> Iterator[sqlite3.Connection]:
        """The snapshot's connection with its memory map dropped for the block, then
        set up again: a pass over much of the file reads through SQLite's page cache
        (a few MB) and leaves none of it resident in this process. Only while no
        other thread uses the connection (at start, before any search)."""
        (size,) = self._conn.execute("PRAGMA mmap_size").fetchone()
        self._conn.execute("PRAGMA mmap_size = 0")
        try:
            yield self._conn
        finally:
            self._conn.execute(f"PRAGMA mmap_size = {int(size)}")

    def index_problem(self) -> str | None:
        """Why the search index is not the one the vendor signed, or None: its digest
        (docs/snapshot-format.md §4.3) against the manifest's. Reads the whole index,
        about 13 s for the Linux snapshot (ADR 0104), unmapped: 1.5 GB of it stayed
        resident in the recorder through the map. Raises SnapshotError if unreadable."""
        try:
            with self.unmapped() as conn:
                actual = index_digest(conn).hex()
        except sqlite3.DatabaseError as exc:
            raise SnapshotError(f"{self.path}: {as_file_error(exc)}") from exc
        signed = self.manifest.index.digest
        if actual != signed:
            return f"the search index has digest {actual}, the vendor signed {signed}"
        return None

    @property
    def has_symbols(self) -> bool:
        """Whether the vendor signed a symbol index (§9); old snapshots have none."""
        return self.manifest.symbols is not None

    @property
    def connection(self) -> sqlite3.Connection:
        """The read-only connection, for the read APIs beside this one (symbols.query)."""
        return self._conn

    def symbols_problem(self) -> str | None:
        """Why the symbols table is not the one the vendor signed, or None (also when
        there is none): its digest and row count against the manifest's. Reads every
        row. Raises SnapshotError if unreadable."""
        signed = self.manifest.symbols
        if signed is None:
            return None
        try:
            digest, rows = symbols_digest(self._conn)
        except sqlite3.DatabaseError as exc:
            raise SnapshotError(f"{self.path}: {as_file_error(exc)}") from exc
        if (digest.hex(), rows) != (signed.digest, signed.rows):
            return (
                f"the symbol index has {rows} rows and digest {digest.hex()},"
                f" the vendor signed {signed.rows} rows and {signed.digest}"
            )
        return None

    def __enter__(self) -> Snapshot:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- the tree ---------------------------------------------------------------

    def stat(self, path: bytes) -> FileInfo:
        """The entry at `path` (b"" is the root directory). Raises FileNotFoundError."""
        if path == b"":
            return FileInfo(b"", Kind.DIR, _ROOT_MODE, 0, None, None, None)
        row = self._conn.execute(_STAT, (path,)).fetchone()
        if row is None or row[0] != path:
            raise FileNotFoundError(f"not in the snapshot: {path!r}")
        return _info(row)

    def listdir(self, path: bytes = b"", limit: int | None = None) -> list[FileInfo]:
        """The entries directly inside directory `path`, sorted by name bytes; with
        `limit`, at most the first `limit` of them. Raises FileNotFoundError, or
        NotADirectoryError for a non-directory."""
        if self.stat(path).kind is not Kind.DIR:
            raise NotADirectoryError(f"not a directory: {path!r}")
        prefix = path + b"/" if path else b""
        end = _after_prefix(prefix)
        out: list[FileInfo] = []
        low: bytes | None = prefix
        # One pass over the range, seeking again only past a child directory's subtree
        # (one query per child made a flat directory of 100,000 names 100,000 queries:
        # seconds of a recorder's serving thread; attack on issue 12).
        while low is not None:
            cursor = self._conn.execute(_FROM, (low, end, end))
            low = None
            for row in cursor:
                if limit is not None and len(out) >= limit:
                    break
                rest = row[0][len(prefix) :]
                if not row[0].startswith(prefix) or not rest:
                    break
                slash = rest.find(b"/")
                if slash < 0:
                    out.append(_info(row))
                else:
                    low = prefix + rest[:slash] + b"0"  # b"0" follows b"/": past the subtree
                    break
            cursor.close()
        return out

    def files(self) -> Iterator[FileInfo]:
        """Every entry, in path byte order."""
        for row in self._conn.execute(_ALL):
            yield _info(row)

    def file_lines(self) -> Iterator[tuple[bytes, bytes, int, bool, int]]:
        """(path, blob, lines, binary, size) of every file, in path byte order: one
        query, for a picture of the whole tree (forensics.snapshotmap)."""
        for path, blob, lines, binary, size in self._conn.execute(_FILE_LINES):
            yield path, blob, lines, bool(binary), size

    # -- content ------------------------------------------------------------------

    def blob(self, blob: bytes) -> BlobInfo:
        """Facts about one stored content. Raises KeyError if it is not stored."""
        info = self._blobs.get(blob)
        if info is None:
            row = self._conn.execute(
                "SELECT hash, rowid, size, binary, lines FROM blobs WHERE hash = ?", (blob,)
            ).fetchone()
            if row is None or row[0] != blob:
                raise KeyError(f"no blob {blob.hex()}")
            info = BlobInfo(row[0], row[1], row[2], bool(row[3]), row[4])
            if len(self._blobs) > 4096:
                self._blobs.clear()
            self._blobs[blob] = info
        return info

    def line_count(self, blob: bytes) -> int:
        return self.blob(blob).lines

    def line_index(self, blob: bytes) -> list[int]:
        """The start offset of every line (the whole index: 4 bytes per line)."""
        info = self.blob(blob)
        with self._conn.blobopen("blobs", "line_index", info.rowid, readonly=True) as b:
            return list(unpack_line_index(b.read()))

    def line_index_bytes(self, blob: bytes) -> bytes:
        """The stored line index as it is: 4 little-endian bytes per line."""
        info = self.blob(blob)
        with self._conn.blobopen("blobs", "line_index", info.rowid, readonly=True) as b:
            return b.read()

    def line_span(self, blob: bytes, line: int) -> tuple[int, int]:
        """(start, end) byte offsets of `line` without its line feed. Raises IndexError."""
        info = self.blob(blob)
        if not 0 <= line < info.lines:
            raise IndexError(f"line {line} of {info.lines}")
        starts = self._starts(info, line, line + 1)
        if len(starts) == 2:
            return starts[0], starts[1] - 1  # up to the line feed before the next line
        end = info.size
        if end > starts[0] and self.read(blob, end - 1, 1) == b"\n":
            end -= 1
        return starts[0], end

    def read_lines(self, blob: bytes, start: int, stop: int) -> list[bytes]:
        """Lines [start, stop) of the content, without line feeds, like
        `content.split(b"\\n")[start:stop]` (minus the empty piece after a final
        line feed). Reads only those lines' bytes (incremental blob I/O). Out-of-range
        bounds are clamped, as with slices of non-negative indexes."""
        info = self.blob(blob)
        start, stop = max(start, 0), min(stop, info.lines)
        if start >= stop:
            return []
        starts = self._starts(info, start, stop)
        first, end = starts[0], (starts[-1] if stop < info.lines else info.size)
        data = self.read(blob, first, end - first)
        out = []
        for i in range(stop - start):
            a = starts[i] - first
            b = starts[i + 1] - first if i + 1 < len(starts) else len(data)
            line = data[a:b]
            out.append(line[:-1] if line.endswith(b"\n") else line)
        return out

    def read(self, blob: bytes, offset: int, size: int) -> bytes:
        """Up to `size` raw bytes of the content from `offset`."""
        info = self.blob(blob)
        if offset < 0 or size < 0:
            raise ValueError("offset and size must not be negative")
        offset = min(offset, info.size)
        with self._conn.blobopen("blobs", "content", info.rowid, readonly=True) as b:
            b.seek(offset)
            return b.read(min(size, info.size - offset))

    def _starts(self, info: BlobInfo, start: int, stop: int) -> list[int]:
        """Line starts start..stop inclusive (stop only if it is a line)."""
        last = min(stop + 1, info.lines)
        with self._conn.blobopen("blobs", "line_index", info.rowid, readonly=True) as b:
            b.seek(4 * start)
            return list(unpack_line_index(b.read(4 * (last - start))))


def index_gap(conn: sqlite3.Connection) -> str | None:
    """Why the search index lacks a document for some text blob, or None.

    A text blob (`binary = 0`) without a document would be invisible to indexed
    search. Checking that costs milliseconds, not a pass over the content: it
    reads the key index of `blobs`, the small `search_docsize` table and only the
    blob rows that have no document. Blob rowids must be 1..n, as `create` writes
    them (the signed index digest seals them), so the rowids without a document
    are the gaps in `search_docsize`, found by halving ranges with counts. It does
    not show that each document's terms match its content: the signed index
    digest does, in `verify_snapshot`.
    """
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    blobs = one("SELECT count(*) FROM blobs")  # counts, min and max: no scan of the content
    first, last = one("SELECT min(rowid) FROM blobs"), one("SELECT max(rowid) FROM blobs")
    if blobs and (first, last) != (1, blobs):
        return f"the blobs are not numbered 1 to {blobs}, so the search index cannot be checked"
    docs = one("SELECT count(*) FROM search_docsize")
    low, high = one("SELECT min(id) FROM search_docsize"), one("SELECT max(id) FROM search_docsize")
    if docs and (low < 1 or high > blobs):
        return "the search index has documents that are not stored blobs"
    text = 0
    for a, b in _undocumented(conn, 1, blobs, docs):
        text += conn.execute(
            "SELECT count(*) FROM blobs WHERE rowid BETWEEN ? AND ? AND binary = 0", (a, b)
        ).fetchone()[0]
    return f"text blobs missing from the search index: {text}" if text else None


def _undocumented(
    conn: sqlite3.Connection, low: int, high: int, docs: int
) -> Iterator[tuple[int, int]]:
    """Runs [a, b] of rowids in [low, high] without a search document, given that the
    range holds `docs` documents (ids are unique integers, so a full range has none)."""
    if docs == high - low + 1:
        return
    if docs == 0:
        yield low, high
    elif high - low < _COVERAGE_RUN:
        prev = low - 1
        for (doc,) in conn.execute(
            "SELECT id FROM search_docsize WHERE id BETWEEN ? AND ? ORDER BY id", (low, high)
        ):
            if doc > prev + 1:
                yield prev + 1, doc - 1
            prev = doc
        if prev < high:
            yield prev + 1, high
    else:
        mid = (low + high) // 2
        left = conn.execute(
            "SELECT count(*) FROM search_docsize WHERE id BETWEEN ? AND ?", (low, mid)
        ).fetchone()[0]
        yield from _undocumented(conn, low, mid, left)
        yield from _undocumented(conn, mid + 1, high, docs - left)


def _info(row: tuple) -> FileInfo:
    path, kind, mode, size, blob, target, reason = row
    return FileInfo(path, Kind(kind), mode, size, blob, target, reason)


def _after_prefix(prefix: bytes) -> bytes | None:
    """The least byte string greater than every string starting with `prefix`."""
    if not prefix:
        return None
    return prefix[:-1] + bytes([prefix[-1] + 1])  # prefix ends in b"/", so no overflow
