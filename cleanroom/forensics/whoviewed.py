"""Who had given lines of a file on screen, and who searched for given text.

`indexes.load_indexes` verifies each ledger (or takes its result from the cache,
keyed by its exact bytes) into a `SessionIndex`. `who_viewed` answers over them, for
each file the target names (`target.resolve`: one file, a directory or a glob):

- a *sighting* is one session, one content of the file (blob) and one way of
  seeing it (`view`: the code view; `search_results`: result rows, mapped to
  lines by `resultlines`) in which some of the asked lines were visible, with
  the first and last moment, the dwell (the time any of those lines was on
  screen, idle excluded) and the exact lines shown, merged into ranges;
- the file is followed by path across versions: with `--snapshot`, the first
  snapshot's content is the reference and the range is mapped by matching lines
  into each other version some snapshot holds (`versions.py`); every sighting
  says whether its content is the reference (`same`), another (`differs`) or
  there is no reference (`unknown`);
- a search matches when TEXT occurs in its query, ignoring case. Queries are
  never run as regular expressions: a hostile pattern cannot stall the query.

Sessions of TAMPERED ledgers are withheld unless `include_tampered`, and then
marked; every sighting and search names its ledger's status. `Answer.caveats`
lists every reason an answer without sightings would not mean "nobody" (path
not checked, ledgers withheld or not INTACT, a broken session chain, result
rows that could not be mapped); only without any may it be called "nobody".
A sighting in the code view whose content the session's own snapshot (when
given) does not hold at that path is flagged `PATH_BLOB_MISMATCH` (ADR 0304,
0305): listed, with a caveat, but never counted as seen.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..ledger.credit import credit, entry_hashes
from ..ledger.findings import Finding
from ..ledger.sessions import check_sessions, copies
from ..ledger.verdict import EXIT_CODES, Status, status_of, worst
from ..snapshot.store import Snapshot
from .describe import plural
from .mismatch import CODE as MISMATCH
from .mismatch import Mismatch, content_at, place
from .resultlines import ResultLines, RowsRead, Unmapped
from .screen import RowsShown
from .sessionindex import Row, SearchMade, SessionIndex, UnreadableIndex
from .shownlines import shown_lines
from .target import Resolved, Target, TargetError
from .versions import blob_at, content_lines, find_blob, map_lines

__all__ = ["Answer", "Target", "TargetError", "who_viewed"]

WHOLE_FILE = 1 << 62  # the last line of a whole-file question


@dataclass
class Version:
    """One content the path had: in which snapshots given, and where the range is in it."""

    blob: str
    snapshots: list[str] = field(default_factory=list)
    reference: bool = False
    lines: tuple[int, int] | None = None  # the asked range in this content; None: gone
    mapped: bool = False  # True when `lines` was found by matching against the reference
    # Snapshots were given, and this content is not at this path in them: where it is
    # instead (snapshot id, up to MAX_PATHS paths), empty when nowhere in them
    elsewhere: list[tuple[str, bytes]] = field(default_factory=list)
    checked: bool = False  # snapshots were given
    file_lines: int | None = None  # its line count, for text a given snapshot holds

    def limits(self) -> tuple[int, int] | None:
        """The asked lines in this content, within its end when known; None: none."""
        if self.lines is None:
            lo, hi = (0, -1) if self.mapped else (1, WHOLE_FILE)
        else:
            lo, hi = self.lines
        if self.file_lines is not None:
            hi = min(hi, self.file_lines)
        return (lo, hi) if lo <= hi else None


@dataclass
class Sighting:
    """One session, one content of one file, one way of seeing it: `via` is `view`
    (the code view) or `search_results` (lines shown as search result rows)."""

    index: SessionIndex
    path: bytes
    blob: str
    content: str  # same, differs or unknown (relative to the reference)
    first_us: int
    last_us: int
    dwell_us: int
    intervals: int
    ranges: list[tuple[int, int]]  # the asked lines shown, merged, in this content's numbering
    via: str = "view"
    mismatch: Mismatch | None = None  # the session's snapshot holds other content there

    @property
    def lines(self) -> tuple[int, int]:
        """The first and last line shown (not every line between: see `ranges`)."""
        return self.ranges[0][0], self.ranges[-1][1]

    @property
    def lines_seen(self) -> int:
        return sum(b - a + 1 for a, b in self.ranges)


@dataclass
class SearchMatch:
    index: SessionIndex
    search: SearchMade


@dataclass
class FileAnswer:
    """The answer for one file of the target."""

    path: bytes
    reference: tuple[str, str] | None  # (snapshot id, blob)
    versions: dict[str, Version]
    sightings: list[Sighting]


@dataclass
class Caveat:
    """Why no sighting would not prove that nobody saw the lines."""

    code: str
    message: str


@dataclass
class Answer:
    target: Target
    resolved: Resolved
    search_text: str | None
    indexes: list[SessionIndex]
    include_tampered: bool
    files: list[FileAnswer]  # the files of the target that anyone saw (all, for one file)
    searches: list[SearchMatch]
    sessions: list[Finding]  # SESSION_* across the ledgers
    unmapped: list[Unmapped] = field(default_factory=list)
    cached: set[str] = field(default_factory=set)  # ledger paths answered from the cache

    @property
    def sightings(self) -> list[Sighting]:
        out = [s for f in self.files for s in f.sightings]
        out.sort(key=lambda s: (s.first_us, s.index.path, s.path, s.via))
        return out

    @property
    def credited(self) -> list[Sighting]:
        """The sightings counted as seen: not contradicted by their snapshot."""
        return [s for s in self.sightings if s.mismatch is None]

    @property
    def reference(self) -> tuple[str, str] | None:
        return self.files[0].reference if self.resolved.kind == "file" and self.files else None

    @property
    def versions(self) -> dict[str, Version]:
        return self.files[0].versions if self.resolved.kind == "file" and self.files else {}

    @property
    def withheld(self) -> list[SessionIndex]:
        return [] if self.include_tampered else [
            i for i in self.indexes if i.status is Status.TAMPERED
        ]  # fmt: skip

    @property
    def searched(self) -> list[SessionIndex]:
        """The sessions whose screens were searched (all but the withheld)."""
        withheld = {id(i) for i in self.withheld}
        return [i for i in self.indexes if id(i) not in withheld]

    @property
    def period(self) -> tuple[int, int] | None:
        """The first and last entry's time over the sessions searched."""
        times = [t for i in self.searched for t in _period(i) if t is not None]
        return (min(times), max(times)) if times else None

    @property
    def caveats(self) -> list[Caveat]:
        """Every reason an empty answer would not mean "nobody"."""
        out = []
        if not self.resolved.checked:
            out.append(Caveat("PATH_UNCHECKED", "the path could not be checked: no --snapshot "
                              "was given, so a misspelt path also finds nobody"))  # fmt: skip
        if self.withheld:
            out.append(Caveat("WITHHELD", f"{plural(len(self.withheld), 'TAMPERED ledger')} "
                              "withheld, not searched"))  # fmt: skip
        bad = [i for i in self.searched if i.status is not Status.INTACT]
        for status in (Status.TAMPERED, Status.INCOMPLETE):
            n = sum(1 for i in bad if i.status is status)
            if n:
                why = f"{plural(n, 'ledger')} {status.value}: what it lacks was not searched"
                out.append(Caveat(f"LEDGER_{status.value}", why))
        if self.sessions:
            codes = ", ".join(sorted({f.code for f in self.sessions}))
            out.append(Caveat("SESSIONS", f"the sessions do not form a whole chain ({codes})"))
        unfit = sum(i.unfit for i in self.searched)
        if unfit:
            entries = f"{unfit:,} {'entry' if unfit == 1 else 'entries'}"
            out.append(Caveat("UNFIT", f"{entries} did not fit their kind (a view of more "
                              "rows than a screen, say): signed, but what they claim was "
                              "shown was not counted"))  # fmt: skip
        flagged = sum(1 for s in self.sightings if s.mismatch is not None)
        if flagged:
            out.append(Caveat(MISMATCH, f"{plural(flagged, 'sighting')} named content that "
                              "the session's own snapshot does not hold at that path: "
                              "listed as CONTRADICTED, not counted as seen"))  # fmt: skip
        if self.unmapped:
            views = sum(u.views for u in self.unmapped)
            out.append(Caveat("RESULTS_UNMAPPED", f"{plural(views, 'search result screen')} "
                              "could not be mapped to file lines"))  # fmt: skip
        return out

    @property
    def status(self) -> Status:
        return worst([i.status for i in self.indexes] + [status_of(self.sessions)])

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def _period(index: SessionIndex) -> list[int | None]:
    p = index.summary.get("period_us")
    if not isinstance(p, list):
        return []
    return [t if isinstance(t, int) and not isinstance(t, bool) else None for t in p]


