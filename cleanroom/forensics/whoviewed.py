"""Who had given lines of a file on screen, and who searched for given text.

`load_indexes` verifies each ledger (or takes its result from the cache, keyed by
its exact bytes) into a `SessionIndex`. `who_viewed` answers over them:

- a *sighting* is one session and one content of the file (blob) in which some
  of the asked lines were visible, with the first and last moment and the dwell
  (the time any of those lines was on screen, idle excluded);
- the file is followed by path across versions: with `--snapshot`, the first
  snapshot's content is the reference and the range is mapped by matching lines
  into each other version some snapshot holds (`versions.py`); every sighting
  says whether its content is the reference (`same`), another (`differs`) or
  there is no reference (`unknown`);
- a search matches when TEXT occurs in its query, ignoring case. Queries are
  never run as regular expressions: a hostile pattern cannot stall the query.

Sessions of TAMPERED ledgers are withheld unless `include_tampered`, and then
marked; every sighting and search names its ledger's status.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..jsonsafe import name_fields
from ..ledger.findings import Finding
from ..ledger.keys import key_id
from ..ledger.sessions import check_sessions
from ..ledger.verdict import EXIT_CODES, Status, status_of, worst
from ..session.events import path_fields
from ..snapshot.store import Snapshot
from .cache import Cache, ledger_key
from .sessionindex import Row, SearchMade, SessionIndex, UnreadableIndex
from .timeline import read_timeline, timestamp
from .versions import blob_at, content_lines, map_lines

WHO_VIEWED_FORMAT = "cleanroom.who-viewed.v1"
WHOLE_FILE = 1 << 62  # the last line of a whole-file question
_RANGE = re.compile(r"(.+):(\d+)(?:-(\d+))?", re.DOTALL)


class TargetError(ValueError):
    """A PATH[:START-END] that cannot be read."""


@dataclass(frozen=True)
class Target:
    """A file by path, and optionally lines first..last of it (1-based, inclusive)."""

    path: bytes
    first: int | None = None
    last: int | None = None

    @classmethod
    def parse(cls, text: str) -> Target:
        m = _RANGE.fullmatch(text)
        if m is None:
            if not text:
                raise TargetError("empty path")
            return cls(_raw(text))
        first = int(m.group(2))
        last = int(m.group(3)) if m.group(3) else first
        if first < 1 or last < first:
            raise TargetError(f"bad line range {first}-{last}: lines start at 1")
        return cls(_raw(m.group(1)), first, last)


def _raw(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")  # what os.fsencode gives on Linux


@dataclass
class Version:
    """One content the path had: in which snapshots given, and where the range is in it."""

    blob: str
    snapshots: list[str] = field(default_factory=list)
    reference: bool = False
    lines: tuple[int, int] | None = None  # the asked range in this content; None: gone
    mapped: bool = False  # True when `lines` was found by matching against the reference


@dataclass
class Sighting:
    index: SessionIndex
    blob: str
    content: str  # same, differs or unknown (relative to the reference)
    first_us: int
    last_us: int
    dwell_us: int
    intervals: int
    lines: tuple[int, int]  # the asked lines that were on screen (this content's numbering)


@dataclass
class SearchMatch:
    index: SessionIndex
    search: SearchMade


@dataclass
class Answer:
    target: Target
    search_text: str | None
    indexes: list[SessionIndex]
    include_tampered: bool
    reference: tuple[str, str] | None  # (snapshot id, blob)
    versions: dict[str, Version]
    sightings: list[Sighting]
    searches: list[SearchMatch]
    sessions: list[Finding]  # SESSION_* across the ledgers
    cached: set[str] = field(default_factory=set)  # ledger paths answered from the cache

    @property
    def withheld(self) -> list[SessionIndex]:
        return [] if self.include_tampered else [
            i for i in self.indexes if i.status is Status.TAMPERED
        ]  # fmt: skip

    @property
    def status(self) -> Status:
        return worst([i.status for i in self.indexes] + [status_of(self.sessions)])

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]


def load_indexes(
    paths: Sequence[Path],
    trust: Sequence[bytes],
    cache: Cache | None = None,
    progress: Callable[[Path], None] | None = None,
) -> tuple[list[SessionIndex], set[str]]:
    """A verified index per ledger, and the paths whose index came from the cache.
    Raises OSError when a ledger cannot be read."""
    keys: list[bytes | None] = [None] * len(paths)
    if cache is not None:
        # Hashing every ledger is most of a cached query; hashlib and reads release
        # the GIL, so threads use every core.
        with ThreadPoolExecutor(len(os.sched_getaffinity(0))) as pool:
            keys = list(pool.map(lambda p: ledger_key(p, trust), paths))
    out, cached = [], set()
    for path, key in zip(paths, keys, strict=True):
        index = None
        if cache is not None and key is not None and (record := cache.get(key)) is not None:
            try:
                index = SessionIndex.from_record(
                    str(path), record, lambda p, d, k=key: cache.part(k, p, d)
                )
                cached.add(str(path))
            except UnreadableIndex:
                index = None
        if index is None:
            index = fresh_index(path, trust, cache, key)
        out.append(index)
        if progress is not None:
            progress(path)
    return out, cached


def fresh_index(
    path: Path, trust: Sequence[bytes], cache: Cache | None = None, key: bytes | None = None
) -> SessionIndex:
    """Verify the ledger now and index it; store the result if the file did not change
    while it was read (`key` is its content key taken before)."""
    if cache is not None and key is None:
        key = ledger_key(path, trust)
    # Decode everything: the TAMPERED policy is applied per query, not cached.
    index = SessionIndex.from_timeline(read_timeline(path, trust, include_tampered=True))
    if cache is not None and key is not None and ledger_key(path, trust) == key:
        cache.put(key, *index.to_record())
    return index


Refresh = Callable[[SessionIndex], SessionIndex]


def who_viewed(
    indexes: list[SessionIndex],
    target: Target,
    snapshots: Sequence[Snapshot] = (),
    search_text: str | None = None,
    include_tampered: bool = False,
    cached: set[str] | None = None,
    refresh: Refresh | None = None,
) -> Answer:
    """Answer over `indexes`. A cached index whose stored intervals are missing or do
    not match their digest is replaced by `refresh(index)` (verify it again); without
    `refresh` that raises UnreadableIndex."""
    cached = set(cached or ())
    reference = None
    if snapshots:
        blob = blob_at(snapshots[0], target.path)
        reference = (snapshots[0].id, blob) if blob is not None else None
    versions: dict[str, Version] = {}

    def window(blob: str) -> tuple[int, int] | None:
        """The asked lines in content `blob`: None when they are gone from it."""
        v = versions.get(blob)
        if v is None:
            v = versions[blob] = _version(blob, target, reference, snapshots)
        if v.lines is None:
            return None if v.mapped else (1, WHOLE_FILE)
        return v.lines

    sightings = []
    for n, index in enumerate(indexes):
        if index.status is Status.TAMPERED and not include_tampered:
            continue  # withheld: not even its versions of the file are listed
        try:
            blobs, rows = index.rows_for(target.path, window)
        except UnreadableIndex:
            if refresh is None:
                raise
            index = indexes[n] = refresh(index)
            cached.discard(index.path)
            if index.status is Status.TAMPERED and not include_tampered:
                continue
            blobs, rows = index.rows_for(target.path, window)
        by_blob: dict[int, list[Row]] = {}
        for r in rows:
            by_blob.setdefault(r[0], []).append(r)
        for b, group in by_blob.items():
            sightings.append(_sighting(index, blobs[b], group, versions[blobs[b]], reference))
    if reference is not None and reference[1] not in versions:
        versions[reference[1]] = _version(reference[1], target, reference, snapshots)
    usable = [i for i in indexes if include_tampered or i.status is not Status.TAMPERED]
    searches = []
    if search_text:
        needle = search_text.casefold()
        for index in usable:
            searches += [SearchMatch(index, s) for s in index.searches
                         if needle in s.query.casefold()]  # fmt: skip
    sightings.sort(key=lambda s: (s.first_us, s.index.path))
    searches.sort(key=lambda m: (m.search.wall_us, m.index.path))
    sessions = check_sessions([i.verdict for i in indexes]) if len(indexes) > 1 else []
    return Answer(target, search_text, indexes, include_tampered, reference, versions,
                  sightings, searches, sessions, cached)  # fmt: skip


def _version(
    blob: str, target: Target, reference: tuple[str, str] | None, snapshots: Sequence[Snapshot]
) -> Version:
    v = Version(blob, [s.id for s in snapshots if blob_at(s, target.path) == blob])
    v.reference = reference is not None and reference[1] == blob
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


def _sighting(
    index: SessionIndex,
    blob: str,
    rows: list[Row],
    version: Version,
    reference: tuple[str, str] | None,
) -> Sighting:
    """One session's intervals of one content, all overlapping the asked lines."""
    lo, hi = version.lines or (1, WHOLE_FILE)
    content = "unknown" if reference is None else ("same" if version.reference else "differs")
    # Stored rows: blob, first, last, col, cols, seq, start_us, end_us, dwell_us, ended_by.
    return Sighting(
        index,
        blob,
        content,
        min(r[6] for r in rows),
        max(r[7] for r in rows),
        sum(r[8] for r in rows),
        len(rows),
        (max(lo, min(r[1] for r in rows)), min(hi, max(r[2] for r in rows))),
    )


