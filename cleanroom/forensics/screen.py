"""What was on the reviewer's screen after each entry, and how long each viewport stayed.

`Screen` is the state after an entry and `step` the pure transition, so a replay
viewer can walk a timeline one entry at a time; `screens` does that walk.
`shown` turns a timeline into `Shown` intervals: each stretch of time one
viewport was visible; `rows_shown` does the same for search result rows
(`RowsShown`), which who-viewed counts as lines seen in search results. The
rules (docs/report-format.md, "How dwell is measured"):

- `view`: that viewport is painted and visible from this entry on.
- `file_open`: a new file; none of it is visible until its first `view`.
- `idle`, or an `alert` whose response is `lock` or `end`: the screen is blank.
- `active` or `unlock`: the idle or guard lock ends, but nothing is visible until the next `view`:
  the reviewer terminal records the viewport again before it repaints it.
- `recording_failed`: the source was hidden from `failed_at_wall_us` until this
  entry; the viewport before it ends there and is visible again from this entry.
- `session_resume`: the previous process died at an unknown moment after the last
  entry before the resume, so what it showed is counted only up to that entry;
  after the resume nothing is visible until a `view`.
- `search`, `search_start` (a first page, listed before the search's count is
  known) and `search_results_view`: the search screen is in front (`searching`)
  until the next `view` or `file_open`; the code behind it is not visible. Like a
  `view`, a `search_results_view` is written just before its rows are drawn, so it
  ends a lock: after a lock over the search screen, the reviewer terminal records
  the rows again, not the code behind them.
- `session_end`: nothing is visible. A ledger that ends unsealed is counted up to
  its last entry.

Durations use the monotonic clock within one boot (`timeline.elapsed_us`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from ..session.events import FileOpen, SearchResultsView, View
from .timeline import TimelineEntry, elapsed_us

BLANKING_RESPONSES = ("lock", "end")


@dataclass(frozen=True, slots=True)
class Viewport:
    """Lines first..last (1-based, inclusive) of one content, as recorded by `seq`."""

    path: bytes
    blob: str
    first: int
    last: int
    col: int
    cols: int
    seq: int
    wrap: int = 0  # wrapped in this many rows of `cols` cells (ADR 0212); 0: cut


@dataclass(frozen=True, slots=True)
class Rows:
    """Result rows first..last (0-based, inclusive) of the search at `search_seq`."""

    search_seq: int
    first: int
    last: int


@dataclass(frozen=True, slots=True)
class Screen:
    """The screen after an entry. `hidden` says why nothing is visible: `idle`,
    `locked`, `ended` (an alert), `crashed` (a resume) or `sealed`."""

    file: FileOpen | None = None
    viewport: Viewport | None = None
    hidden: str | None = None
    search_seq: int | None = None  # the last search run
    result_rows: tuple[int, int] | None = None  # its result rows on screen
    searching: bool = False  # the search screen is in front of the code

    @property
    def visible(self) -> Viewport | None:
        return self.viewport if self.hidden is None and not self.searching else None

    @property
    def rows_visible(self) -> Rows | None:
        """The search result rows on screen, if the search screen is in front."""
        if self.hidden is not None or not self.searching or self.result_rows is None:
            return None
        if self.search_seq is None:
            return None
        return Rows(self.search_seq, *self.result_rows)


@dataclass(frozen=True, slots=True)
class Shown:
    """One viewport, visible from `start_us` to `end_us` (wall clock) for `dwell_us`."""

    viewport: Viewport
    start_us: int
    end_us: int
    dwell_us: int
    ended_by: str  # the kind of entry that ended it, or "end" where the ledger stops


@dataclass(frozen=True, slots=True)
class RowsShown:
    """Search result rows, visible from `start_us` to `end_us` for `dwell_us`."""

    rows: Rows
    start_us: int
    end_us: int
    dwell_us: int
    ended_by: str


def step(screen: Screen, entry: TimelineEntry) -> Screen:
    """The screen after `entry`, given the screen before it."""
    kind, ev, s = entry.kind, entry.event, screen
    # Explicit constructors, not dataclasses.replace: this runs once per entry.
    if kind == "view" and isinstance(ev, View):
        vp = Viewport(ev.raw_path, ev.blob, ev.first, ev.last, ev.col, ev.cols, entry.seq,
                      ev.wrap)  # fmt: skip
        return Screen(s.file, vp, None, s.search_seq, s.result_rows)
    if kind == "file_open" and isinstance(ev, FileOpen):
        return Screen(ev, None, s.hidden, s.search_seq, s.result_rows)
    if kind == "idle":
        return Screen(s.file, s.viewport, "idle", s.search_seq, s.result_rows, s.searching)
    if kind in ("active", "unlock"):  # the viewport comes back with its own, new `view`
        return Screen(s.file, None, None, s.search_seq, s.result_rows, s.searching)
    if kind == "alert" and entry.payload.get("response") in BLANKING_RESPONSES:
        why = "locked" if entry.payload["response"] == "lock" else "ended"
        return Screen(s.file, s.viewport, why, s.search_seq, s.result_rows, s.searching)
    if kind in ("search", "search_start"):
        return Screen(s.file, s.viewport, s.hidden, entry.seq, None, True)
    if kind == "search_results_view" and isinstance(ev, SearchResultsView):
        # Rows are recorded just before they are drawn, as a view is: visible again.
        return Screen(s.file, s.viewport, None, ev.search_seq, (ev.first, ev.last), True)
    if kind == "session_resume":
        return Screen()
    if kind == "session_end":
        return Screen(hidden="sealed")
    return screen


def screens(entries: Sequence[TimelineEntry]) -> Iterator[tuple[TimelineEntry, Screen]]:
    """Each entry with the screen after it."""
    screen = Screen()
    for entry in entries:
        screen = step(screen, entry)
        yield entry, screen


def shown(entries: Sequence[TimelineEntry]) -> list[Shown]:
    """Every interval a viewport was visible, in order."""
    return watch(entries).shown


def rows_shown(entries: Sequence[TimelineEntry]) -> list[RowsShown]:
    """Every interval search result rows were visible, in order (same rules)."""
    return watch(entries).rows


@dataclass(frozen=True, slots=True)
class Watched:
    """What one walk over a timeline found: `shown` and `rows` as `shown` and
    `rows_shown` give them, and the time the screen was blank for `blank_for`."""

    shown: list[Shown]
    rows: list[RowsShown]
    blank_us: int


Interval = tuple[Any, int, int, int, str]  # what, start_us, end_us, dwell_us, ended_by


def watch(entries: Sequence[TimelineEntry], blank_for: Sequence[str] = ()) -> Watched:
    """Viewports and result rows on screen, and the time the screen was hidden for
    one of `blank_for` (`Screen.hidden`: idle, locked...) until the next entry, in
    one walk: a report needs all three, and each walk steps every entry."""
    watcher = Watcher(blank_for)
    watcher.feed(entries)
    return watcher.done()


class Watcher:
    """`watch`, given the entries a run at a time (`feed`, in seq order), so that a
    report can walk a ledger's entries as the verifier's processes hand them over;
    `done` then gives what `watch` gives for all the entries fed."""

    def __init__(self, blank_for: Sequence[str] = ()) -> None:
        self._blank_for = blank_for
        self._views: list[Interval] = []
        self._rows: list[Interval] = []
        self._blank = 0
        self._screen = Screen()
        # When the visible viewport (rows) appeared, and what it is.
        self._v_since: TimelineEntry | None = None
        self._r_since: TimelineEntry | None = None
        self._v_now: Any = None
        self._r_now: Any = None
        self._prev: TimelineEntry | None = None

    def feed(self, entries: Iterable[TimelineEntry]) -> None:
        views, rows, blank_for = self._views, self._rows, self._blank_for
        blank, screen, prev = self._blank, self._screen, self._prev
        v_since, r_since, v_now, r_now = self._v_since, self._r_since, self._v_now, self._r_now
        for entry in entries:
            if prev is not None and screen.hidden is not None and screen.hidden in blank_for:
                blank += elapsed_us(prev, entry)
            after = step(screen, entry)
            v_nxt, r_nxt = after.visible, after.rows_visible
            if v_now is not None or v_nxt is not None:
                v_since = _track(views, v_now, v_nxt, v_since, entry, prev)
            if r_now is not None or r_nxt is not None:
                r_since = _track(rows, r_now, r_nxt, r_since, entry, prev)
            screen, prev, v_now, r_now = after, entry, v_nxt, r_nxt
        self._blank, self._screen, self._prev = blank, screen, prev
        self._v_since, self._r_since, self._v_now, self._r_now = v_since, r_since, v_now, r_now

    def done(self) -> Watched:
        """What the entries fed showed; the watcher is spent (feed no more)."""
        views, rows, prev = self._views, self._rows, self._prev
        if prev is not None:
            if self._v_now is not None and self._v_since is not None:
                views.append(_interval(self._v_now, self._v_since, prev, "end"))
            if self._r_now is not None and self._r_since is not None:
                rows.append(_interval(self._r_now, self._r_since, prev, "end"))
        self._views, self._rows = [], []
        return Watched([Shown(*i) for i in views], [RowsShown(*i) for i in rows], self._blank)


def _track(
    out: list[Interval],
    now: Any,
    nxt: Any,
    since: TimelineEntry | None,
    entry: TimelineEntry,
    prev: TimelineEntry | None,
) -> TimelineEntry | None:
    """One entry's effect on one visible thing: `now` before it, `nxt` after it.
    Appends the interval it ends, if any; returns when the visible thing appeared."""
    if now is not None and since is not None:
        if entry.kind == "recording_failed":
            out.append(_cut_at_failure(now, since, entry))
            return entry if nxt is not None else None
        if entry.kind == "session_resume":
            end = prev if prev is not None else since
            out.append(_interval(now, since, end, entry.kind))
            return None
        if nxt != now:
            out.append(_interval(now, since, entry, entry.kind))
            return entry if nxt is not None else None
        return since
    return entry if nxt is not None else since


def _interval(what: Any, since: TimelineEntry, until: TimelineEntry, why: str) -> Interval:
    return (what, since.wall_us, max(since.wall_us, until.wall_us), elapsed_us(since, until), why)


def _cut_at_failure(what: Any, since: TimelineEntry, entry: TimelineEntry) -> Interval:
    """The viewport was hidden from the recorded failure time until `entry`."""
    failed = entry.payload.get("failed_at_wall_us")
    if not isinstance(failed, int) or isinstance(failed, bool):
        failed = entry.wall_us
    failed = min(max(failed, since.wall_us), entry.wall_us)
    hidden_us = entry.wall_us - failed
    dwell = max(0, elapsed_us(since, entry) - hidden_us)
    return (what, since.wall_us, failed, dwell, entry.kind)
