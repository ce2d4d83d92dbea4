"""Verify the tables a snapshot derives from its content: search index, presence, chunks.

Steps 6, 6b and 2.1 of docs/snapshot-format.md §5, and the optional rebuild of the
search index (`verify --rebuild-index`). Each compares a table with what the text
blobs' content gives, and adds findings to the `Report`; none raises on a hostile
file.
"""

from __future__ import annotations

import sqlite3
import tempfile
from pathlib import Path

from .blobs import FactsBuilder
from .chunks import chunk_row, has_table, read_rows, row_problem, sealed_rows
from .index import build_index, index_digest
from .manifest import Manifest
from .presence import rows as presence_rows
from .readonly import readonly_uri
from .schema import SEARCH_DDL
from .verdict import Report


def check_index(conn: sqlite3.Connection, r: Report, text_rowids: set[int]) -> None:
    indexed = {row[0] for row in conn.execute("SELECT id FROM search_docsize")}
    if indexed != text_rowids:
        missing, extra = len(text_rowids - indexed), len(indexed - text_rowids)
        r.add("INDEX_COVERAGE", f"{missing} text blobs are not indexed; "
              f"{extra} indexed rows are not text blobs")  # fmt: skip
    digest = index_digest(conn).hex()
    if r.manifest is not None and digest != r.manifest.index.digest:
        r.add("INDEX", f"the index digest is {digest}, signed {r.manifest.index.digest}")


def check_presence(conn: sqlite3.Connection, r: Report, held: list[tuple[int, bytes]]) -> None:
    """§3.1, step 6b: the presence table has exactly one row per byte value, each
    the bitmap the text blobs' content gives (`held`, from step 5). The index
    digest (step 6) says whether it is the signed one."""
    top = conn.execute("SELECT coalesce(max(rowid), 0) FROM blobs").fetchone()[0]
    want = presence_rows(held, top)
    got = dict.fromkeys(range(256), b"")
    count = 0
    for byte, bitmap in conn.execute("SELECT byte, blobs FROM presence ORDER BY byte"):
        count += 1
        if type(byte) is int and 0 <= byte <= 255:
            got[byte] = bitmap
    if count != 256:
        r.add("PRESENCE", f"the presence table has {count} rows, not one for each of 256 bytes")
    wrong = [b for b in range(256) if got[b] != want[b]]
    if wrong:
        shown = ", ".join(f"0x{b:02x}" for b in wrong[:8]) + (", ..." if len(wrong) > 8 else "")
        r.add("PRESENCE", f"the rows of {len(wrong)} byte values do not match the content "
              f"of the text blobs: {shown}")  # fmt: skip


def check_chunks(
    conn: sqlite3.Connection, r: Report, files_of: dict[bytes, list[tuple[bytes, int]]]
) -> None:
    """§2.1: the chunks table is there exactly when the manifest signs it, its
    digest is the signed one, and each row is what the content gives (one row for
    each content of more than one chunk, none for others). `files_of` names the
    files of each content (blob hash -> (path, size))."""
    m = r.manifest
    if m is None:
        return
    signed = None if m.chunks is None else (m.chunks.size, m.chunks.digest)
    sealed = sealed_rows(conn, signed)
    if isinstance(sealed, str):
        r.add("CHUNKS", sealed)
    if m.chunks is None or not has_table(conn):
        return
    size = m.chunks.size
    try:
        rows = {row.blob: row for row in read_rows(conn)}
    except ValueError as exc:
        return r.add("CHUNKS", str(exc))
    query = "SELECT rowid, hash, size FROM blobs WHERE size > ? ORDER BY rowid"
    for rowid, key, blob_size in conn.execute(query, (size,)).fetchall():
        if not isinstance(key, bytes):
            continue  # BLOB_FIELDS says so
        uses = [path for path, _ in files_of.get(key, [])] or [None]
        row = rows.pop(key, None)
        try:
            with conn.blobopen("blobs", "content", rowid, readonly=True) as b:
                data = b.read()
        except (sqlite3.DatabaseError, ValueError) as exc:
            r.add("CORRUPT", f"blob {key.hex()}: cannot read its content: {exc}")
            continue
        facts = FactsBuilder().update(data).finish()
        if row is None:
            why = f"content {key.hex()} ({blob_size} bytes) has no chunk list"
        elif row != chunk_row(key, data, facts.line_index, size):
            why = row_problem(row, len(data), size) or "its chunk list does not match it"
            why = f"content {key.hex()}: {why}"
        else:
            continue
        for path in uses:
            r.add("CHUNKS", why, path)
    for key in rows:
        r.add("CHUNKS", f"a chunk list for content {key.hex()}, which is not stored or "
              f"fits in one chunk")  # fmt: skip


def check_rebuilt_index(path: Path, manifest: Manifest, r: Report) -> None:
    """Build the index again from the snapshot's text blobs and compare digests."""
    with tempfile.TemporaryDirectory(prefix="cleanroom-reindex-") as tmp:
        conn = sqlite3.connect(Path(tmp) / "index.db", isolation_level=None, uri=True)
        try:
            conn.execute("PRAGMA journal_mode = OFF")
            conn.execute("PRAGMA synchronous = OFF")
            conn.execute("PRAGMA trusted_schema = OFF")  # the attached snapshot is evidence
            conn.execute(SEARCH_DDL)
            conn.execute("ATTACH DATABASE ? AS snap", (readonly_uri(path),))
            build_index(conn, source="snap")
            digest = index_digest(conn, blobs="snap").hex()
        except sqlite3.DatabaseError as exc:
            r.add("INDEX_REBUILD", f"the index could not be rebuilt: {exc}")
            return
        finally:
            conn.close()
    if digest != manifest.index.digest:
        r.add("INDEX_REBUILD", f"a rebuilt index has digest {digest}, signed "
              f"{manifest.index.digest} (built by another SQLite version?)")  # fmt: skip