Refresh = Callable[[SessionIndex], SessionIndex]
Cut = Callable[[SessionIndex, int], SessionIndex]  # (a fork's index, last seq) -> cut index


def who_viewed(
    indexes: list[SessionIndex],
    target: Target | Resolved,
    snapshots: Sequence[Snapshot] = (),
    search_text: str | None = None,
    include_tampered: bool = False,
    cached: set[str] | None = None,
    refresh: Refresh | None = None,
    cut: Cut | None = None,
) -> Answer:
    """Answer over `indexes`, for each file `target` names (`target.resolve`; a bare
    Target is taken as one file, unchecked). A cached index whose stored intervals
    are missing or do not match their digest is replaced by `refresh(index)` (verify
    it again); without `refresh` that raises UnreadableIndex. Files of one session
    are credited once (ADR 0308): copies and prefixes as the file they copy, a fork
    with its branches' common entries only, by `cut` (without it, with nothing)."""
    cached = set(cached or ())
    verdicts = [i.verdict for i in indexes]
    hashes_of = functools.cache(lambda k: entry_hashes(indexes[k].path, verdicts[k]))
    sessions = check_sessions(verdicts, hashes_of) if len(indexes) > 1 else []
    dropped = copies(verdicts, hashes_of)  # named in SESSION_COPY: counted once
    cuts = credit(verdicts, hashes_of).cut if len(indexes) > 1 else {}
    for k, last in cuts.items():
        if cut is None:
            dropped[k] = k  # a fork, and no way to cut it: credit none of it
        else:
            indexes[k] = cut(indexes[k], last)
            cached.discard(indexes[k].path)
    indexes = [x for k, x in enumerate(indexes) if k not in dropped]
    cached &= {x.path for x in indexes}  # a dropped copy's is not one of the answer's
    resolved = (
        target if isinstance(target, Resolved)
        else Resolved(target, "file", [target.path], checked=False)
    )  # fmt: skip
    target = resolved.target
    usable = [i for i in indexes if include_tampered or i.status is not Status.TAMPERED]
    results = ResultLines(snapshots)
    read: list[tuple[SessionIndex, RowsRead]] = []
    unmapped: list[Unmapped] = []
    for index in usable:
        rows, lost = results.read(index)
        read += [(index, r) for r in rows]
        unmapped += lost
    seen = {p for i in usable for p in i.paths} | {
        line.path for _, r in read for line in r.lines
    }  # fmt: skip
    single = resolved.kind == "file"
    files = []
    for path in resolved.files:
        if single or path in seen:
            f = _file_answer(path, target, snapshots, indexes, include_tampered, read, refresh,
                             cached)  # fmt: skip
            if single or f.sightings:
                files.append(f)
    searches = []
    if search_text:
        needle = search_text.casefold()
        for index in indexes:
            if include_tampered or index.status is not Status.TAMPERED:
                searches += [SearchMatch(index, s) for s in index.searches
                             if needle in s.query.casefold()]  # fmt: skip
    searches.sort(key=lambda m: (m.search.wall_us, m.index.path))
    return Answer(target, resolved, search_text, indexes, include_tampered, files, searches,
                  sessions, unmapped, cached)  # fmt: skip


