"""What a report counts of a ledger's entries, gathered in the walk that finds its
screen intervals (ADR 0310: a large ledger's entries are read back from its spill
file for each pass over them, so a report walks them as few times as it can).

`Tally.walk(entries)` yields the entries unchanged (to `screen.watch`) and counts
them on the way: kinds, files opened, references, symbols listed, the first and
last entries, the searches (`sessionindex.SearchMade`, for `resultlines`) and the
most lines each opened content said it had (for coverage).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator

from ..session.events import (
    FileOpen,
    QuickOpen,
    Search,
    SearchStart,
    SymbolDefinitions,
    SymbolOutline,
    SymbolQuickOpen,
)
from ..snapshot.symbols.references import references_name
from .sessionindex import SearchMade, search_made
from .timeline import TimelineEntry

FileKey = tuple[bytes, str]  # (path, blob), as coverage.FileKey


class Tally:
    def __init__(self) -> None:
        self.kinds: Counter[str] = Counter()
        self.files: set[bytes] = set()
        self.references = 0
        self.listed = 0
        self.first: TimelineEntry | None = None
        self.last: TimelineEntry | None = None
        self.searches: list[SearchMade] = []
        self.opened: dict[FileKey, int] = {}  # the most lines a file_open gave each content

    def walk(self, entries: Iterable[TimelineEntry]) -> Iterator[TimelineEntry]:
        kinds, files, opened = self.kinds, self.files, self.opened
        for e in entries:
            if self.first is None:
                self.first = e
            self.last = e
            kinds[e.kind] += 1
            ev = e.event
            if ev is not None:
                if isinstance(ev, FileOpen):
                    files.add(ev.raw_path)
                    key = (ev.raw_path, ev.blob)
                    opened[key] = max(opened.get(key, 0), ev.lines)
                elif isinstance(ev, Search | SearchStart | QuickOpen):
                    self.searches.append(search_made(e.seq, e.wall_us, e.kind, ev))
                    self.references += references(ev)
                else:
                    self.listed += symbols_listed(ev)
            yield e

    @property
    def span_us(self) -> int:
        if self.first is None or self.last is None:
            return 0
        return max(0, self.last.wall_us - self.first.wall_us)


def references(ev: object) -> bool:
    """A `search` the terminal ran as find references (ADR 0211: `\\bNAME\\b`)."""
    if not isinstance(ev, Search):
        return False
    globs = bool(ev.include or ev.exclude)
    return references_name(ev.query, ev.regex, ev.case, globs) is not None


def symbols_listed(ev: object) -> int:
    """Rows or names a symbol entry put on screen."""
    if isinstance(ev, SymbolOutline | SymbolDefinitions):
        return ev.listed
    if isinstance(ev, SymbolQuickOpen):
        return len(ev.names)
    return 0
