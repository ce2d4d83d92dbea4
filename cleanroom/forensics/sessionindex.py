"""What who-viewed needs from one verified session, in a form that is cheap to store.

A `SessionIndex` holds a ledger's verdict, the searches made in it, the times
their result rows were on screen (`screen.RowsShown`), and its screen intervals
(`screen.Shown`) grouped by path. It is built from a `Timeline`
with every entry decoded, whatever the status: the policy on TAMPERED ledgers is
applied when a query runs, so one cached index serves either choice.

Stored form (`to_record`): a small record (format, verdict, searches, and for
each path the SHA-256 of its part) plus one part per path holding its intervals.
A query reads the record of every session but only the parts of the path it
asks about; each part is checked against the digest in the record, and the
record itself is authenticated by the cache (`cache.py`).
"""

from __future__ import annotations

import hashlib
import json
import zlib
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

from ..ledger.findings import Finding
from ..ledger.verdict import Status, Verdict
from ..session.events import FileOpen, QuickOpen, Search, SearchStart
from .screen import Rows, RowsShown, Shown, Viewport, rows_shown, watch
from .timeline import Timeline

# v3: `unfit`; v4: columns; v5: `opened`; v6: `wrap` (a wrapped screen, ADR 0212)
INDEX_FORMAT = "cleanroom.session-index.v6"


class UnreadableIndex(ValueError):
    """A stored index that does not parse: treat it as absent and verify again."""


@dataclass(frozen=True, slots=True)
class SearchMade:
    seq: int
    wall_us: int
    kind: str  # search, search_start (a first page: `hits` its rows) or quick_open
    query: str
    hits: int  # hits of a search, matching paths of a quick open
    # A search's full query and result digest, to run it again (None for a quick open).
    regex: bool = False
    case: bool = False
    include: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    digest: str | None = None

    def to_list(self) -> list[Any]:
        return [self.seq, self.wall_us, self.kind, self.query, self.hits, self.regex,
                self.case, list(self.include), list(self.exclude), self.digest]  # fmt: skip

    @classmethod
    def from_list(cls, r: list[Any]) -> SearchMade:
        seq, wall, kind, query, hits, regex, case, inc, exc, digest = r
        return cls(seq, wall, kind, query, hits, bool(regex), bool(case), tuple(inc),
                   tuple(exc), digest)  # fmt: skip


PartLoader = Callable[[bytes, str], bytes | None]  # (path, digest hex) -> part bytes
Window = Callable[[str], tuple[int, int] | None]  # blob -> lines first..last, or None
Row = list[Any]  # one stored interval: ROW_FIELDS
ROW_FIELDS = ("blob", "first", "last", "col", "cols", "seq", "start_us", "end_us", "dwell_us",
              "ended_by", "wrap")  # fmt: skip