def _file_answer(
    path: bytes,
    target: Target,
    snapshots: Sequence[Snapshot],
    indexes: list[SessionIndex],
    include_tampered: bool,
    read: list[tuple[SessionIndex, RowsRead]],
    refresh: Refresh | None,
    cached: set[str],
) -> FileAnswer:
    reference = None
    if snapshots:
        blob = blob_at(snapshots[0], path)
        reference = (snapshots[0].id, blob) if blob is not None else None
    versions: dict[str, Version] = {}

    def window(blob: str) -> tuple[int, int] | None:
        """The asked lines in content `blob`: None when they are gone from it."""
        v = versions.get(blob)
        if v is None:
            v = versions[blob] = _version(blob, path, target, reference, snapshots)
        return v.limits()

    sightings = []
    found: list[tuple[SessionIndex, list[str], list[Row]]] = []
    opened: dict[str, int] = {}  # content -> the most lines a file_open of it said
    for n, index in enumerate(indexes):
        if index.status is Status.TAMPERED and not include_tampered:
            continue  # withheld: not even its versions of the file are listed
        try:
            blobs, rows = index.rows_for(path, window)
        except UnreadableIndex:
            if refresh is None:
                raise
            index = indexes[n] = refresh(index)
            cached.discard(index.path)
            if index.status is Status.TAMPERED and not include_tampered:
                continue
            blobs, rows = index.rows_for(path, window)
        found.append((index, blobs, rows))
        for blob, lines in index.opened_for(path).items():
            opened[blob] = max(opened.get(blob, 0), lines)
    # Content no given snapshot holds ends where its file_open said, as in report.
    for blob, lines in opened.items():
        if (v := versions.get(blob)) is not None and v.file_lines is None:
            v.file_lines = lines
    for index, blobs, rows in found:
        limits = [versions[b].limits() for b in blobs]  # once per content, not per row
        by_blob: dict[int, list[Row]] = {}
        for r in rows:
            w = limits[r[0]]
            if w is not None and r[1] <= w[1] and r[2] >= w[0]:
                by_blob.setdefault(r[0], []).append(r)
        for b, group in by_blob.items():
            sightings.append(_sighting(index, path, blobs[b], group, versions[blobs[b]],
                                       reference))  # fmt: skip
    _flag(sightings, path, snapshots)  # before result rows: those come from a snapshot
    sightings += _result_sightings(path, read, window, versions, reference)
    if reference is not None and reference[1] not in versions:
        versions[reference[1]] = _version(reference[1], path, target, reference, snapshots)
    sightings.sort(key=lambda s: (s.first_us, s.index.path, s.via))
    return FileAnswer(path, reference, versions, sightings)


