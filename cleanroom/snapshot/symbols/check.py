"""The symbols step of `snapshot verify` (docs/snapshot-format.md §9.3).

The tables must be present exactly when the manifest signs them, hash to the
signed digest, and every row must be a definition that can be so: in text
content that a file of an indexed language names, on a line of it, whose text
holds the name. The names must be numbered 1..N in strictly ascending byte
order (so halving finds them), each used by a row.
Rows are read as a stream in key order and each content once, so a huge or
hostile table costs time in proportion to its size, never a crash.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from .languages import language_of
from .rows import row_problem
from .table import NAME_TYPES, TYPES, has_table, presence_problem, symbols_digest

Add = Callable[[str, str, "bytes | None"], None]
# The name is read through its number; a number no name has reads as NULL.
_ROWS = (
    "SELECT s.blob, s.line, n.name, s.kind, typeof(s.blob), typeof(s.line), typeof(s.name),"
    " typeof(s.kind), s.name FROM symbols s LEFT JOIN symbol_names n ON n.id = s.name"
    " ORDER BY s.blob, s.line, s.name, s.kind"
)
_NAMES = "SELECT id, name, typeof(id), typeof(name) FROM symbol_names ORDER BY id"
_UNUSED = (
    "SELECT count(*), min(id) FROM symbol_names n"
    " WHERE NOT EXISTS (SELECT 1 FROM symbols s WHERE s.name = n.id)"
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
    _names(conn, add)
    _rows(conn, add)
    return rows


def _names(conn: sqlite3.Connection, add: Add) -> None:
    expected, previous = 1, None
    for number, name, *types in conn.execute(_NAMES):
        wrong = [f"{c} is {t.decode()}" for (c, want), t in zip(NAME_TYPES.items(), types,
                 strict=True) if t.decode() != want]  # fmt: skip
        if wrong:
            add("SYMBOL_ROW", "a symbol_names row has the wrong types: " + ", ".join(wrong), None)
            continue
        if number != expected:
            add("SYMBOL_ROW", f"symbol name number {number} follows {expected - 1}: the numbers"
                " must run 1, 2, 3, ...", None)  # fmt: skip
        expected = number + 1
        # a name that cannot be one is named by each row using it (with its file)
        if previous is not None and not previous < name:
            add("SYMBOL_ROW", f"symbol name {number} ({name[:80]!r}) is not after the name"
                " before it in byte order", None)  # fmt: skip
        previous = name
    unused, first = conn.execute(_UNUSED).fetchone()
    if unused:
        add("SYMBOL_ROW", f"{unused} symbol names (the first: number {first}) name no row", None)


def _rows(conn: sqlite3.Connection, add: Add) -> None:
    named = _named_blobs(conn)
    current: object = None
    lines: list[bytes] | None = None
    where: bytes | None = None
    for blob, line, name, kind, *types, number in conn.execute(_ROWS):
        wrong = [f"{c} is {t.decode()}" for (c, want), t in zip(TYPES.items(), types, strict=True)
                 if t.decode() != want]  # fmt: skip
        if wrong:
            add("SYMBOL_ROW", "a symbols row has the wrong types: " + ", ".join(wrong), None)
            continue
        if name is None:
            add("SYMBOL_ROW", f"a symbols row names name number {number}, which no name has",
                None)  # fmt: skip
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
