"""Verify a snapshot offline: every byte of every table, against the vendor's signature.

A pure verdict: snapshot bytes and trusted vendor keys in, a `Report` out. It
recomputes every blob's hash and facts from its content, every Merkle leaf and
the root, the index digest, the totals, and the symbol index's digest and rows
(`symbols.check`), and checks the signature and the
schema. It does not stop at the first problem, and a hostile file (not SQLite,
empty, truncated, damaged) yields findings, never an exception. The algorithm is
docs/snapshot-format.md §5.

The signed root cannot say which entry differs; `naming` says which (a walk of
the source tree, or the one added row), and this module turns that into
findings. docs/adr/0102-naming-changed-entries.md explains the choice.
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..ledger.journal import describe_journal
from ..ledger.keys import key_id
from .blobs import FactsBuilder
from .index import DETAIL, TOKENIZER
from .leaf import LeafError, leaf_data
from .manifest import ManifestError, parse, signed_by, snapshot_id
from .merkle import leaf_hash, root
from .naming import SourceTree, leaf_whose_removal_gives, walk_source
from .presence import bytes_of
from .presence import has_table as has_presence
from .readonly import (
    VERIFY_SECONDS,
    SnapshotFileError,
    as_file_error,
    connect,
    connect_bytes,
    sidecars,
)
from .schema import BLOBS_TYPES, FILES_TYPES, schema_problems
from .symbols.check import check_symbols
from .verdict import EXIT_CODES, PER_CODE, VERDICT_FORMAT, Report, Status
from .verify_derived import check_chunks, check_index, check_presence, check_rebuilt_index
from .walk import DEFAULT_MAX_FILE, display_before_0306, display_before_0307, display_path

__all__ = [
    "EXIT_CODES",
    "PER_CODE",
    "VERDICT_FORMAT",
    "Report",
    "Status",
    "verify_bytes",
    "verify_snapshot",
]

CHUNK = 1 << 20
KINDS = (b"dir", b"file", b"link", b"skipped")


def verify_snapshot(
    path: str | Path,
    trust: list[bytes],
    rebuild_index: bool = False,
    source: str | Path | None = None,
    max_file_size: int = DEFAULT_MAX_FILE,
) -> Report:
    """Verify the snapshot file at `path` against trusted raw vendor keys.

    With `rebuild_index`, also rebuild the search index from the content (as long
    as creating it took) to show the vendor's index matches the content. With
    `source`, walk that tree as `create` does (with `max_file_size`), compare it
    with the files table and name every entry that differs (`Report.source`).
    Raises FileNotFoundError / IsADirectoryError for a path that is not a file,
    and WalkError (before reading the snapshot) if `source` cannot be listed; every
    property of the file's contents is a finding.
    """
    path = Path(path)
    report = Report(str(path))
    tree = None if source is None else walk_source(source, max_file_size)
    opened = _check_connection(lambda: connect(path, seconds=VERIFY_SECONDS), trust, report, tree)
    if not opened:
        return report
    if rebuild_index and report.manifest is not None and report.readable:
        check_rebuilt_index(path, report.manifest, report)
    for s in sidecars(path):
        note = describe_journal(f"{path}{s}", "the snapshot") if s == "-journal" else "ignored"
        report.add("SIDECAR", f"{path.name}{s} exists; a snapshot never has one ({note})")
    return report


def verify_bytes(data: bytes, trust: list[bytes], name: str = "<bytes>") -> Report:
    """Verify a snapshot held in memory (the pure path: fuzzing and byte-flip sweeps)."""
    report = Report(name)
    _check_connection(lambda: connect_bytes(data, seconds=VERIFY_SECONDS), trust, report)
    return report


def _check_connection(
    open_db: Callable[[], sqlite3.Connection],
    trust: list[bytes],
    report: Report,
    tree: SourceTree | None = None,
) -> bool:
    """Open the database and run every check into `report`; False if it would not open."""
    try:
        conn = open_db()
    except SnapshotFileError as exc:
        report.add(exc.code, str(exc))
        return False
    try:
        _check(conn, trust, report, tree)
    finally:
        conn.close()
    return True


def _check(
    conn: sqlite3.Connection, trust: list[bytes], r: Report, tree: SourceTree | None
) -> None:
    conn.text_factory = bytes  # every TEXT value comes back raw, never a decode error
    steps: list[Callable[[sqlite3.Connection, list[bytes], Report], bool]]
    steps = [_schema, _integrity, _manifest, _files_and_blobs, _symbols]
    if tree is not None:
        steps.append(_source_step(tree))
    for step in steps:
        try:
            if step(conn, trust, r) is False:
                return
        except MemoryError:  # SQLite's heap limit (ledger.guarded_sqlite) was reached
            r.add("CORRUPT", f"{step.__name__.strip('_')}: needs more memory than a snapshot may")
            return
        except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
            err = as_file_error(exc)
            r.add(err.code, f"{step.__name__.strip('_')}: {err}")
            # A schema that could not be read was not approved: read no row.
            if err.code == "NOT_SQLITE" or step is _schema:
                return


def _schema(conn: sqlite3.Connection, trust: list[bytes], r: Report) -> bool:
    conn.text_factory = str
    try:
        problems = schema_problems(conn)
    except UnicodeDecodeError:
        problems = ["the schema text is not UTF-8"]
    finally:
        conn.text_factory = bytes
    for p in problems:
        r.add("SCHEMA", p)
    # The schema decides before any row is read: a file whose tables are not the
    # snapshot's (a view, a virtual table, an index with expressions) is not read.
    r.readable = not problems
    return not problems


# What integrity_check says of rows that break a constraint or an index's content:
# the b-trees themselves are sound, so the tables can still be read and named.
_ROW_LEVEL = re.compile(
    rb"CHECK constraint failed|NULL value in|non-unique entry in index"
    rb"|row \d+ missing from index|wrong # of entries in index"
)


def _integrity(conn: sqlite3.Connection, trust: list[bytes], r: Report) -> bool:
    """SQLite's integrity check. A damaged b-tree (pages shared or referenced twice)
    ends the verification here: reading it could repeat rows without end."""
    rows = [row[0] for row in conn.execute("PRAGMA integrity_check(10)")]
    if rows == [b"ok"]:
        return True
    detail = "; ".join(x.decode(errors="replace") for x in rows)
    sound = all(isinstance(x, bytes) and _ROW_LEVEL.search(x) for x in rows)
    if not sound:
        detail += "; the b-trees are damaged, so no row was read"
        r.readable = False
    r.add("CORRUPT", "SQLite integrity check: " + detail)
    return sound


def _manifest(conn: sqlite3.Connection, trust: list[bytes], r: Report) -> bool:
    rows = conn.execute("SELECT id, body, sig FROM manifest").fetchall()
    if len(rows) != 1 or rows[0][0] != 1:
        r.add("MANIFEST", f"the manifest table has {len(rows)} rows; it must have one, id 1")
        return True
    _, body, sig = rows[0]
    if not isinstance(body, bytes) or not isinstance(sig, bytes) or len(sig) != 64:
        r.add("MANIFEST", "the manifest body and signature must be blobs (signature 64 bytes)")
        return True
    try:
        manifest = parse(body)
    except ManifestError as exc:
        r.add("MANIFEST", str(exc))
        return True
    r.manifest, r.snapshot_id = manifest, snapshot_id(body)
    if (manifest.index.tokenizer, manifest.index.detail) != (TOKENIZER, DETAIL):
        described = f"{manifest.index.detail} {manifest.index.tokenizer}"
        r.add("MANIFEST", f"the manifest describes a {described} index, not {DETAIL} {TOKENIZER}")
    keys = [k for k in trust if key_id(k) == manifest.vendor]
    if not keys:
        trusted = ", ".join(key_id(k) for k in trust) or "none"
        r.add("UNTRUSTED", f"signed for vendor key {manifest.vendor}; trusted: {trusted}")
    elif not any(signed_by(body, sig, k) for k in keys):
        r.add("SIGNATURE", f"the signature does not verify under vendor key {manifest.vendor}")
    else:
        r.signed = True
    return True


def _symbols(conn: sqlite3.Connection, trust: list[bytes], r: Report) -> bool:
    m = r.manifest
    signed = None if m is None or m.symbols is None else (m.symbols.digest, m.symbols.rows)
    r.checked["symbols"] = check_symbols(conn, signed, m is not None, r.add)
    return True


@dataclass
class _Tree:
    """What the files table says, gathered in one pass."""

    leaves: list[bytes] = field(default_factory=list)
    dirs: set[bytes] = field(default_factory=set)
    uses: dict[bytes, list[tuple[bytes, int]]] = field(default_factory=dict)  # blob -> (path, size)
    files: int = 0
    bytes: int = 0
    skipped: int = 0


def _files_and_blobs(conn: sqlite3.Connection, trust: list[bytes], r: Report) -> bool:
    started = time.monotonic()
    tree = _files(conn, r)
    held: list[tuple[int, bytes]] | None = [] if has_presence(conn) else None
    text_rowids, blob_count, hashed = _blobs(conn, r, tree, held)
    check_index(conn, r, text_rowids)
    if held is not None:
        check_presence(conn, r, held)
    check_chunks(conn, r, tree.uses)
    r.checked = {
        "entries": len(tree.leaves),
        "blobs": blob_count,
        "bytes_hashed": hashed,
        "seconds": int(time.monotonic() - started),
    }
    m = r.manifest
    if m is None:
        return True
    actual_root = root(tree.leaves).hex()
    if actual_root != m.root:
        why = "entries were added, removed, renamed or edited (a walk of the source names them)"
        r.add("ROOT", f"the files table has Merkle root {actual_root}, signed {m.root}: {why}")
        if r.signed and len(tree.leaves) == m.entries + 1:
            _name_one_added_row(conn, r, tree.leaves, bytes.fromhex(m.root))
    actual = {
        "entries": len(tree.leaves),
        "files": tree.files,
        "bytes": tree.bytes,
        "skipped": tree.skipped,
        "blobs": blob_count,
    }
    for name, value in actual.items():
        if getattr(m, name) != value:
            r.add(
                "TOTALS", f"{name}: the tables hold {value}, the manifest says {getattr(m, name)}"
            )
    return True


def _files(conn: sqlite3.Connection, r: Report) -> _Tree:
    tree = _Tree()
    cols = list(FILES_TYPES)
    typed = ", ".join(f"typeof({c})" for c in cols)
    prev: bytes | None = None
    query = f"SELECT {', '.join(cols)}, {typed} FROM files ORDER BY path"  # noqa: S608
    for row in conn.execute(query):
        values, types = row[: len(cols)], row[len(cols) :]
        path, display, kind, mode, size, blob, target, reason = values
        where = path if isinstance(path, bytes) else None
        for col, t in zip(cols, types, strict=True):
            if t.decode() not in FILES_TYPES[col]:
                r.add("ROW", f"{col} is {t.decode()}, not {' or '.join(FILES_TYPES[col])}", where)
        try:
            tree.leaves.append(leaf_hash(leaf_data(*_leaf_fields(values))))
        except LeafError as exc:
            r.add("ROW", f"cannot form the leaf: {exc}", where)
            tree.leaves.append(leaf_hash(repr(values).encode()))
            continue
        if prev is not None and path <= prev:
            r.add("ROW", "rows are not in strictly increasing path order", path)
        prev = path
        _check_row(r, tree, path, display, kind, size, blob, target, reason)
    return tree


def _leaf_fields(values: tuple) -> tuple:
    path, _display, kind, mode, size, blob, target, reason = values
    return (path, kind, mode, size, blob, target, reason)


def _check_row(r: Report, tree: _Tree, path: bytes, display: Any, kind: bytes, size: int,
               blob: Any, target: Any, reason: Any) -> None:  # fmt: skip
    problem = _path_problem(path)
    if problem:
        r.add("ROW", problem, path)
    if display not in (display_path(path).encode(), display_before_0306(path).encode(),
                       display_before_0307(path).encode()):  # fmt: skip
        r.add("ROW", "display is not the sanitized form of the path", path)
    if kind not in KINDS:
        r.add("ROW", f"unknown kind {kind!r}", path)
        return
    shape = (blob is not None, target is not None, reason is not None)
    want = {b"file": (True, False, False), b"link": (False, True, False),
            b"skipped": (False, False, True), b"dir": (False, False, False)}[kind]  # fmt: skip
    if shape != want:
        r.add("ROW", f"a {kind.decode()} row has the wrong fields set", path)
    parent = path.rpartition(b"/")[0]
    if parent and parent not in tree.dirs:
        r.add("ORPHAN", "its parent directory is not in the snapshot", path)
    if kind == b"dir":
        tree.dirs.add(path)
        if size != 0:
            r.add("ROW", "a directory has a non-zero size", path)
    elif kind == b"file" and isinstance(blob, bytes):
        tree.files += 1
        tree.bytes += size if isinstance(size, int) else 0
        tree.uses.setdefault(blob, []).append((path, size))
    elif kind == b"link" and isinstance(target, bytes) and size != len(target):
        r.add("ROW", "a link's size is not the length of its target", path)
    elif kind == b"skipped":
        tree.skipped += 1
        if not reason:
            r.add("ROW", "a skipped entry gives no reason", path)


def _path_problem(path: bytes) -> str | None:
    if not path:
        return "empty path"
    if b"\x00" in path:
        return "the path contains a NUL byte"
    parts = path.split(b"/")
    if any(p in (b"", b".", b"..") for p in parts):
        return "the path has an empty, '.' or '..' component, or a leading or trailing '/'"
    return None


def _blobs(
    conn: sqlite3.Connection, r: Report, tree: _Tree, held: list[tuple[int, bytes]] | None = None
) -> tuple[set[int], int, int]:
    """Check every blob against its content (step 5); with `held`, put there the
    bytes each text blob holds, as (rowid, presence.bytes_of), for step 6b."""
    cols = list(BLOBS_TYPES)
    typed = ", ".join(f"typeof({c})" for c in cols)
    query = f"SELECT rowid, hash, size, binary, lines, {typed} FROM blobs ORDER BY rowid"  # noqa: S608
    seen: set[bytes] = set()
    text: set[int] = set()
    count = hashed = 0
    for row in conn.execute(query).fetchall():
        count += 1
        rowid, key, size, binary, lines = row[:5]
        bad_types = [f"{c} is {t.decode()}" for c, t in zip(cols, row[5:], strict=True)
                     if t.decode() not in BLOBS_TYPES[c]]  # fmt: skip
        label = key.hex() if isinstance(key, bytes) else repr(key)
        if bad_types:
            r.add("BLOB_FIELDS", f"blob {label}: " + ", ".join(bad_types))
            continue
        if key in seen:
            r.add("BLOB_FIELDS", f"blob {label} is stored twice")
        seen.add(key)
        try:
            facts, stored_index, values = _content_facts(conn, rowid, held is not None)
        except (sqlite3.DatabaseError, ValueError) as exc:
            r.add("CORRUPT", f"blob {label}: cannot read its content: {exc}")
            continue
        hashed += facts.size
        uses = tree.uses.get(key, [])
        if facts.hash != key:
            for path, _ in uses or [(None, 0)]:
                r.add("BLOB_CHANGED", f"content of blob {label} now hashes to {facts.hash.hex()}",
                      path)  # fmt: skip
        wrong = [name for name, stored, real in (
            ("size", size, facts.size), ("binary", binary, int(facts.binary)),
            ("lines", lines, facts.lines), ("line_index", stored_index, facts.line_index),
        ) if stored != real]  # fmt: skip
        if wrong:
            r.add("BLOB_FIELDS", f"blob {label}: {', '.join(wrong)} do not match the content")
        for path, file_size in uses:
            if file_size != facts.size:
                r.add("ROW", f"size {file_size} differs from its content's {facts.size}", path)
        if not uses:
            r.add("BLOB_EXTRA", f"blob {label} ({facts.size} bytes) is named by no file")
        if not facts.binary:
            text.add(rowid)
            if held is not None:
                held.append((rowid, values))
    for key, uses in tree.uses.items():
        if key not in seen:
            for path, _ in uses:
                r.add("BLOB_MISSING", f"its content {key.hex()} is not stored", path)
    return text, count, hashed


def _content_facts(conn: sqlite3.Connection, rowid: int, held: bool) -> tuple[Any, bytes, bytes]:
    """The content's facts, the stored line index, and (with `held`) the bytes the
    content holds (presence.bytes_of)."""
    builder = FactsBuilder()
    values: set[int] = set()
    with conn.blobopen("blobs", "content", rowid, readonly=True) as b:
        while chunk := b.read(CHUNK):
            builder.update(chunk)
            if held and len(values) < 256:
                values.update(bytes_of(chunk))
    with conn.blobopen("blobs", "line_index", rowid, readonly=True) as b:
        stored_index = b.read()
    return builder.finish(), stored_index, bytes(sorted(values))


# -- naming the entries behind a root mismatch (naming.py) ------------------------------


def _source_step(tree: SourceTree) -> Callable[[sqlite3.Connection, list[bytes], Report], bool]:
    def source(conn: sqlite3.Connection, trust: list[bytes], r: Report) -> bool:
        """Fill `r.source`; when the walk is the signed tree, each entry the table
        has added, lost or changed since signing is also a ROOT finding."""
        signed_root = r.manifest.root if r.signed and r.manifest is not None else None
        r.source, diffs = tree.compare(conn, signed_root, PER_CODE)
        if r.source.signed_tree:
            named = {f.path for f in r.findings if f.code == "ROOT"}
            for d in diffs:
                if d.path not in named:
                    r.add("ROOT", f"{d.change.value} after signing: {d.detail}", d.path)
        return True

    return source


def _name_one_added_row(
    conn: sqlite3.Connection, r: Report, leaves: list[bytes], signed: bytes
) -> None:
    """One row more than signed: if removing one row gives the signed root, that row is
    exactly what was added (anything else would be a SHA-256 collision)."""
    index = leaf_whose_removal_gives(leaves, signed)
    if index is not None:
        query = "SELECT path FROM files ORDER BY path LIMIT 1 OFFSET ?"
        path = conn.execute(query, (index,)).fetchone()[0]
        r.add("ROOT", "added after signing: without this row the files table has exactly "
              "the signed root", path if isinstance(path, bytes) else None)  # fmt: skip
