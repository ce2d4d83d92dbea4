"""Which file lines a session read in search result rows.

A `search_results_view` names rows of a search's ordered result list, not file
lines, and each row shows one line (`path:line: text`). To know which, the
search is run again on the session's snapshot, as replay does (`check_search`),
and believed only when its hit count and digest equal the recorded ones: then
row r is hit r of that list. A session whose snapshot was not given, or whose
search does not run the same again, cannot be mapped; `ResultLines` says so
rather than counting nothing. At most MAX_RUNS distinct searches are run again
per question, so a ledger full of searches cannot make a question take hours;
rows of the others are unmapped, and said so.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from ..session.events import Search
from ..session.first_page import first_digest
from ..session.snapshot_source import SnapshotSource
from ..snapshot.search import Query, SearchError
from ..snapshot.store import Snapshot
from .replay import SearchCheck, check_search
from .screen import RowsShown, Shown, Viewport
from .sessionindex import SearchMade, SessionIndex
from .versions import blob_at

MAX_RUNS = 200  # distinct searches run again per question


@dataclass(frozen=True)
class RowLine:
    """The file line one result row showed (1-based) and the content it is in."""

    path: bytes
    blob: str
    line: int


@dataclass(frozen=True)
class RowsRead:
    """Rows of one search on screen once, and the lines they showed."""

    shown: RowsShown
    lines: tuple[RowLine, ...]


@dataclass(frozen=True)
class Unmapped:
    """Result rows a session had on screen whose lines could not be known."""

    index: SessionIndex
    search_seq: int
    views: int  # how many times rows of it were on screen
    why: str


class ResultLines:
    """Maps the result rows of sessions to file lines on the `snapshots` given; each
    distinct search is run once per snapshot."""

    def __init__(self, snapshots: Sequence[Snapshot]) -> None:
        self._sources = {s.id: SnapshotSource(s) for s in snapshots}
        self._runs: dict[tuple, SearchCheck] = {}
        self._blobs: dict[tuple[str, bytes], str | None] = {}

    def read(self, index: SessionIndex) -> tuple[list[RowsRead], list[Unmapped]]:
        """The rows `index` had on screen as lines, and those that cannot be mapped."""
        by_search: dict[int, list[RowsShown]] = {}
        for r in index.results:
            by_search.setdefault(r.rows.search_seq, []).append(r)
        made = {s.seq: s for s in index.searches if s.kind in ("search", "search_start")}
        snap = index.summary.get("snapshot")
        snap_id = snap.get("id") if isinstance(snap, dict) else None
        source = self._sources.get(snap_id) if isinstance(snap_id, str) else None
        read: list[RowsRead] = []
        unmapped: list[Unmapped] = []
        for seq, views in by_search.items():
            search = made.get(seq)
            why = None
            if source is None:
                why = f"its snapshot {str(snap_id)[:16]} was not given (--snapshot)"
            elif search is None or search.digest is None:
                why = f"entry {seq} is not a recorded search"
            if why is not None or source is None or search is None:
                unmapped.append(Unmapped(index, seq, len(views), why or ""))
                continue
            check = self._run(source, search)
            if check is None:
                why = f"more than {MAX_RUNS} distinct searches would have to be run again"
                unmapped.append(Unmapped(index, seq, len(views), why))
                continue
            same = _same(check, search)
            if check.error is not None or not same:
                why = check.error or "it gives other results on the snapshot than recorded"
                unmapped.append(Unmapped(index, seq, len(views), why))
                continue
            # A first page lets the terminal show its own rows only (ADR 0116: often
            # fewer than 100); the run again holds the whole search's kept rows.
            end = search.hits if search.kind == "search_start" else len(check.hits)
            for view in views:
                rows = check.hits[view.rows.first : min(view.rows.last + 1, end)]
                lines = tuple(
                    RowLine(h.path, self._blob(source.snapshot, h.path), h.line + 1) for h in rows
                )
                read.append(RowsRead(view, lines))
        return read, unmapped

    def _run(self, source: SnapshotSource, s: SearchMade) -> SearchCheck | None:
        """The search run again (once per snapshot and query, whatever was recorded),
        or None past MAX_RUNS."""
        key = (source.snapshot.id, s.query, s.regex, s.case, s.include, s.exclude)
        if key not in self._runs:
            if len(self._runs) >= MAX_RUNS:
                return None
            recorded = Search(s.query, s.regex, s.case, list(s.include), list(s.exclude), 0, "")
            self._runs[key] = check_search(s.seq, recorded, source)
        return self._runs[key]

    def _blob(self, snapshot: Snapshot, path: bytes) -> str:
        key = (snapshot.id, path)
        if key not in self._blobs:
            self._blobs[key] = blob_at(snapshot, path)
        return self._blobs[key] or ""


def _same(check: SearchCheck, s: SearchMade) -> bool:
    """Whether the run gives what `s` recorded: the whole list's count and digest for
    a search; for a first page (`search_start`), its rows' count and digest."""
    if s.kind != "search_start":
        return (check.total, check.digest) == (s.hits, s.digest)
    if check.error is not None or len(check.hits) < s.hits:
        return False
    try:
        query = Query(s.query, s.regex, s.case, s.include, s.exclude).to_json()
    except SearchError:
        return False
    return first_digest(query, check.hits[: s.hits]) == s.digest


def rows_as_shown(read: Iterable[RowsRead]) -> list[Shown]:
    """Pages of search result rows on screen as `Shown` intervals: per page, one per
    run of consecutive lines of one file version, each with the page's time."""
    out: list[Shown] = []
    for r in read:
        by_file: dict[tuple[bytes, str], set[int]] = defaultdict(set)
        for line in r.lines:
            if line.blob:  # a path the snapshot does not hold: nothing to count against
                by_file[(line.path, line.blob)].add(line.line)
        rows, shown = r.shown.rows, r.shown
        for (path, blob), numbers in sorted(by_file.items()):
            for first, last in _runs(sorted(numbers)):
                vp = Viewport(path, blob, first, last, 0, 0, rows.search_seq)
                out.append(Shown(vp, shown.start_us, shown.end_us, shown.dwell_us,
                                 shown.ended_by))  # fmt: skip
    return out


def _runs(numbers: list[int]) -> Iterator[tuple[int, int]]:
    start = prev = numbers[0]
    for n in numbers[1:]:
        if n != prev + 1:
            yield start, prev
            start = n
        prev = n
    yield start, prev
