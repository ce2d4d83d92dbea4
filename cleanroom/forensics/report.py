"""The forensic report: what verified ledgers show, ready for any output format.

`build_report` takes `Evidence` (verified timelines) and the snapshots given,
and computes each session's screen intervals and figures, coverage per file
version, the searches and the incidents. The writers (`report_html`,
`report_json`, `report_jsonl`, `report_csv`) only lay this out.

Ledgers are never silently mixed: every session keeps its status, a withheld
(TAMPERED) ledger contributes nothing but its verdict, and coverage from
TAMPERED ledgers, when they are included at all, is a separate group.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .. import __version__
from ..ledger.keys import key_id
from ..ledger.verdict import EXIT_CODES, Status
from ..session.events import (
    SearchResultsView,
)
from ..snapshot.store import Snapshot
from .coverage import FileCoverage, FileKey, coverage
from .dwell import SeqDwell
from .mismatch import Mismatch, content_at, event_mismatches, find_mismatches
from .notes import NoteProblem
from .report_notes import NoteRow
from .resultlines import ResultLines, Unmapped, rows_as_shown
from .screen import RowsShown, Shown, Watcher
from .sessionindex import SearchMade, SessionIndex
from .shownlines import shown_lines
from .snapshotmap import MapNode, snapshot_map
from .source_text import SourceText
from .tally import Tally
from .timeline import Evidence, Timeline, TimelineEntry
from .versions import find_blob

REPORT_FORMAT = "cleanroom.report.v1"
SEARCH_KINDS = ("search", "quick_open")
INCIDENT_KINDS = ("alert", "blocked", "recording_failed", "session_resume", "crash")
BLANK_REASONS = ("idle", "locked")
Who = tuple[str | None, str | None]  # a reviewer: name and organisation, as recorded


@dataclass(frozen=True)
class SnapshotFacts:
    path: str
    id: str
    name: str
    version: str
    root: str


@dataclass
class SessionReport:
    """One ledger: its timeline and what was computed from it."""

    key: str  # the ledger path, unique within a report
    timeline: Timeline
    shown: list[Shown]
    dwell_by_seq: Mapping[int, int]  # view entry seq -> µs it stayed visible (dwell.py)
    stats: dict[str, int]
    snapshot_given: bool | None  # None: the session names no snapshot
    rows: list[RowsShown] = field(default_factory=list)  # search result rows on screen
    # Entries naming a path and content its snapshot contradicts (mismatch.py): seq -> why
    mismatches: dict[int, Mismatch] = field(default_factory=dict)
    searches: list[SearchMade] | None = None  # from `analyse`: the searches, for resultlines
    opened: dict[FileKey, int] = field(default_factory=dict)  # from `analyse` (tally.py)

    @property
    def status(self) -> Status:
        return self.timeline.status


@dataclass
class CoverageGroup:
    """Coverage over sessions of one trust class: "verified" (INTACT or INCOMPLETE
    ledgers) or "tampered" (only when TAMPERED ledgers were included)."""

    trust: str
    files: list[FileCoverage]
    in_snapshots: dict[FileKey, list[str]]  # snapshot ids holding this content at this path
    statuses: dict[str, Status]  # session key -> status, for the sessions listed per file
    # Result rows on screen whose lines could not be known (no snapshot, other results)
    unmapped: list[Unmapped] = field(default_factory=list)

    scale_us: int = 0  # the hottest line of any file: one colour scale for the group
    # The same coverage per session and per reviewer (`reviewer_label`), for the summary
    by_session: dict[str, list[FileCoverage]] = field(default_factory=dict)
    by_reviewer: dict[Who, list[FileCoverage]] = field(default_factory=dict)
    # Rows a session's own snapshot contradicts (mismatch.py): flagged, never credited
    mismatches: dict[FileKey, Mismatch] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.scale_us = max((f.max_dwell_us for f in self.files), default=0)


@dataclass
class Listed:
    """An entry listed in the searches or incidents, with the session it belongs to."""

    session: SessionReport
    entry: TimelineEntry
    rows_viewed: tuple[int, int] | None = None  # for a search: result rows shown


@dataclass
class Report:
    evidence: Evidence
    sessions: list[SessionReport]
    snapshots: list[SnapshotFacts]
    coverage: list[CoverageGroup]
    searches: list[Listed]
    incidents: list[Listed]
    trust: list[str]
    include_tampered: bool
    maps: dict[str, MapNode] = field(default_factory=dict)  # snapshot id -> its tree, seen
    source: SourceText | None = None  # --with-source: the lines of watched files
    notes: list[NoteRow] = field(default_factory=list)  # report_notes.py
    note_problems: list[NoteProblem] = field(default_factory=list)  # note entries left out
    generated: str = field(
        default_factory=lambda: dt.datetime.now(dt.UTC).isoformat(timespec="seconds")[:19] + "Z"
    )
    software: str = f"cleanroom {__version__}"

    @property
    def status(self) -> Status:
        return self.evidence.status

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    @property
    def withheld(self) -> list[SessionReport]:
        return [s for s in self.sessions if s.timeline.withheld]


def build_report(
    evidence: Evidence,
    trust: Sequence[bytes],
    snapshots: Sequence[Snapshot] = (),
    include_tampered: bool = False,
    progress: Callable[[], None] | None = None,
) -> Report:
    facts = [
        SnapshotFacts(str(s.path), s.id, s.manifest.name, s.manifest.version, s.manifest.root)
        for s in snapshots
    ]
    ids = {f.id for f in facts}
    sessions = []
    for t in evidence.timelines:
        sessions.append(_session(t, ids))
        if progress is not None:
            progress()
    claims = ((s.key, s.timeline.snapshot_id, ((e.seq, e.event) for e in s.timeline.entries))
              for s in sessions)  # fmt: skip
    by_key = {s.key: s for s in sessions}
    for key, found in event_mismatches(claims, snapshots).items():
        by_key[key].mismatches = found
    results = ResultLines(snapshots)  # each distinct search is run once for both groups
    groups = [_coverage("verified", [s for s in sessions if s.status is not Status.TAMPERED],
                        snapshots, results)]  # fmt: skip
    tampered = [s for s in sessions if s.status is Status.TAMPERED and not s.timeline.withheld]
    if tampered:
        groups.append(_coverage("tampered", tampered, snapshots, results))
    searches, incidents = [], []
    for s in sessions:
        rows: dict[int, tuple[int, int]] = {}  # per search seq, the result rows shown
        mine: list[Listed] = []
        for e in s.timeline.entries:  # one pass (ADR 0310)
            if e.kind in SEARCH_KINDS:
                mine.append(Listed(s, e))
            elif e.kind in INCIDENT_KINDS:
                incidents.append(Listed(s, e))
            elif isinstance(ev := e.event, SearchResultsView):
                a, b = rows.get(ev.search_seq, (ev.first, ev.last))
                rows[ev.search_seq] = (min(a, ev.first), max(b, ev.last))
        for x in mine:
            x.rows_viewed = rows.get(x.entry.seq)
        searches += mine
    wrong = groups[0].mismatches  # never credited to the path they name
    verified = {(f.path, f.blob): f for f in groups[0].files if (f.path, f.blob) not in wrong}
    maps = {snap.id: snapshot_map(snap.file_lines(), verified) for snap in snapshots}
    return Report(
        evidence,
        sessions,
        facts,
        groups,
        searches,
        incidents,
        [key_id(k) for k in trust],
        include_tampered,
        maps,
    )


@dataclass
class Analysis:
    """What one ledger's entries show, whatever its verdict says of them."""

    shown: list[Shown]
    dwell_by_seq: Mapping[int, int]  # view entry seq -> µs it stayed visible (dwell.py)
    stats: dict[str, int]
    rows: list[RowsShown] = field(default_factory=list)  # search result rows on screen
    searches: list[SearchMade] | None = None  # for resultlines; None: not gathered
    opened: dict[FileKey, int] = field(default_factory=dict)  # most lines file_open gave


