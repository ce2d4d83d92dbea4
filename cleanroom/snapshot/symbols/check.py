"""The symbols step of `snapshot verify` (docs/snapshot-format.md §9.3).

The table must be present exactly when the manifest signs one, hash to the
signed digest, and every row must be a definition that can be so: in text
content that a file of an indexed language names, on a line of it, whose text
holds the name. Rows are read as a stream in key order and each content once, so a
huge or hostile table costs time in proportion to its size, never a crash.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from .languages import language_of
from .rows import row_problem
from .table import TYPES, has_table, presence_problem, symbols_digest

Add = Callable[[str, str, "bytes | None"], None]
_ROWS = (
    "SELECT blob, line, name, kind, typeof(blob), typeof(line), typeof(name), typeof(kind)"
    " FROM symbols ORDER BY blob, line, name, kind"
)
_CONTENT = "SELECT content FROM blobs WHERE rowid = ? AND binary = 0"
_FILES = (
    "SELECT f.path, b.rowid FROM files f JOIN blobs b ON b.hash = f.blob"
    " WHERE f.kind = 'file' ORDER BY f.path"
)


def check_symbols(
    conn: sqlite3.Connection, signed: tuple[str, int] | None, manifest_read: bool, add: Add
) -> int:
    """Check the symbols table against `signed` (digest hex, rows) from the manifest,
    None if it signs none; `manifest_read` is False if the manifest could not be
    read (then only the rows are checked). Reports through `add(code, message,
    path)`. Returns the number of rows read. The connection reads TEXT as bytes."""
    table = has_table(conn)
    if manifest_read:
        problem = presence_problem(table, signed is not None)
        if problem:
            add("SYMBOLS", problem, None)
    if not table:
        return 0
    digest, rows = symbols_digest(conn)
    if signed is not None and (digest.hex(), rows) != signed:
        add(
            "SYMBOLS",
            f"the symbols table has {rows} rows and digest {digest.hex()};"
            f" the vendor signed {signed[1]} rows and {signed[0]}",
            None,
        )
    _rows(conn, add)
    return rows


def _rows(conn: sqlite3.Connection, add: Add) -> None:
    named = _named_blobs(conn)
    current: object = None
    lines: list[bytes] | None = None
    where: bytes | None = None
    for blob, line, name, kind, *types in conn.execute(_ROWS):
        wrong = [f"{c} is {t.decode()}" for (c, want), t in zip(TYPES.items(), types, strict=True)
                 if t.decode() != want]  # fmt: skip
        if wrong:
            add("SYMBOL_ROW", "a symbols row has the wrong types: " + ", ".join(wrong), None)
            continue
        if blob != current:
            current, lines = blob, _lines(conn, blob)
            where = named.get(blob)
            if lines is None:
                add("SYMBOL_ROW", f"symbols for blob rowid {blob}, which is not text content", None)
            elif where is None:
                add("SYMBOL_ROW", f"symbols for blob rowid {blob}, which no file of an indexed"
                    " language names", None)  # fmt: skip
        if lines is None or where is None:
            continue
        text = lines[line] if 0 <= line < len(lines) else None
        problem = row_problem(name, kind, line, text)
        if problem:
            add("SYMBOL_ROW", f"{name[:80]!r} ({kind[:40]!r}): {problem}", where)


def _named_blobs(conn: sqlite3.Connection) -> dict[int, bytes]:
    """Blob rowid -> the first path (in path order) of an indexed language naming it."""
    named: dict[int, bytes] = {}
    for path, rowid in conn.execute(_FILES):
        if isinstance(path, bytes) and rowid not in named and language_of(path) is not None:
            named[rowid] = path
    return named


def _lines(conn: sqlite3.Connection, blob: int) -> list[bytes] | None:
    row = conn.execute(_CONTENT, (blob,)).fetchone()
    if row is None or not isinstance(row[0], bytes):
        return None
    lines = row[0].split(b"\n")
    if row[0].endswith(b"\n"):
        lines.pop()  # a final line feed does not start another line (§2)
    return lines