def _version(
    blob: str,
    path: bytes,
    target: Target,
    reference: tuple[str, str] | None,
    snapshots: Sequence[Snapshot],
) -> Version:
    v = Version(blob, [s.id for s in snapshots if blob_at(s, path) == blob])
    v.reference = reference is not None and reference[1] == blob
    v.checked = bool(snapshots)
    found = find_blob(snapshots, blob)
    if found is not None and not v.snapshots:  # held, but at another path: say where
        m = Mismatch(path, blob, found[0].id, None)
        place(found[0], [m])
        v.elsewhere = [(found[0].id, p) for p in m.blob_paths]
    if found is not None:  # a ledger cannot claim lines past the end (binary: hex rows)
        v.file_lines = shown_lines(found[1].lines, found[1].binary, found[1].size)
    if target.first is None or target.last is None:
        return v
    v.lines = (target.first, target.last)
    if reference is None or v.reference:
        return v
    old = content_lines(snapshots, reference[1])
    new = content_lines(snapshots, blob)
    if old is not None and new is not None:
        v.lines = map_lines(old, new, target.first, target.last)
        v.mapped = True
    return v


def _content(version: Version, reference: tuple[str, str] | None) -> str:
    return "unknown" if reference is None else ("same" if version.reference else "differs")


def _flag(sightings: list[Sighting], path: bytes, snapshots: Sequence[Snapshot]) -> None:
    """Flag each sighting whose content the session's own snapshot, when given, does
    not hold at `path` (mismatch.py): one lookup per snapshot and content."""
    by_id = {s.id: s for s in snapshots}
    made: dict[tuple[str, str], Mismatch | None] = {}
    for s in sightings:
        ref = s.index.summary.get("snapshot")
        snap = by_id.get(ref.get("id")) if isinstance(ref, dict) else None
        if snap is None:
            continue
        key = (snap.id, s.blob)
        if key not in made:
            held = content_at(snap, path)
            made[key] = None if held == s.blob else Mismatch(path, s.blob, snap.id, held)
        s.mismatch = made[key]
    found = [m for m in made.values() if m is not None]
    for sid in {m.snapshot for m in found}:
        place(by_id[sid], [m for m in found if m.snapshot == sid])