def analyse(entries: Sequence[TimelineEntry], undecodable: int) -> Analysis:
    """The screen intervals, dwell and figures of a ledger's entries. Pass it to
    `read_evidence` to have it run while the verifier still works."""
    analyser = Analyser()
    analyser.feed(entries)
    return analyser.done(undecodable)


class Analyser:
    """`analyse`, given the entries a run at a time, in seq order (`feed`): what
    `read_evidence(digest=Analyser)` does with each run of entries the verifier's
    processes hand over, while they still check the rest (ADR 0311)."""

    def __init__(self) -> None:
        self._tally = Tally()  # counted in the same walk (ADR 0310)
        self._watcher = Watcher(BLANK_REASONS)
        self._entries = 0

    def feed(self, entries: Iterable[TimelineEntry]) -> None:
        before = self._tally.kinds.total()
        self._watcher.feed(self._tally.walk(entries))
        self._entries += self._tally.kinds.total() - before

    def done(self, undecodable: int) -> Analysis:
        watched = self._watcher.done()
        intervals = watched.shown
        dwell: Counter[int] = Counter()
        for s in intervals:
            dwell[s.viewport.seq] += s.dwell_us
        tally = self._tally
        stats = _stats(tally, self._entries, undecodable, intervals, watched.blank_us)
        stats["results_on_screen_us"] = sum(r.dwell_us for r in watched.rows)
        return Analysis(
            intervals, SeqDwell(dwell), stats, watched.rows, tally.searches, tally.opened
        )


