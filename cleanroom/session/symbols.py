"""Following code (issue 15): what a session answers from the snapshot's signed
symbol index (docs/snapshot-format.md §9, ADR 0108): a file's outline, a name's
definitions, and symbol names for quick open. References are a search
(`references_query`), recorded and replayed as one (ADR 0211); telling one
apart from other searches is `snapshot/symbols/references.py`, pure text.

The index is proved to be the signed one before its first answer: by review's
start (`symbols_check`, once per snapshot file, remembered in the ledger
directory), or else at its first use (`SymbolIndex.check` reads every name and
row: 29 s of CPU for Linux's 11 million); a table that is not the one the vendor
signed answers nothing for the rest of the session. Pure reads, no UI,
no recording: the caller records (session/review.py) before anything is shown.
"""

from __future__ import annotations

import threading
from typing import Any

from ..snapshot.symbols.query import (
    LIMIT,
    Definitions,
    Symbol,
    SymbolIndex,
    SymbolsUnavailable,
    references_query,
)

# Definitions of one file listed at most, by line (the count goes on; the next page
# starts where this one ends, ADR 0127): every file written by hand has fewer; a
# generated header's first page costs 26 ms of CPU through the service at 2,000,
# 50 ms at 5,000 (the limit before ADR 0126).
OUTLINE_LIMIT = 2_000
NAMES_LIMIT = LIMIT  # names a symbol quick open lists at most
MAX_NAME_BYTES = 256  # a typed name or quick-open query

NO_INDEX = "this snapshot has no symbol index (it was created without one)"


class SessionSymbols:
    """The symbol index of a session's snapshot, checked before its first answer.
    Every method raises SymbolsUnavailable, whose message is for the reviewer."""

    def __init__(self, source: Any) -> None:
        self._snapshot = getattr(source, "snapshot", None)
        self._lock = threading.Lock()  # one snapshot connection: one query at a time
        self._index: SymbolIndex | None = None
        self._problem: str | None = None
        self.checks = 0  # how many times this session read the whole table (once, or never)

    def _checked(self) -> SymbolIndex:
        """The index, checked once per session. Call with the lock held."""
        if self._problem is not None:
            raise SymbolsUnavailable(self._problem)
        if self._index is not None:
            return self._index
        if self._snapshot is None or not self._snapshot.has_symbols:
            self._problem = NO_INDEX
            raise SymbolsUnavailable(NO_INDEX)
        index = SymbolIndex(self._snapshot)
        if not self._snapshot.symbols_verified:
            self.checks += 1  # proved by no earlier check: check() reads every row
        try:
            problem = index.check()
        except Exception as exc:  # an unreadable table: SnapshotError, sqlite3.Error
            problem = f"the symbol index cannot be read ({type(exc).__name__})"
        if problem is not None:
            self._problem = f"the symbol index is not the one the vendor signed: {problem}"
            raise SymbolsUnavailable(self._problem)
        self._index = index
        return index

    @property
    def snapshot(self) -> Any:
        return self._snapshot

    @property
    def problem(self) -> str | None:
        """Why symbols were refused so far (None: not yet, or never)."""
        return self._problem

    def outline(self, path: bytes, offset: int = 0) -> tuple[list[Symbol], int]:
        """A page of the definitions of the file at `path` by line: the
        OUTLINE_LIMIT that follow its first `offset` (the terminal asks for 0,
        OUTLINE_LIMIT, 2 * OUTLINE_LIMIT, ...), and how many it has: only the
        listed rows are read (the rest are counted). Raises SymbolsUnavailable for
        a page that is not one: a negative offset, or a later page past the last
        row (nothing to list, so nothing is recorded)."""
        if type(offset) is not int or offset < 0:
            raise SymbolsUnavailable(f"an outline page cannot start at row {offset!r}")
        with self._lock:
            rows, total = self._checked().outline_page(path, OUTLINE_LIMIT, offset)
        if offset and offset >= total:
            raise SymbolsUnavailable(
                f"this outline has {total:,} definitions: no page starts after the first {offset:,}"
            )
        return rows, total

    def definitions(self, name: str) -> Definitions:
        """Where `name` is defined (at most LIMIT places listed, all counted)."""
        _check_typed(name)
        with self._lock:
            return self._checked().definitions(name)

    def names(self, typed: str) -> list[str]:
        """Symbol names starting with, then containing, `typed` (NAMES_LIMIT)."""
        _check_typed(typed, empty=True)
        with self._lock:
            return self._checked().quick_open(typed, NAMES_LIMIT)

    def references(self, name: str) -> Any:
        """The search query that finds the references of `name` (snapshot.query.Query).
        Raises SymbolsUnavailable without an index, or for a name that cannot be one."""
        _check_typed(name)
        with self._lock:
            self._checked()
        return references_query(name)


def _check_typed(text: str, empty: bool = False) -> None:
    if not text and not empty:
        raise SymbolsUnavailable("type a name")
    if len(text.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise SymbolsUnavailable(f"a name is at most {MAX_NAME_BYTES} bytes")


__all__ = [
    "MAX_NAME_BYTES",
    "NAMES_LIMIT",
    "NO_INDEX",
    "OUTLINE_LIMIT",
    "Definitions",
    "SessionSymbols",
    "Symbol",
    "SymbolsUnavailable",
]
