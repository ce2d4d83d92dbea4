"""Read the symbol index: outline, definitions, references, quick-open.

    index = SymbolIndex(snapshot)        # SymbolsUnavailable on an old snapshot
    index.check()                        # once: the rows are the ones the vendor signed
    index.outline(b"kernel/fork.c")      # a file's definitions, by line
    index.definitions("kmalloc")         # Definitions(count, first candidates)
    index.references("kmalloc")          # a Search: page(0), total(), digest()
    index.quick_open("kmal")             # names by prefix, then by substring

Pure reads of the snapshot's own connection; no process, no file but the
snapshot. Every row returned was re-checked to lie in its file: a path that is
a text file of the snapshot, a line below its line count (a row that is not is
skipped, never shown; `snapshot verify` names it). Paths are raw bytes, with the
`display` form derived from the path; names are untrusted text, to be sanitized
by whoever shows them.

References are the whole-word, case-sensitive occurrences of the name in
every text file (`\\bname\\b` through `search`, with `search`'s order, count and
digest, so replay re-checks them as it re-checks a search): textual, like
`grep -w`, so comments and strings count too (docs/adr/0108).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ..catalog import catalog
from ..query import Query
from ..search import Search, search
from ..store import Snapshot
from ..walk import Kind, display_path
from .names import Names
from .references import references_pattern
from .rows import KIND_WORD, SIMPLE_NAME, name_problem

LIMIT = 50
Place = tuple[bytes, int]  # a text file: path, line count
# Text is read as bytes (CAST ... AS BLOB) and decoded here: a row that is not
# UTF-8 is skipped, never a decoding error in the caller. A row's name is its
# number in `symbol_names`, whose order is the names' (table.py).
# The page is cut from the table's own key first (a page is `limit` rows of the
# table), and only its rows are joined to their names: stepping over the rows
# before a late page then costs no lookup of a name per row (ADR 0127).
_OUTLINE = (
    "SELECT s.line, CAST(n.name AS BLOB), CAST(s.kind AS BLOB) FROM"
    " (SELECT line, name, kind FROM symbols WHERE blob = ? AND line < ?"
    " ORDER BY line, name, kind LIMIT ? OFFSET ?) s"
    " JOIN symbol_names n ON n.id = s.name ORDER BY s.line, s.name, s.kind"
)
_OUTLINE_COUNT = "SELECT count(*) FROM symbols WHERE blob = ? AND line < ?"
_BY_NAME = "SELECT blob, line, CAST(kind AS BLOB) FROM symbols WHERE name = ?"
_BLOB_FACTS = "SELECT lines, binary FROM blobs WHERE rowid = ?"
_FROM = "SELECT CAST(name AS BLOB) FROM symbol_names WHERE id >= ? ORDER BY id LIMIT ?"
_SUBSTRING = (
    "SELECT CAST(name AS BLOB) FROM symbol_names WHERE instr(name, ?) > 0 ORDER BY id LIMIT ?"
)


class SymbolsUnavailable(Exception):
    """The snapshot has no symbol index; the message says why, for the reviewer."""


@dataclass(frozen=True, slots=True)
class Symbol:
    path: bytes
    display: str  # the sanitized path (`walk.display_path`), derived when listed
    line: int  # 0-based, as the viewer numbers lines
    name: str  # untrusted
    kind: str  # ctags's kind: "function", "macro", "class", ...


@dataclass(frozen=True, slots=True)
class Definitions:
    name: str
    count: int  # places (path, line) defining this name
    candidates: list[Symbol]  # the first `limit`, by path then line


class SymbolIndex:
    """The symbol index of one open snapshot."""

    def __init__(self, snapshot: Snapshot) -> None:
        if not snapshot.has_symbols:
            raise SymbolsUnavailable(
                "symbols are unavailable: this snapshot was created without a symbol index"
            )
        self.snapshot = snapshot
        self._conn = snapshot.connection
        self._places: dict[int, list[Place]] = {}  # blob rowid -> its text files
        self._names: Names | None = None

    def check(self) -> str | None:
        """Why the table is not the one the vendor signed, or None. Reads every row
        (29 s of CPU for Linux's 11 million names and rows) unless the snapshot's
        `symbols_verified` says it was proved already (session/symbols_check.py),
        and sets it when it proves it."""
        if self.snapshot.symbols_verified:
            return None
        problem = self.snapshot.symbols_problem()
        if problem is None:
            self.snapshot.symbols_verified = True
        return problem

    def places(self, blob: object) -> list[Place]:
        """[(path, lines)] of every text file with the content of blobs rowid `blob`,
        in path order ([] if none). The paths come from the search's file list (read
        once per open snapshot, by `search.prepare` as review starts), the line count
        from that blob's own row: reading them for every file at the first answer
        walked the blobs table, whose content shares its pages (7.8 s on Linux)."""
        if type(blob) is not int:
            return []
        found = self._places.get(blob)
        if found is None:
            files = catalog(self.snapshot, self._conn)
            first = files.first.get(blob)
            facts = None if first is None else self._conn.execute(_BLOB_FACTS, (blob,)).fetchone()
            if facts is None or facts[1] != 0 or type(facts[0]) is not int:
                found = []
            else:
                found = [(files.paths[i], facts[0]) for i in (first, *files.more.get(blob, ()))]
            self._places[blob] = found
        return found

    def names(self) -> Names:
        if self._names is None:
            self._names = Names(self._conn)
        return self._names

    def outline(self, path: bytes) -> list[Symbol]:
        """The definitions in the file at `path`, by line; [] for a file without any
        or a path that is not a text file."""
        return self.outline_page(path, None)[0]

    def outline_page(
        self, path: bytes, limit: int | None, offset: int = 0
    ) -> tuple[list[Symbol], int]:
        """The `limit` (None: all) definitions in the file at `path` by line, name
        and kind that follow its first `offset` rows, and how many rows it has on its
        lines (a row that is not UTF-8 is counted, never listed); ([], 0) for a path
        that is not a text file. A page is `limit` rows of the table, so the next one
        is at `offset + limit` whatever this one listed. Reads only the rows listed
        (SQLite steps over the first `offset` in its key) and counts the rest in
        SQLite (only when there are more), so a header of 194,403 definitions lists
        any page in milliseconds (ADR 0126, ADR 0127). Raises ValueError for a
        negative offset."""
        if type(offset) is not int or offset < 0:
            raise ValueError(f"an outline page starts at a row, not at {offset!r}")
        try:
            info = self.snapshot.stat(path)
        except FileNotFoundError:
            return [], 0
        if info.kind is not Kind.FILE or info.blob is None:
            return [], 0
        blob = self.snapshot.blob(info.blob)
        if blob.binary:
            return [], 0
        key = (blob.rowid, blob.lines)
        page = (*key, -1 if limit is None else limit, offset)
        rows = self._conn.execute(_OUTLINE, page).fetchall()
        shown = info.display  # once for the file, not per row
        kinds: dict[object, str | None] = {}  # a few kinds over many rows: decoded once each
        listed = []
        for line, name, kind in rows:
            k = kinds[kind] if kind in kinds else kinds.setdefault(kind, _kind(kind))
            n = _name(name)
            if k is not None and n is not None and type(line) is int and 0 <= line < blob.lines:
                listed.append(Symbol(path, shown, line, n, k))
        if (limit is None or len(rows) < limit) and (rows or not offset):
            return listed, offset + len(rows)  # every row from the offset on was read
        return listed, self._conn.execute(_OUTLINE_COUNT, key).fetchone()[0]

    def definitions(self, name: str, limit: int = LIMIT) -> Definitions:
        """Where `name` is defined: in how many places (path, line), and the first
        `limit` in path then line order. A name that is not valid Unicode text is
        defined nowhere."""
        if not _encodable(name):
            return Definitions(name, 0, [])
        raw = name.encode()
        number = self.names().find(raw)
        if number is None:
            return Definitions(name, 0, [])
        found: list[Symbol] = []
        for blob, line, kind in self._conn.execute(_BY_NAME, (number,)):
            for place in self.places(blob):
                if (s := _symbol(place, line, raw, kind)) is not None:
                    found.append(s)
        found.sort(key=lambda s: (s.path, s.line, s.kind))
        # Only the places listed are shown: only their paths are sanitized.
        listed = [replace(s, display=display_path(s.path)) for s in found[:limit]]
        return Definitions(name, len(found), listed)

    def references(self, name: str) -> Search:
        """Every whole-word, case-sensitive occurrence of `name`, as a search.
        Raises SymbolsUnavailable for a name that is not a symbol name."""
        return search(self.snapshot, references_query(name))

    def quick_open(self, typed: str, limit: int = LIMIT) -> list[str]:
        """Names that start with `typed`, in order, then names that contain it,
        at most `limit` in all. Case-sensitive; [] for empty input."""
        if not typed or "\x00" in typed or not _encodable(typed):
            return []
        prefix = typed.encode()
        start = self.names().lower_bound(prefix)
        names = []
        for (raw,) in self._conn.execute(_FROM, (start, limit)):
            if not isinstance(raw, bytes) or not raw.startswith(prefix):
                break
            if (n := _name(raw)) is not None:
                names.append(n)
        if len(names) < limit:
            seen = set(names)
            more = self._conn.execute(_SUBSTRING, (typed, limit + len(names)))
            texts = [n for (raw,) in more if (n := _name(raw)) is not None and n not in seen]
            names += texts[: limit - len(names)]
        return names


def _symbol(
    place: Place, line: object, name: object, kind: object, display: str = ""
) -> Symbol | None:
    """The row at `place` (path, lines) as a Symbol shown as `display`, or None if
    its line is not in the file or its name or kind is not one (rows.py)."""
    path, lines = place
    if type(line) is not int or not 0 <= line < lines:
        return None
    name_text, kind_text = _name(name), _kind(kind)
    if name_text is None or kind_text is None:
        return None
    return Symbol(path, display, line, name_text, kind_text)


def _name(raw: object) -> str | None:
    """`raw` as text if it is a symbol name `create` could have kept (rows.py), else
    None: a vendor-signed table may still hold 1 MB names or control characters,
    which `snapshot verify` reports (SYMBOL_ROW) and no list shows (atk15 F1)."""
    if isinstance(raw, bytes) and SIMPLE_NAME.fullmatch(raw):
        return raw.decode("ascii")
    return _text(raw) if name_problem(raw) is None else None


def _kind(raw: object) -> str | None:
    """`raw` as text if it is a kind `create` could have kept (rows.py), else None."""
    if isinstance(raw, bytes) and KIND_WORD.fullmatch(raw):
        return raw.decode("ascii")
    return None


def _text(raw: object) -> str | None:
    if not isinstance(raw, bytes):
        return None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def references_query(name: str) -> Query:
    """The search that finds the references of `name` (`references_pattern`).
    Raises SymbolsUnavailable if `name` cannot be a symbol name."""
    try:
        pattern = references_pattern(name)
    except ValueError as exc:
        raise SymbolsUnavailable(f"not a symbol name: {exc}") from None
    return Query(pattern, regex=True, case=True)