# -- JSON (docs/who-viewed.md) ------------------------------------------------------


def _who(index: SessionIndex) -> dict[str, Any]:
    s = index.summary
    rev = s.get("reviewer") if isinstance(s.get("reviewer"), dict) else {}
    snap = s.get("snapshot") if isinstance(s.get("snapshot"), dict) else {}
    return {
        **name_fields(index.path, "ledger_path"),
        "ledger": s.get("ledger"),
        "status": index.status.value,
        "reviewer": rev.get("name"),
        "org": rev.get("org"),
        "workstation": s.get("workstation"),
        "snapshot": snap.get("id") if snap else None,
    }


def answer_to_json(a: Answer, trust: Sequence[bytes]) -> dict[str, Any]:
    t = a.target
    return {
        "format": WHO_VIEWED_FORMAT,
        "status": a.status.value,
        "exit_code": a.exit_code,
        "trust": [key_id(k) for k in trust],
        "target": {**path_fields(t.path), "first": t.first, "last": t.last},
        "search": a.search_text,
        "tampered": "included" if a.include_tampered else "withheld",
        "reference": None
        if a.reference is None
        else {"snapshot": a.reference[0], "blob": a.reference[1]},  # fmt: skip
        "versions": [
            {
                "blob": v.blob,
                "snapshots": v.snapshots,
                "reference": v.reference,
                "lines": list(v.lines) if v.lines else None,
                "mapped": v.mapped,
            }
            for v in a.versions.values()
        ],  # fmt: skip
        "ledgers": [
            {
                **_who(i),
                "withheld": not a.include_tampered and i.status is Status.TAMPERED,
                "from_cache": i.path in a.cached,
                "findings": [f.to_json() for f in i.verdict.findings],
            }
            for i in a.indexes
        ],  # fmt: skip
        "sessions": [f.to_json() for f in a.sessions],
        "sightings": [
            {
                **_who(s.index),
                "blob": s.blob,
                "content": s.content,
                "lines": list(s.lines),
                "first_seen": timestamp(s.first_us),
                "last_seen": timestamp(s.last_us),
                "dwell_us": s.dwell_us,
                "intervals": s.intervals,
            }
            for s in a.sightings
        ],  # fmt: skip
        "searches": [
            {
                **_who(m.index),
                "seq": m.search.seq,
                "time": timestamp(m.search.wall_us),
                "kind": m.search.kind,
                "query": m.search.query,
                "hits": m.search.hits,
            }
            for m in a.searches
        ],  # fmt: skip
    }