def _session(t: Timeline, snapshot_ids: set[str]) -> SessionReport:
    a = t.analysis if isinstance(t.analysis, Analysis) else analyse(t.entries, t.undecodable)
    given = None if t.snapshot_id is None else t.snapshot_id in snapshot_ids
    return SessionReport(
        t.path, t, a.shown, a.dwell_by_seq, a.stats, given, a.rows,
        searches=a.searches, opened=a.opened,
    )  # fmt: skip


def _stats(
    tally: Tally, entries: int, undecodable: int, intervals: list[Shown], blank_us: int
) -> dict[str, int]:
    kinds = tally.kinds
    return {
        "entries": entries,
        "span_us": tally.span_us,
        "on_screen_us": sum(s.dwell_us for s in intervals),
        "blank_us": blank_us,
        "files_opened": kinds["file_open"],
        "files": len(tally.files),
        "views": kinds["view"],
        "searches": kinds["search"],
        "result_views": kinds["search_results_view"],
        "quick_opens": kinds["quick_open"],
        "gotos": kinds["goto"],
        "outlines": kinds["symbol_outline"],
        "definitions": kinds["symbol_definitions"],
        "symbol_quick_opens": kinds["symbol_quick_open"],
        "references": tally.references,
        "symbols_listed": tally.listed,
        "blocked": kinds["blocked"],
        "alerts": kinds["alert"],
        "resumes": kinds["session_resume"],
        "recording_failures": kinds["recording_failed"],
        "witness_codes_shown": kinds["witness_shown"],
        "undecodable": undecodable,
    }


