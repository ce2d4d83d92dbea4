"""The symbols step of `snapshot verify` (docs/snapshot-format.md §9.3).

The table must be present exactly when the manifest signs one, hash to the
signed digest, and every row must be a definition that can be so: in a file of
a language that has symbols, on a line of that file, whose text holds the name.
Rows are read as a stream in key order and each file's content once, so a
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
    "SELECT path, line, name, kind, typeof(path), typeof(line), typeof(name), typeof(kind)"
    " FROM symbols ORDER BY path, line, name, kind"
)
_CONTENT = (
    "SELECT b.content FROM files f JOIN blobs b ON b.hash = f.blob"
    " WHERE f.path = ? AND f.kind = 'file' AND b.binary = 0"
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
    current: object = None
    lines: list[bytes] | None = None
    for path, line, name, kind, *types in conn.execute(_ROWS):
        where = path if isinstance(path, bytes) else None
        wrong = [f"{c} is {t.decode()}" for (c, want), t in zip(TYPES.items(), types, strict=True)
                 if t.decode() != want]  # fmt: skip
        if wrong:
            add("SYMBOL_ROW", "a symbols row has the wrong types: " + ", ".join(wrong), where)
            continue
        if path != current:
            current, lines = path, _lines(conn, path)
            if lines is None:
                add("SYMBOL_ROW", "symbols for a path that is not a text file", path)
            elif language_of(path) is None:
                add("SYMBOL_ROW", "symbols for a file of no indexed language", path)
        if lines is None:
            continue
        text = lines[line] if 0 <= line < len(lines) else None
        problem = row_problem(name, kind, line, text)
        if problem:
            add("SYMBOL_ROW", f"{name[:80]!r} ({kind[:40]!r}): {problem}", path)


def _lines(conn: sqlite3.Connection, path: bytes) -> list[bytes] | None:
    row = conn.execute(_CONTENT, (path,)).fetchone()
    if row is None or not isinstance(row[0], bytes):
        return None
    lines = row[0].split(b"\n")
    if row[0].endswith(b"\n"):
        lines.pop()  # a final line feed does not start another line (§2)
    return lines
