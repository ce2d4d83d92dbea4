"""Build the symbols table with universal-ctags, on the vendor's machine.

This is the only module that starts a process, and only `snapshot create`
imports it; the reviewer's side reads the table (`query`) and never runs ctags.
ctags reads the stored content, not the source tree: each text blob is written
once per language into a private temporary directory under a name that is just
its rowid, so no hostile file name reaches ctags's command line, and what is
indexed is exactly what is signed. Rows that break `rows.row_problem` (the name
is not on the line ctags gave) are dropped, not stored.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from .languages import language_of
from .rows import KIND_WORD, SIMPLE_NAME, row_problem
from .table import SYMBOLS_NAME_DDL, TABLES_DDL

BATCH_BYTES = 64 * 1024 * 1024
# One ctags run reads one language's batch of at most BATCH_BYTES. universal-ctags
# reads C at tens of MB a second, so a batch takes seconds; ten minutes leaves a
# hundredfold margin for a loaded machine. A ctags that takes longer is stuck (a
# parser loop on hostile input, a blocked read): it is killed and `create` fails,
# rather than stalling forever (docs/snapshot-format.md §9.2).
RUN_TIMEOUT = 600.0  # seconds
_FORMAT = "%N\t%F\t%n\t%K"  # name, file (a rowid), 1-based line, kind
_FILES = (
    "SELECT f.path, b.rowid, b.size FROM files f JOIN blobs b ON b.hash = f.blob"
    " WHERE f.kind = 'file' AND b.binary = 0 ORDER BY f.path"
)
# The rows as ctags gave them (names as text), before the names are numbered. Text,
# not the raw bytes: Python's sqlite3 binds a str in half the time of a bytes (ADR 0127).
_FOUND_DDL = "CREATE TEMP TABLE symbols_found (blob INTEGER, line INTEGER, name TEXT, kind TEXT)"
_FOUND_INSERT = "INSERT INTO temp.symbols_found VALUES (?, ?, ?, ?)"
_NAMES_FROM_FOUND = (
    "INSERT INTO symbol_names (name) SELECT DISTINCT name FROM temp.symbols_found ORDER BY name"
)
_IDS_DDL = "CREATE TEMP TABLE symbols_ids (name TEXT PRIMARY KEY, id INTEGER) WITHOUT ROWID"
_IDS_FROM_NAMES = "INSERT INTO temp.symbols_ids SELECT name, id FROM symbol_names ORDER BY name"
_ROWS_FROM_FOUND = (
    "INSERT OR IGNORE INTO symbols SELECT f.blob, f.line, i.id, f.kind"
    " FROM temp.symbols_found f JOIN temp.symbols_ids i ON i.name = f.name ORDER BY 1, 2, 3, 4"
)


class SymbolsBuildError(Exception):
    """ctags is missing or failed; the message says which. Nothing was stored."""


def ctags_tool() -> tuple[str, str]:
    """(the executable, its version line, e.g. "Universal Ctags 5.9.0"). Raises
    SymbolsBuildError if there is no universal-ctags on PATH."""
    exe = shutil.which("ctags")
    if exe is None:
        raise SymbolsBuildError("ctags is not installed (Debian: apt install universal-ctags)")
    try:
        out = subprocess.run([exe, "--version"], capture_output=True, timeout=30, check=True)
    except (OSError, subprocess.SubprocessError) as exc:
        raise SymbolsBuildError(f"{exe} --version failed: {exc}") from exc
    first = out.stdout.decode(errors="replace").splitlines()[:1]
    if not first or not first[0].startswith("Universal Ctags"):
        raise SymbolsBuildError(f"{exe} is not universal-ctags: {first}")
    return exe, first[0].split(",")[0].strip()


def build_symbols(conn: sqlite3.Connection, progress: Callable[[int], None] | None = None) -> str:
    """Create and fill the symbols table in `conn` (autocommit mode) from its files
    and blobs. Returns the ctags version line. Raises SymbolsBuildError."""
    exe, tool = ctags_tool()
    groups = blob_languages(conn)
    conn.execute("BEGIN")
    for ddl in TABLES_DDL:
        conn.execute(ddl)
    conn.execute(_FOUND_DDL)
    with tempfile.TemporaryDirectory(prefix="cleanroom-symbols-") as tmp:
        for lang in sorted(groups):
            batch: list[int] = []
            pending = 0
            for rowid, size in groups[lang]:
                batch.append(rowid)
                pending += size
                if pending >= BATCH_BYTES:
                    _batch(conn, exe, lang, batch, Path(tmp), progress)
                    batch, pending = [], 0
            if batch:
                _batch(conn, exe, lang, batch, Path(tmp), progress)
    _store(conn)
    conn.execute("COMMIT")
    return tool


def _store(conn: sqlite3.Connection) -> None:
    """From the rows found (names as text) to the stored index: the distinct names
    numbered in ascending byte order, then each row once naming its name by
    number, in key order, then the index on the number (built once, packed).
    SQLite sorts on disk: the memory used does not grow with the tree."""
    conn.execute(_NAMES_FROM_FOUND)
    conn.execute(_IDS_DDL)
    conn.execute(_IDS_FROM_NAMES)
    conn.execute(_ROWS_FROM_FOUND)
    conn.execute("DROP TABLE temp.symbols_ids")
    conn.execute("DROP TABLE temp.symbols_found")
    conn.execute(SYMBOLS_NAME_DDL)


def blob_languages(conn: sqlite3.Connection) -> dict[str, list[tuple[int, int]]]:
    """language -> [(blob rowid, size)] in rowid order: each text blob once, in the
    language of the first path (in path order) that names it and has one."""
    chosen: dict[int, tuple[str, int]] = {}
    for path, rowid, size in conn.execute(_FILES):
        lang = language_of(path)
        if lang is not None and rowid not in chosen:
            chosen[rowid] = (lang, size)
    groups: dict[str, list[tuple[int, int]]] = {}
    for rowid in sorted(chosen):
        lang, size = chosen[rowid]
        groups.setdefault(lang, []).append((rowid, size))
    return groups


def _batch(
    conn: sqlite3.Connection,
    exe: str,
    lang: str,
    rowids: list[int],
    tmp: Path,
    progress: Callable[[int], None] | None,
) -> None:
    contents: dict[int, bytes] = {}
    for rowid in rowids:
        (content,) = conn.execute("SELECT content FROM blobs WHERE rowid = ?", (rowid,)).fetchone()
        contents[rowid] = content
        (tmp / str(rowid)).write_bytes(content)
    try:
        out = _run(exe, lang, rowids, tmp)
    finally:
        for rowid in rowids:
            os.unlink(tmp / str(rowid))
    for content in contents.values():
        if progress is not None:
            progress(len(content))
    conn.executemany(_FOUND_INSERT, _rows(out, contents))


def _rows(out: bytes, contents: dict[int, bytes]) -> list[tuple[int, int, str, str]]:
    """ctags's answer as rows to store: (rowid, 0-based line, name, kind). One tag a
    line, four tab-separated fields; a line that is not exactly that is ignored, and
    a row that breaks `rows.row_problem` is dropped. The common row (a name of
    printable ASCII, a kind seen before) is checked here without a call; any other
    goes through `row_problem` itself, so the rows kept are the same (ADR 0127)."""
    rows: list[tuple[int, int, str, str]] = []
    append = rows.append
    simple = SIMPLE_NAME.fullmatch
    kinds: dict[bytes, str | None] = {}  # kind -> its text if it is one (few kinds, many rows)
    current = -1
    lines: list[bytes] = []
    for tag in out.split(b"\n"):
        fields = tag.split(b"\t")
        if len(fields) != 4:
            continue
        name, file, number, kind = fields
        if not (file.isdigit() and number.isdigit()):
            continue
        rowid = int(file)
        if rowid != current:  # ctags answers file by file: each file's lines split once
            current = rowid
            content = contents.get(rowid)
            lines = [] if content is None else content.split(b"\n")
        line = int(number) - 1
        text = lines[line] if 0 <= line < len(lines) else None
        if kind in kinds:
            k = kinds[kind]
        else:
            k = kinds[kind] = kind.decode() if KIND_WORD.fullmatch(kind) else None
        fast = k is not None and text is not None and simple(name) is not None and name in text
        if fast or row_problem(name, kind, line, text) is None:
            append((rowid, line, name.decode(), kind.decode() if k is None else k))
    return rows


def _run(exe: str, lang: str, rowids: list[int], tmp: Path) -> bytes:
    """ctags's definitions in the files named by rowid, as it wrote them (`_FORMAT`,
    one a line; `_rows` reads them). Raises SymbolsBuildError naming the language
    if ctags fails or runs past RUN_TIMEOUT."""
    command = [exe, "--options=NONE", "--sort=no", "-x", f"--_xformat={_FORMAT}",
               f"--language-force={lang}", "-f", "-", "-L", "-"]  # fmt: skip
    listing = "".join(f"{r}\n" for r in rowids).encode()
    # ctags writes its own temporary files in $TMPDIR and fails when that is not a
    # usable directory (TMPDIR=/nonexistent ended the demo in three tracebacks):
    # it gets the working directory it already has.
    env = {**os.environ, "TMPDIR": str(tmp)}
    try:
        out = subprocess.run(
            command,
            input=listing,
            capture_output=True,
            cwd=tmp,
            check=True,
            env=env,
            timeout=RUN_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        raise SymbolsBuildError(
            f"ctags did not finish on {lang} files ({len(rowids):,} files) within"
            f" {RUN_TIMEOUT:g} s; it was stopped"
        ) from None
    except subprocess.CalledProcessError as exc:
        said = exc.stderr.decode("utf-8", "replace").strip().splitlines()[:1] if exc.stderr else []
        why = f" ({said[0][:200]})" if said else ""
        failed = f"ctags failed on {lang} files: exit {exc.returncode}{why}"
        raise SymbolsBuildError(failed) from exc
    except OSError as exc:
        raise SymbolsBuildError(f"ctags failed on {lang} files: {exc}") from exc
    return out.stdout
