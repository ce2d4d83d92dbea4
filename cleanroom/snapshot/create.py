"""Create a snapshot: walk a tree, store it content-addressed, index it, sign it.

The file is built under a temporary name beside the output, with SQLite's
journal and fsync off, and appears under its real name only once complete and
signed, via link(2), which never overwrites an existing file. A failure removes
the temporary `.partial` file; a process killed meanwhile cannot, so the next
`create_snapshot` in that directory removes every `.partial` no live creator is
writing (`ledger.leftovers`).
"""

from __future__ import annotations

import os
import re
import sqlite3
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..ledger.keys import key_id, raw_public
from ..ledger.leftovers import making_files_in, remove_leftovers
from . import schema
from .blobs import facts
from .chunks import CHUNK_SIZE, CHUNKS_DDL, chunk_row, insert_rows, read_rows, valid_size
from .chunks import digest as chunks_digest
from .index import DETAIL, TOKENIZER, build_index, index_digest
from .leaf import LEAF_COLUMNS, row_leaf_hash
from .manifest import Chunks, Index, Manifest, Symbols, check_label
from .merkle import root
from .presence import PRESENCE_DDL, bytes_of
from .presence import build as build_presence
from .symbols.ctags import SymbolsBuildError, build_symbols, ctags_tool
from .symbols.table import symbols_digest
from .walk import DEFAULT_MAX_FILE, Entry, Kind, survey, walk

BATCH_BYTES = 32 * 1024 * 1024
BATCH_ROWS = 5000


class CreateError(Exception):
    """The snapshot cannot be created (output exists, bad label...). Nothing was written."""


@dataclass(frozen=True)
class Progress:
    """Reported while creating: `phase` is "read", "index", "symbols" or "seal"; `done` and
    `total` count bytes of content (total is an estimate for "read")."""

    phase: str
    done: int
    total: int


ProgressFn = Callable[[Progress], None]


def create_snapshot(
    src: str | Path,
    out: str | Path,
    vendor_key: Ed25519PrivateKey,
    name: str,
    version: str,
    *,
    created: int | None = None,
    max_file_size: int = DEFAULT_MAX_FILE,
    progress: ProgressFn | None = None,
    chunk_size: int | None = CHUNK_SIZE,
    symbols: bool = False,
    presence: bool = True,
) -> Manifest:
    """Snapshot the tree at `src` into the new file `out`, signed by `vendor_key`.
    Each content larger than `chunk_size` gets a signed chunk list (§2.1); None
    writes none (the format before chunk lists, which readers still accept).
    With `presence`, the byte presence table (§3.1) is written; without, none
    (the format before it, which readers still accept).
    With `symbols`, also build the symbol index with universal-ctags (§9).

    Raises CreateError if `out` exists or lies inside `src`, a label is unusable, or
    `symbols` is asked for and ctags is missing or fails;
    WalkError if `src` cannot be listed; OSError for I/O failures on the output. On
    any failure the output does not exist.
    """
    out = Path(out)
    check_label("name", name)
    check_label("version", version)
    if chunk_size is not None and not valid_size(chunk_size):
        raise CreateError(f"chunk size {chunk_size} is not a power of two from 16 to 16 MiB")
    if os.path.lexists(out):
        raise CreateError(f"{out}: already exists; refusing to overwrite")
    tree, home = Path(src).resolve(), out.parent.resolve()
    if home == tree or tree in home.parents:  # the walk would read the file being written
        raise CreateError(f"{out}: the output must be outside the tree being snapshotted")
    if symbols:
        try:
            ctags_tool()
        except SymbolsBuildError as exc:
            raise CreateError(f"cannot build the symbol index: {exc}") from exc
    remove_leftovers(out.parent, is_partial)
    with making_files_in(out.parent):
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
        os.close(fd)
        try:
            manifest = _build(
                Path(tmp), src, vendor_key, name, version, created, max_file_size, progress,
                chunk_size, symbols, presence,
            )  # fmt: skip
            _publish(Path(tmp), out)
        finally:
            if os.path.lexists(tmp):
                os.unlink(tmp)
    return manifest


_PARTIAL = re.compile(r"\..+\.[a-z0-9_]{8}\.partial")  # mkstemp's name, as made above


def is_partial(name: str) -> bool:
    """The temporary name of a snapshot being created."""
    return _PARTIAL.fullmatch(name) is not None