@dataclass
class SessionIndex:
    path: str  # the ledger file it was read from (not stored: content is the key)
    verdict: Verdict
    searches: list[SearchMade]
    results: list[RowsShown] = field(default_factory=list)  # result rows on screen
    part_digests: dict[bytes, str] = field(default_factory=dict)  # path -> part SHA-256
    # Entries whose payload does not fit their kind (forensics/fits.py): signed, but
    # not acted on, so what they claim was shown is not in the intervals.
    unfit: int = 0
    _load: PartLoader | None = None
    _parts: dict[bytes, bytes] = field(default_factory=dict)  # serialized, when built here
    _opened: dict[bytes, dict[str, int]] = field(default_factory=dict)  # read by rows_for

    @property
    def status(self) -> Status:
        return self.verdict.status

    @property
    def summary(self) -> dict[str, Any]:
        return self.verdict.summary

    @property
    def paths(self) -> set[bytes]:
        return set(self.part_digests)

    def rows_for(self, path: bytes, window: Window | None = None) -> tuple[list[str], list[Row]]:
        """(blobs, rows): the intervals in which some lines of `path` were visible, as
        stored rows (`ROW_FIELDS`; `blob` indexes `blobs`). With `window`, only rows
        overlapping `window(blob)` (None: skip that content). Raises UnreadableIndex
        when a stored part is missing or does not match its digest."""
        digest = self.part_digests.get(path)
        if digest is None:
            return [], []
        data = self._parts.get(path)
        if data is None and self._load is not None:
            data = self._load(path, digest)
        if data is None:
            raise UnreadableIndex(f"{self.path}: the stored intervals of a path are missing")
        try:
            d = _loads(data)
            blobs, columns = d["blobs"], d["columns"]
            opened = d["opened"]
            if len(opened) != len(blobs) or any(
                n is not None and type(n) is not int for n in opened
            ):
                raise ValueError("the line counts opened do not match the contents")
            self._opened[path] = {b: n for b, n in zip(blobs, opened, strict=True) if n is not None}
            if len(columns) != len(ROW_FIELDS) or len({len(c) for c in columns}) != 1:
                raise ValueError("the columns of the intervals differ in number or length")
            if window is None:
                rows = [list(r) for r in zip(*columns, strict=True)]
            else:
                # Filter on three columns before any row is made: a hot file has
                # thousands of intervals per session, and a query asks for a few lines.
                limits = [window(b) for b in blobs]
                if len(limits) == 1 and set(columns[0]) <= {0, -1}:
                    # One content (most paths): the same window for every row, so
                    # compare two columns, not look it up per row (issue 14).
                    keep = [] if not (w := limits[0]) else [
                        i
                        for i, (first, last) in enumerate(zip(columns[1], columns[2], strict=True))
                        if first <= w[1] and last >= w[0]
                    ]  # fmt: skip
                else:
                    keep = [
                        i
                        for i, (b, first, last) in enumerate(zip(*columns[:3], strict=True))
                        if (w := limits[b]) and first <= w[1] and last >= w[0]
                    ]
                rows = [[c[i] for c in columns] for i in keep]
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise UnreadableIndex(f"{self.path}: unreadable intervals: {exc}") from exc
        return blobs, rows

    def opened_for(self, path: bytes) -> dict[str, int]:
        """Per content of `path`: the most lines a `file_open` of it said it had (the
        file's end when no snapshot holds it). Known once `rows_for(path)` has run."""
        return self._opened.get(path, {})

    def shown_for(self, path: bytes, window: Window | None = None) -> list[Shown]:
        """`rows_for` as `screen.Shown` intervals."""
        blobs, rows = self.rows_for(path, window)
        try:
            made = [(Viewport(path, blobs[b], first, last, col, cols, seq, wrap), rest)
                    for b, first, last, col, cols, seq, *rest, wrap in rows]  # fmt: skip
            return [Shown(vp, start, end, dwell, why) for vp, (start, end, dwell, why) in made]
        except (ValueError, TypeError, IndexError) as exc:
            raise UnreadableIndex(f"{self.path}: unreadable intervals: {exc}") from exc

    # -- building and storing -----------------------------------------------------

    @classmethod
    def from_timeline(cls, t: Timeline) -> SessionIndex:
        watched = watch(t.entries)
        by_path: dict[bytes, list[Shown]] = defaultdict(list)
        for s in watched.shown:
            by_path[s.viewport.path].append(s)
        searches = [search_made(e.seq, e.wall_us, e.kind, e.event)
                    for e in t.entries if isinstance(e.event, _SEARCHES)]  # fmt: skip
        opened: dict[tuple[bytes, str], int] = {}
        for e in t.entries:
            if e.problem is None and isinstance(ev := e.event, FileOpen):
                k = (ev.raw_path, ev.blob)
                opened[k] = max(opened.get(k, 0), ev.lines)
        parts = {p: _part(v, opened) for p, v in by_path.items()}
        digests = {p: hashlib.sha256(d).hexdigest() for p, d in parts.items()}
        unfit = sum(1 for e in t.entries if e.problem is not None)
        return cls(t.path, t.verdict, searches, watched.rows, digests, unfit, _parts=parts)

    @classmethod
    def of_results(cls, t: Timeline, rows: list[RowsShown] | None = None) -> SessionIndex:
        """Only what `resultlines` needs (searches and result rows on screen): no
        intervals by path, so it is cheap to build for a report. `rows` are
        `rows_shown(t.entries)` when the caller has them already."""
        searches = [search_made(e.seq, e.wall_us, e.kind, e.event)
                    for e in t.entries if isinstance(e.event, _SEARCHES)]  # fmt: skip
        return cls(t.path, t.verdict, searches, rows_shown(t.entries) if rows is None else rows)

    def to_record(self) -> tuple[bytes, dict[bytes, bytes]]:
        """(record, parts by path) for the cache. Only for an index built from a timeline."""
        parts = self._parts
        record = {
            "format": INDEX_FORMAT,
            "verdict": self.verdict.to_json(),
            "searches": [s.to_list() for s in self.searches],
            "results": [
                [
                    r.rows.search_seq,
                    r.rows.first,
                    r.rows.last,
                    r.start_us,
                    r.end_us,
                    r.dwell_us,
                    r.ended_by,
                ]
                for r in self.results
            ],  # fmt: skip
            "parts": {p.hex(): d for p, d in self.part_digests.items()},
            "unfit": self.unfit,
        }
        return zlib.compress(json.dumps(record, ensure_ascii=True).encode(), 1), parts

    @classmethod
    def from_record(cls, path: str, data: bytes, load: PartLoader) -> SessionIndex:
        """Raises UnreadableIndex for a record this version cannot read."""
        try:
            r = json.loads(zlib.decompress(data))
            if r.get("format") != INDEX_FORMAT:
                raise UnreadableIndex(f"unknown index format {r.get('format')!r}")
            v = r["verdict"]
            findings = [Finding(f["seq"], f["code"], f["message"]) for f in v["findings"]]
            omitted = {str(k): int(n) for k, n in v.get("omitted", {}).items()}
            verdict = Verdict(path, Status(v["status"]), findings, v["summary"], omitted)
            searches = [SearchMade.from_list(s) for s in r["searches"]]
            results = [RowsShown(Rows(q, a, b), *rest) for q, a, b, *rest in r["results"]]
            digests = {bytes.fromhex(p): d for p, d in r["parts"].items()}
            unfit = r["unfit"]
            if type(unfit) is not int:
                raise TypeError("unfit is not an integer")
        except (ValueError, KeyError, TypeError, zlib.error) as exc:
            raise UnreadableIndex(f"unreadable index: {exc}") from exc
        return cls(path, verdict, searches, results, digests, unfit, _load=load)