def _coverage(
    trust: str,
    sessions: list[SessionReport],
    snapshots: Sequence[Snapshot],
    results: ResultLines,
) -> CoverageGroup:
    """Each content's length is the snapshot's where one holds it, else the longest
    `file_open` claims; views are clamped to it (coverage.py). Lines shown as search
    result rows count as seen, mapped to lines by running each search again on its
    snapshot (`resultlines`); rows that cannot be mapped are listed in `unmapped`."""
    counts: dict[FileKey, int] = {}
    for s in sessions:  # gathered by `analyse` (tally.py): no pass over the entries
        for key, lines in s.opened.items():
            counts[key] = max(counts.get(key, 0), lines)
    seen: dict[str, list[Shown]] = {}
    unmapped: list[Unmapped] = []
    forged: dict[str, list[Shown]] = {}  # views the session's own snapshot contradicts
    for s in sessions:
        t = s.timeline
        index = SessionIndex(t.path, t.verdict, s.searches, s.rows) if s.searches is not None \
            else SessionIndex.of_results(t, s.rows)  # fmt: skip
        read, lost = results.read(index)
        honest = s.shown  # not copied where nothing is left out or added (issue 14)
        if s.mismatches:
            honest = [x for x in s.shown if x.viewport.seq not in s.mismatches]
            if len(honest) < len(s.shown):
                forged[s.key] = [x for x in s.shown if x.viewport.seq in s.mismatches]
        rows = rows_as_shown(read)
        seen[s.key] = [*honest, *rows] if rows else honest
        unmapped += lost
    known: dict[str, int | None] = {}
    for s in sessions:
        for x in seen[s.key]:
            fk = (x.viewport.path, x.viewport.blob)
            if fk[1] not in known:
                known[fk[1]] = _snapshot_lines(snapshots, fk[1])
            if (lines := known[fk[1]]) is not None:
                counts[fk] = lines
    files = coverage(((s.key, seen[s.key]) for s in sessions), counts)
    # A forged view is flagged per session, never per row: it credits nothing, and
    # its row is listed (flagged) only where no honest session saw that content there.
    claimed = {s.key: s.timeline.snapshot_id for s in sessions}
    honest_keys = {(f.path, f.blob) for f in files}
    bad = [f for f in coverage(forged.items(), counts) if (f.path, f.blob) not in honest_keys]
    mismatches = find_mismatches(bad, claimed, snapshots)
    files = sorted([*files, *bad], key=lambda f: (f.path, f.blob))
    # The same, per reviewer and per session; computed again only where it differs
    # (one reviewer, or one session of a reviewer, is the whole of the other).
    people: dict[Who, list[SessionReport]] = {}
    for s in sessions:
        people.setdefault(reviewer_of(s), []).append(s)
    by_reviewer = {
        who: files if len(mine) == len(sessions)
        else coverage(((s.key, seen[s.key]) for s in mine), counts)
        for who, mine in sorted(people.items(), key=lambda kv: label(kv[0]))
    }  # fmt: skip
    by_session = {
        s.key: by_reviewer[who] if len(mine) == 1 else coverage([(s.key, seen[s.key])], counts)
        for who, mine in people.items()
        for s in mine
    }
    holders: dict[FileKey, list[str]] = {}
    for f in files:
        holders[(f.path, f.blob)] = [snap.id for snap in snapshots if _holds(snap, f.path, f.blob)]
    statuses = {s.key: s.status for s in sessions}
    return CoverageGroup(
        trust, files, holders, statuses, unmapped, by_session=by_session, by_reviewer=by_reviewer,
        mismatches=mismatches,
    )  # fmt: skip


def reviewer_of(s: SessionReport) -> Who:
    """A reviewer as the ledger names them, (name, org): the same person in every
    session that names them alike."""
    return (s.timeline.reviewer, s.timeline.org)


def label(who: Who) -> str:
    """A reviewer for people: "name (org)"; "unnamed" where a ledger names none."""
    return f"{who[0] or 'unnamed'} ({who[1] or 'no organisation'})"


def _holds(snap: Snapshot, path: bytes, blob: str) -> bool:
    return content_at(snap, path) == blob


def _snapshot_lines(snapshots: Sequence[Snapshot], blob: str) -> int | None:
    found = find_blob(snapshots, blob)
    if found is None:
        return None
    info = found[1]
    return shown_lines(info.lines, info.binary, info.size)  # binary: its hex rows
