"""Replay: a verified timeline as a sequence of screens, with every search re-run.

`Replay` pairs each entry with the screen after it (`screen.step`, the same walk
the report's dwell uses), finds the step at a moment or a seq, and resolves the
content a viewport names: the file at the recorded path in the session's
snapshot, accepted only if its blob is the recorded one; and the names a
`tree_list` listed (`listing`; a `quick_open_list` holds its names itself). `check_searches` runs
each recorded search again on that snapshot and compares hit count and result
digest (docs/snapshot-format.md §8) with what the ledger holds.

No textual here: the terminal app and the asciicast export draw these steps.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from ..session.events import Search, SearchStart, SymbolDefinitions, SymbolOutline, SymbolQuickOpen
from ..session.first_page import first_digest
from ..session.snapshot_source import SnapshotSource
from ..session.source import ContentRefused, Entry, Opened
from ..session.symbols import SessionSymbols
from ..snapshot.search import KEPT, PAGE, Hit, Query, SearchError
from .screen import Screen, screens
from .symbol_check import SymbolCheck, check_symbol
from .timeline import Timeline, TimelineEntry, elapsed_us


@dataclass(frozen=True, slots=True)
class Step:
    entry: TimelineEntry
    screen: Screen  # after the entry


@dataclass(frozen=True)
class SearchCheck:
    """A recorded search run again. `ok` when hit count and digest both agree. For a
    `search_start` (a first page), its rows: the first `rows` hits of the run."""

    seq: int
    recorded: Search | SearchStart
    total: int | None = None
    digest: str | None = None
    hits: list[Hit] = field(default_factory=list)  # the first KEPT, for the result list
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.digest == self.recorded.digest and self.total == recorded_hits(self.recorded)


class Replay:
    def __init__(self, timeline: Timeline, source: SnapshotSource | None) -> None:
        self.timeline = timeline
        self.source = source
        self.steps = [Step(entry, screen) for entry, screen in screens(timeline.entries)]
        self._walls = [s.entry.wall_us for s in self.steps]
        self._seqs = [s.entry.seq for s in self.steps]
        self._offsets = [0]  # time from the first entry, summed gap by gap
        for a, b in zip(self.steps, self.steps[1:], strict=False):
            self._offsets.append(self._offsets[-1] + elapsed_us(a.entry, b.entry))
        self.search_indexes = [  # the steps that are searches
            i for i, s in enumerate(self.steps) if isinstance(s.entry.event, Search | SearchStart)
        ]
        self.searches: dict[int, SearchCheck] = {}
        self.symbol_indexes = [  # the steps that listed symbols (outline, definitions, names)
            i for i, s in enumerate(self.steps)
            if isinstance(s.entry.event, SymbolOutline | SymbolDefinitions | SymbolQuickOpen)
        ]  # fmt: skip
        self.symbols: dict[int, SymbolCheck] = {}
        self._opened: dict[tuple[bytes, str], Opened | None] = {}
        self._listings: dict[bytes, list[Entry] | None] = {}  # a big directory has many pages

    def __len__(self) -> int:
        return len(self.steps)

    def index_of_seq(self, seq: int) -> int | None:
        i = bisect.bisect_left(self._seqs, seq)
        return i if i < len(self._seqs) and self._seqs[i] == seq else None

    def index_at(self, wall_us: int) -> int:
        """The last step at or before `wall_us` (the first step if it is earlier)."""
        return max(0, bisect.bisect_right(self._walls, wall_us) - 1)

    def offset_us(self, index: int) -> int:
        """Time from the first entry to step `index` (monotonic clock within a boot)."""
        return self._offsets[index] if self.steps else 0

    def gap_us(self, index: int) -> int:
        """Time from step `index` to the next one (0 at the last)."""
        if index + 1 >= len(self.steps):
            return 0
        return self._offsets[index + 1] - self._offsets[index]

    def index_at_offset(self, us: int) -> int:
        """The last step at most `us` after the first."""
        return max(0, bisect.bisect_right(self._offsets, us) - 1)

    def content(self, path: bytes, blob: str) -> Opened | None:
        """The recorded content of `path`, or None if the snapshot does not hold that
        blob at that path (then nothing may be drawn for it)."""
        key = (path, blob)
        if key not in self._opened:
            self._opened[key] = self._open(path, blob)
        return self._opened[key]

    def _open(self, path: bytes, blob: str) -> Opened | None:
        if self.source is None:
            return None
        try:
            opened = self.source.open(path)
            check = getattr(opened.document, "check", None)
            if check is not None:  # a chunked file (ADR 0109): replay checks all of it first
                check(0, opened.lines)
        except (KeyError, ContentRefused):  # not the signed content: nothing may be drawn
            return None
        return opened if opened.blob == blob else None

    def listing(self, directory: bytes) -> list[Entry] | None:
        """The names the tree listed for `directory` ("" for the root), from the
        session's snapshot; None without one, or if it holds no such directory."""
        if self.source is None:
            return None
        if directory in self._listings:
            return self._listings[directory]
        try:
            listing: list[Entry] | None = self.source.children(directory)
        except (OSError, KeyError, ValueError):  # FileNotFoundError, NotADirectoryError
            listing = None
        if len(self._listings) >= 16:
            self._listings.clear()
        self._listings[directory] = listing
        return listing

    def check_searches(self, progress: Callable[[], None] | None = None) -> None:
        """Run every recorded search again (see `check_search`)."""
        for i in self.search_indexes:
            entry = self.steps[i].entry
            assert isinstance(entry.event, Search | SearchStart)
            self.searches[entry.seq] = check_search(entry.seq, entry.event, self.source)
            if progress is not None:
                progress()

    def check_symbols(self, progress: Callable[[], None] | None = None) -> None:
        """Derive every symbol entry again from the signed index (symbol_check.py);
        the index itself is checked once, at the first."""
        index = SessionSymbols(self.source) if self.source is not None else None
        for i in self.symbol_indexes:
            entry = self.steps[i].entry
            event = entry.event
            assert isinstance(event, SymbolOutline | SymbolDefinitions | SymbolQuickOpen)
            self.symbols[entry.seq] = check_symbol(entry.seq, event, index)
            if progress is not None:
                progress()