def _sighting(
    index: SessionIndex,
    path: bytes,
    blob: str,
    rows: list[Row],
    version: Version,
    reference: tuple[str, str] | None,
) -> Sighting:
    """One session's intervals of one content, all overlapping the asked lines."""
    lo, hi = version.limits() or (1, WHOLE_FILE)  # rows were filtered by these limits
    # Stored rows: blob, first, last, col, cols, seq, start_us, end_us, dwell_us, ended_by, wrap.
    # By column (zip in C): a sighting over a hundred sessions holds ~10^5 rows, and a
    # generator or a max() call per row was most of a cached question's CPU.
    _, first, last, _, _, _, start_us, end_us, dwell_us, *_ = zip(*rows, strict=True)
    return Sighting(
        index,
        path,
        blob,
        _content(version, reference),
        min(start_us),
        max(end_us),
        sum(dwell_us),
        len(rows),
        merge(
            zip(
                [a if a > lo else lo for a in first],
                [b if b < hi else hi for b in last],
                strict=True,
            )
        ),
    )


def _result_sightings(
    path: bytes,
    read: list[tuple[SessionIndex, RowsRead]],
    window: Callable[[str], tuple[int, int] | None],
    versions: dict[str, Version],
    reference: tuple[str, str] | None,
) -> list[Sighting]:
    """Lines of `path` inside the asked window that result rows showed, per session
    and content."""
    groups: dict[tuple[int, str], tuple[SessionIndex, list[RowsShown], list[int]]] = {}
    for index, r in read:
        for line in r.lines:
            if line.path != path:
                continue
            w = window(line.blob)
            if w is None or not w[0] <= line.line <= w[1]:
                continue
            _, shown, lines = groups.setdefault((id(index), line.blob), (index, [], []))
            if not shown or shown[-1] is not r.shown:
                shown.append(r.shown)
            lines.append(line.line)
    out = []
    for (_, blob), (index, shown, lines) in groups.items():
        out.append(Sighting(
            index, path, blob, _content(versions[blob], reference),
            min(s.start_us for s in shown), max(s.end_us for s in shown),
            sum(s.dwell_us for s in shown), len(shown),
            merge((n, n) for n in lines), via="search_results",
        ))  # fmt: skip
    return out


def merge(ranges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Line ranges (inclusive) as their union: sorted, disjoint, not adjacent. Each
    distinct range is sorted once (sessions show the same screens again and again)."""
    out: list[tuple[int, int]] = []
    start = end = 0
    for a, b in sorted(set(ranges)):
        if a > b:
            continue
        if not out or a > end + 1:
            if out:
                out[-1] = (start, end)
            start, end = a, b
            out.append((a, b))
        elif b > end:
            end = b
    if out:
        out[-1] = (start, end)
    return out