_SEARCHES = (Search, SearchStart, QuickOpen)  # the entries `searches` lists


def search_made(seq: int, wall_us: int, kind: str,
                 ev: Search | SearchStart | QuickOpen) -> SearchMade:  # fmt: skip
    if isinstance(ev, QuickOpen):
        return SearchMade(seq, wall_us, kind, ev.query, ev.matches)
    if isinstance(ev, SearchStart):  # hits: the rows of its first page; digest: theirs
        return SearchMade(seq, wall_us, kind, ev.query, ev.rows, ev.regex, ev.case,
                          tuple(ev.include), tuple(ev.exclude), ev.digest)  # fmt: skip
    return SearchMade(seq, wall_us, kind, ev.query, ev.hits, ev.regex, ev.case,
                      tuple(ev.include), tuple(ev.exclude), ev.digest)  # fmt: skip


def _part(intervals: list[Shown], opened: dict[tuple[bytes, str], int]) -> bytes:
    """The intervals of one path, one list per field of ROW_FIELDS (columns parse
    and filter faster than a list per interval)."""
    blobs: dict[str, int] = {}
    rows = []
    for s in intervals:
        v = s.viewport
        b = blobs.setdefault(v.blob, len(blobs))
        rows.append((b, v.first, v.last, v.col, v.cols, v.seq, s.start_us, s.end_us,
                     s.dwell_us, s.ended_by, v.wrap))  # fmt: skip
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in ROW_FIELDS]
    path = intervals[0].viewport.path if intervals else b""
    doc = {"blobs": list(blobs), "columns": columns,
           "opened": [opened.get((path, b)) for b in blobs]}  # fmt: skip
    return json.dumps(doc, separators=(",", ":")).encode()


def _loads(data: bytes) -> Any:
    """JSON as json.loads reads it; orjson first, as it is three times faster on the
    long lists of integers of a part, and json where orjson refuses (a lone
    surrogate escaped in a string, which json.dumps can write)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)