def recorded_hits(recorded: Search | SearchStart) -> int:
    """The hit count an entry records: a search's total, a first page's rows."""
    return recorded.rows if isinstance(recorded, SearchStart) else recorded.hits


def check_search(seq: int, recorded: Search | SearchStart,
                 source: SnapshotSource | None) -> SearchCheck:  # fmt: skip
    if source is None:
        return SearchCheck(seq, recorded, error="no snapshot of this session was given")
    try:
        query = Query(recorded.query, recorded.regex, recorded.case,
                      tuple(recorded.include), tuple(recorded.exclude))  # fmt: skip
        handle = source.search(query)
    except SearchError as exc:
        return SearchCheck(seq, recorded, error=f"the query does not run: {exc}")
    try:
        if isinstance(recorded, SearchStart):  # its rows are the run's first ones
            first = handle.page(0)[: recorded.rows]
            return SearchCheck(seq, recorded, len(first), first_digest(query.to_json(), first),
                               first)  # fmt: skip
        digest, total = handle.digest(), handle.total()
        pages = -(-min(total, KEPT) // PAGE)
        hits = [hit for n in range(pages) for hit in handle.page(n)]
    finally:
        handle.close()
    return SearchCheck(seq, recorded, total, digest, hits)


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$")
_OFFSET = re.compile(r"^\+(?:(?:(\d+):)?(\d+):)?(\d+)(?:\.(\d{1,6}))?s?$")


class WhenError(ValueError):
    """A moment that cannot be read."""


def parse_when(text: str, replay: Replay) -> int:
    """The step index for `text`: `#SEQ`, `+[[H:]M:]S` from the start, a UTC time
    of day `HH:MM[:SS[.ffffff]]` on the day of the first entry, or an ISO 8601
    date and time (UTC unless it names an offset)."""
    text = text.strip()
    if not replay.steps:
        raise WhenError("the ledger has no entries")
    first = replay.steps[0].entry
    if text.startswith("#"):
        try:
            seq = int(text[1:])
        except ValueError:
            raise WhenError(f"not a seq: {text!r}") from None
        index = replay.index_of_seq(seq)
        if index is None:
            raise WhenError(f"no entry with seq {seq}")
        return index
    if m := _OFFSET.match(text):
        h, mi, s, frac = m.groups()
        us = ((int(h or 0) * 60 + int(mi or 0)) * 60 + int(s)) * 1_000_000
        us += int((frac or "0").ljust(6, "0"))
        return replay.index_at_offset(us)
    if m := _CLOCK.match(text):
        h, mi, s, frac = m.groups()
        day = dt.datetime.fromtimestamp(first.wall_us // 1_000_000, dt.UTC).date()
        try:
            moment = dt.datetime.combine(day, dt.time(int(h), int(mi), int(s or 0)), dt.UTC)
        except ValueError:
            raise WhenError(f"not a time of day: {text!r}") from None
        us = int((frac or "0").ljust(6, "0"))
        return replay.index_at(int(moment.timestamp()) * 1_000_000 + us)
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise WhenError(
            f"not a moment: {text!r} (use #SEQ, +M:SS, HH:MM:SS or an ISO date and time)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return replay.index_at(int(moment.timestamp() * 1_000_000))


def open_source(snapshots: Sequence[SnapshotSource], timeline: Timeline) -> SnapshotSource | None:
    """The snapshot the session reviewed, among those given."""
    for s in snapshots:
        if s.snapshot.id == timeline.snapshot_id:
            return s
    return None


__all__ = [
    "Replay",
    "SearchCheck",
    "SymbolCheck",
    "Step",
    "WhenError",
    "check_search",
    "open_source",
    "parse_when",
    "recorded_hits",
]