def _build(
    tmp: Path,
    src: str | Path,
    vendor_key: Ed25519PrivateKey,
    name: str,
    version: str,
    created: int | None,
    max_file_size: int,
    progress: ProgressFn | None,
    chunk_size: int | None = CHUNK_SIZE,
    symbols: bool = False,
    presence: bool = True,
) -> Manifest:
    report = progress or (lambda _: None)
    conn = sqlite3.connect(tmp, isolation_level=None)
    try:
        conn.execute(f"PRAGMA page_size = {schema.PAGE_SIZE}")
        conn.execute("PRAGMA journal_mode = OFF")
        conn.execute("PRAGMA synchronous = OFF")
        conn.execute("PRAGMA cache_size = -131072")  # 128 MiB
        conn.execute(f"PRAGMA application_id = {schema.APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version = {schema.USER_VERSION}")
        optional = [*([] if chunk_size is None else [CHUNKS_DDL]), *([PRESENCE_DDL] * presence)]
        for ddl in (*schema.DDL, *optional):
            conn.execute(ddl)
        total = survey(src)[1] if progress else 0
        walked = walk(src, max_file_size)
        held: dict[bytes, bytes] | None = {} if presence else None
        done = lambda n: report(Progress("read", n, total))  # noqa: E731
        _store(conn, walked, done, chunk_size, held)
        if held is not None:
            conn.execute("BEGIN")
            build_presence(conn, held)
            conn.execute("COMMIT")
            del held
        text = conn.execute("SELECT coalesce(sum(size), 0) FROM blobs WHERE binary = 0").fetchone()[
            0
        ]
        indexed = 0

        def tick(size: int) -> None:
            nonlocal indexed
            indexed += size
            report(Progress("index", indexed, text))

        build_index(conn, progress=tick)
        sealed = _symbols(conn, text, report) if symbols else None
        report(Progress("seal", 0, 0))
        manifest = _manifest(conn, vendor_key, name, version, created, chunk_size, sealed)
        body, sig = manifest.sign(vendor_key)
        conn.execute("INSERT INTO manifest (id, body, sig) VALUES (1, ?, ?)", (body, sig))
    finally:
        conn.close()
    return manifest


def _symbols(conn: sqlite3.Connection, text: int, report: ProgressFn) -> Symbols:
    found = 0

    def tick(size: int) -> None:
        nonlocal found
        found += size
        report(Progress("symbols", found, text))

    try:
        tool = build_symbols(conn, progress=tick)
    except SymbolsBuildError as exc:
        raise CreateError(f"cannot build the symbol index: {exc}") from exc
    digest, rows = symbols_digest(conn)
    return Symbols(tool=tool, rows=rows, digest=digest.hex())


def _store(
    conn: sqlite3.Connection,
    entries: Iterable[Entry],
    done: Callable[[int], None],
    chunk_size: int | None,
    held: dict[bytes, bytes] | None = None,
) -> None:
    """Insert every entry and each distinct content once, in batches, in one
    transaction; a content of more than one chunk gets its chunk list (§2.1). With
    `held`, the bytes each text content holds are put there by hash (§3.1)."""
    seen: set[bytes] = set()
    files: list[tuple] = []
    blobs: list[tuple] = []
    pending = read = 0

    def flush() -> None:
        nonlocal pending
        conn.executemany("INSERT INTO blobs VALUES (?, ?, ?, ?, ?, ?)", blobs)
        conn.executemany("INSERT INTO files VALUES (?, ?, ?, ?, ?, ?, ?, ?)", files)
        blobs.clear()
        files.clear()
        pending = 0
        done(read)

    conn.execute("BEGIN")
    for e in entries:
        blob = None
        if e.kind is Kind.FILE:
            assert e.data is not None
            f = facts(e.data)
            blob = f.hash
            if blob not in seen:
                seen.add(blob)
                blobs.append((blob, f.size, int(f.binary), f.lines, f.line_index, e.data))
                if chunk_size is not None and f.size > chunk_size:
                    insert_rows(conn, [chunk_row(blob, e.data, f.line_index, chunk_size)])
                if held is not None and not f.binary:
                    held[blob] = bytes_of(e.data)
                pending += f.size
            read += f.size
        files.append((e.path, e.display, e.kind.value, e.mode, e.size, blob, e.target, e.reason))
        if pending >= BATCH_BYTES or len(files) >= BATCH_ROWS:
            flush()
    flush()
    conn.execute("COMMIT")


def _manifest(
    conn: sqlite3.Connection,
    vendor_key: Ed25519PrivateKey,
    name: str,
    version: str,
    created: int | None,
    chunk_size: int | None,
    symbols: Symbols | None = None,
) -> Manifest:
    rows = conn.execute(f"SELECT {LEAF_COLUMNS} FROM files ORDER BY path")  # noqa: S608 (constant)
    tree_root = root(row_leaf_hash(r) for r in rows)
    entries, files, size, skipped = conn.execute(
        "SELECT count(*), count(blob), coalesce(sum(iif(kind = 'file', size, 0)), 0),"
        " count(reason) FROM files"
    ).fetchone()
    return Manifest(
        name=name,
        version=version,
        created=int(time.time()) if created is None else created,
        root=tree_root.hex(),
        entries=entries,
        files=files,
        bytes=size,
        skipped=skipped,
        blobs=conn.execute("SELECT count(*) FROM blobs").fetchone()[0],
        vendor=key_id(raw_public(vendor_key)),
        index=Index(TOKENIZER, DETAIL, index_digest(conn).hex()),
        chunks=None
        if chunk_size is None
        else Chunks(chunk_size, chunks_digest(chunk_size, read_rows(conn)).hex()),
        symbols=symbols,
    )


def _publish(tmp: Path, out: Path) -> None:
    """Make the finished file durable and read-only, then give it its name."""
    fd = os.open(tmp, os.O_RDONLY | os.O_CLOEXEC)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, 0o444)
    try:
        os.link(tmp, out)
    except FileExistsError as exc:
        raise CreateError(f"{out}: already exists; refusing to overwrite") from exc
    dir_fd = os.open(out.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
