"""Verified timelines: a ledger's entries, decoded only after the verifier judged them.

`read_timeline` loads the file once, hands the image to the pure verifier that
`cleanroom verify` runs (`verify_image`; `verify_path` gives the same verdict),
and decodes the very rows that verifier judges, while its workers judge them.
The file is not read a second time, so it cannot be swapped between the verdict
and the events.

Every `Timeline` carries its `Verdict`. The entries of a TAMPERED ledger are
withheld (`withheld` is set, `entries` is empty) unless the caller asks for them
with `include_tampered`; they are then still marked by the timeline's status, and
each output must show it (docs/adr/0300-forensics-tampered-and-cache.md).
Payloads of the reviewer vocabulary are checked against their dataclasses in
`cleanroom.session.events` and the value ranges in `fits.py`; one that does not
fit keeps its raw payload and a `problem`, it never raises.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import typing
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from ..ledger.credit import copy_key, credit, entry_hashes
from ..ledger.encoding import HEADER, Body, EncodingError, decode_body
from ..ledger.events import Event
from ..ledger.findings import Finding
from ..ledger.load import LedgerImage, Row, load_path
from ..ledger.sessions import check_sessions, copies
from ..ledger.verdict import Status, Verdict, status_of, worst
from ..ledger.verify import verify_image, verify_path
from ..session.events import VOCABULARY, path_from_fields
from .fits import misfit
from .spill.parts import Spill
from .spill.sequence import BUDGET, Spilled
from .spill.store import Store


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One decoded ledger entry. `event` is the typed vocabulary event when the kind
    is a reviewer kind and the payload fits it; `problem` says why it does not."""

    seq: int
    kind: str
    wall_us: int
    mono_us: int
    boot: bytes
    payload: dict[str, Any]
    event: Event | None = None
    problem: str | None = None

    @property
    def time(self) -> str:
        return timestamp(self.wall_us)


@dataclass
class Timeline:
    """One ledger: its verdict and, unless withheld, its entries in seq order."""

    path: str
    verdict: Verdict
    # A list, or for `read_evidence` a sequence read back from a spill file (ADR 0310)
    entries: Sequence[TimelineEntry] = field(default_factory=list)
    withheld: bool = False  # TAMPERED and not included: no entries are kept
    undecodable: int = 0  # rows that could not be decoded (only in a TAMPERED ledger)
    # What read_timeline's `analyse` made of `entries`, if it was given one.
    analysis: object = field(default=None, repr=False, compare=False)

    @property
    def status(self) -> Status:
        return self.verdict.status

    @property
    def ledger_id(self) -> str | None:
        value = self.verdict.summary.get("ledger")
        return value if isinstance(value, str) else None

    @property
    def reviewer(self) -> str | None:
        return _text((self.verdict.summary.get("reviewer") or {}).get("name"))

    @property
    def org(self) -> str | None:
        return _text((self.verdict.summary.get("reviewer") or {}).get("org"))

    @property
    def workstation(self) -> str | None:
        return _text(self.verdict.summary.get("workstation"))

    @property
    def snapshot_id(self) -> str | None:
        snap = self.verdict.summary.get("snapshot")
        return _text(snap.get("id")) if isinstance(snap, dict) else None


@dataclass
class Evidence:
    """The timelines a forensic command works from, with the cross-session findings."""

    timelines: list[Timeline]
    sessions: list[Finding] = field(default_factory=list)  # SESSION_* over the set

    @property
    def status(self) -> Status:
        return worst([t.status for t in self.timelines] + [status_of(self.sessions)])


Progress = Callable[[Path], None]
Analyse = Callable[[Sequence[TimelineEntry], int], object]  # (entries, undecodable) -> analysis


def read_timeline(
    path: Path,
    trust: Sequence[bytes],
    include_tampered: bool = False,
    workers: int | None = None,
    analyse: Analyse | None = None,
    names: dict[Any, Any] | None = None,
    name: str | None = None,
) -> Timeline:
    """Verify the ledger at `path` and decode its entries. Raises OSError when the
    file cannot be read at all (as `verify_path` does); every problem with its
    contents is in the verdict instead.

    `analyse(entries, undecodable)`, if given, runs on the decoded entries while the
    verifier's workers still judge them; its result is kept in `Timeline.analysis`
    only with the entries themselves. `names` (`_decode`) is shared by the ledgers
    of one reading, so a path named by many entries is held once. `name` is the
    ledger's name in the verdict and timeline when `path` is a private copy of it."""
    return _read(path, trust, include_tampered, workers, analyse, names, name=name)[0]


Defer = Callable[[str | None], bool]  # the ledger id row 0 claims -> decode only later?


def _read(
    path: Path,
    trust: Sequence[bytes],
    include_tampered: bool,
    workers: int | None,
    analyse: Analyse | None,
    names: dict[Any, Any] | None,
    defer: Defer | None = None,
    store: Store | None = None,
    digest: Callable[[], Digester] | None = None,
    name: str | None = None,
) -> tuple[Timeline, Later | None]:
    """`read_timeline`, and the image whose decoding `defer` postponed (or None):
    its rows are the very rows the verifier judged, left for `_fill` (ADR 0309)."""
    if store is not None:
        shared = {} if names is None else names
        return _read_spilled(
            path, trust, include_tampered, workers, analyse, store, defer, shared, digest
        )
    image = load_path(path)
    if name is not None:
        image.name = name
    made: list[tuple[list[TimelineEntry], int, object]] = []
    later: list[bool] = []

    def meanwhile() -> None:
        if defer is not None and defer(_claimed_ledger(image.rows)):
            later.append(True)  # the rows are kept, undecoded, until the set is read
            return
        # The very rows the verifier judges; kept only if the verdict allows. Each
        # row is dropped once decoded (the verifier no longer reads them here), so
        # the rows and their entries are never all held at once.
        entries, undecodable = _decode(image.rows, {} if names is None else names, release=True)
        made.append((entries, undecodable, analyse(entries, undecodable) if analyse else None))

    verdict = verify_image(image, list(trust), workers=workers, meanwhile=meanwhile)
    timeline = Timeline(image.name, verdict)
    if verdict.status is Status.TAMPERED and not include_tampered:
        timeline.withheld = True
        return timeline, None
    if later:
        return timeline, image
    if not made:  # verify_image calls meanwhile once; this only guards that promise
        meanwhile()
        if later:
            return timeline, image
    timeline.entries, timeline.undecodable, timeline.analysis = made[0]
    return timeline, None


Later = LedgerImage | tuple[Spilled[TimelineEntry], int]  # rows not yet decoded, or entries


def _read_spilled(
    path: Path,
    trust: Sequence[bytes],
    include_tampered: bool,
    workers: int | None,
    analyse: Analyse | None,
    store: Store,
    defer: Defer | None,
    names: dict[Any, Any],
    digest: Callable[[], Digester] | None = None,
) -> tuple[Timeline, Later | None]:
    """`_read` by the verifier that reads the file by ranges (`verify_path`): the
    processes that check the rows decode them as they check them (the same read),
    and spill the entries to `store` (ADR 0310); no process holds them all. With
    `digest`, this process builds the entries of each part gathered and feeds them
    to a `digest()` while the others still check the rest (ADR 0311): the
    analysis is kept only if the verdict allows, as `analyse`'s would be."""
    taker = None if digest is None else _Taker(digest, names)
    spill = Spill(_record, store if taker else None, taker)
    try:
        verdict = verify_path(path, list(trust), workers=workers, tap=spill)
        timeline = Timeline(str(path), verdict)
        if verdict.status is Status.TAMPERED and not include_tampered:
            timeline.withheld = True
            return timeline, None
        chunks, undecodable = spill.gather(store)
        built = {} if taker is None else taker.hand_over()
    finally:
        spill.discard()
        if taker is not None:
            taker.release()
    entries = Spilled(store, chunks, functools.partial(_entry, names=names), cached=built)
    if defer is not None and defer(timeline.ledger_id):
        return timeline, (entries, undecodable)  # analysed once the set is read
    timeline.entries, timeline.undecodable = entries, undecodable
    if taker is not None:
        timeline.analysis = taker.digester.done(undecodable)
    else:
        timeline.analysis = analyse(entries, undecodable) if analyse else None
    return timeline, None


class Digester(Protocol):
    """A ledger's analysis made a run of entries at a time (`report.Analyser`)."""

    def feed(self, entries: Iterable[TimelineEntry]) -> None: ...

    def done(self, undecodable: int) -> object: ...


class _Taker:
    """`Spill`'s `ready`: builds the entries of each chunk gathered, in order, and
    feeds them to the digester; keeps them for the ledger's `Spilled` sequence
    while the cache's budget allows (they are built once, not again)."""

    def __init__(self, digest: Callable[[], Digester], names: dict[Any, Any]) -> None:
        self._digest, self._names = digest, names
        self._built: dict[int, list[TimelineEntry]] = {}
        self.restart()

    def restart(self) -> None:
        self.release()
        self.digester = self._digest()

    def chunk(self, index: int, records: list[tuple[Any, ...]]) -> None:
        names = self._names
        items = [_entry(r, names) for r in records]
        self.digester.feed(items)
        if BUDGET.take(len(items)):
            self._built[index] = items

    def hand_over(self) -> dict[int, list[TimelineEntry]]:
        """The entries kept, with their budget: the caller's now."""
        built, self._built = self._built, {}
        return built

    def release(self) -> None:
        BUDGET.give(sum(len(x) for x in self._built.values()))
        self._built = {}


def _fill(timeline: Timeline, later: Later, names: dict[Any, Any], analyse: Analyse | None) -> None:
    """Decode a postponed file's rows (those its verdict judged) into `timeline`."""
    if isinstance(later, LedgerImage):
        entries, undecodable = _decode(later.rows, names, release=True)
    else:
        entries, undecodable = later
    timeline.entries, timeline.undecodable = entries, undecodable
    timeline.analysis = analyse(entries, undecodable) if analyse else None


def _claimed_ledger(rows: list[Row]) -> str | None:
    """The ledger id the first row claims (unverified: it only decides when to decode)."""
    try:
        return decode_body(rows[0][1]).ledger.hex()  # type: ignore[arg-type]
    except (IndexError, TypeError, AttributeError, EncodingError):
        return None


def _decode(
    rows: list[Row], names: dict[Any, Any], release: bool = False
) -> tuple[list[TimelineEntry], int]:
    """The entries of the rows that decode, and how many do not. Each path (its
    text in the payload and its bytes in the event) is held once in `names`: a
    hostile site's 3 KB paths, each named by a `file_open` and views in every
    ledger, were most of a report's memory (ADR 0306). With `release`, each row
    is taken out of `rows` (left None) as soon as it is decoded (ADR 0307)."""
    entries: list[TimelineEntry] = []
    add = entries.append
    undecodable = 0
    for i, (_, body, _) in enumerate(rows):
        if release:
            rows[i] = None  # type: ignore[call-overload]
        entry = decode_entry(body, names)
        if entry is None:
            undecodable += 1
        else:
            add(entry)
    return entries, undecodable


def decode_entry(
    body: object, names: dict[Any, Any], payload: dict[str, Any] | None = None
) -> TimelineEntry | None:
    """The entry of one row's body, or None if it does not decode. `names`: `_decode`.
    `payload`: the object the verifier proved the body's payload to be
    (`ledger.entries.check_rows`' `judged`), so it is not parsed again."""
    try:
        b = decode_body(body) if payload is None else _proved(body, payload)  # type: ignore[arg-type]
    except EncodingError:
        return None
    payload = _shared_payload(b.payload, names)
    kind = names.setdefault(b.kind, b.kind)
    event, problem = typed_event(kind, payload, names)
    boot = names.setdefault(b.boot, b.boot)
    return TimelineEntry(b.seq, kind, b.wall_us, b.mono_us, boot, payload, event, problem)


def _shared_payload(payload: dict[str, Any], names: dict[Any, Any]) -> dict[str, Any]:
    """`payload` with its keys and the strings many entries repeat taken from `names`:
    each entry's kind, boot id and payload keys are fresh objects from its bytes, a
    third of an entry's memory, and the same few values in all."""
    shared = names.setdefault
    payload = {shared(k, k): v for k, v in payload.items()}
    for key in _NAMED:
        value = payload.get(key)
        if type(value) is str:
            payload[key] = shared(value, value)
    return payload


def _proved(body: bytes, payload: dict[str, Any]) -> Body:
    """`decode_body(body)` for a body whose layout and canonical payload the
    verifier's fast path proved, `payload` being the object it parsed: the same
    Body (tests/test_forensics_spill_payload.py), without parsing it again."""
    _, seq, ledger, prev, wall, mono, boot, next_key, n = HEADER.unpack_from(body)
    kind = body[HEADER.size : HEADER.size + n].decode("ascii")
    return Body(seq, ledger, prev, wall, mono, boot, next_key, kind, payload)


def _record(
    body: object, payload: dict[str, Any] | None, names: dict[Any, Any]
) -> tuple[Any, ...] | None:
    """A row's entry as a spill record (`_entry` builds it back), in the process
    that checks the row; None if it does not decode. `payload`: `decode_entry`.
    The event is checked as `decode_entry` checks it, but only its arguments are
    kept: `_entry` builds the event, so it is not built here too (issue 14)."""
    try:
        b = decode_body(body) if payload is None else _proved(body, payload)  # type: ignore[arg-type]
    except EncodingError:
        return None
    shared = names.setdefault
    payload = _shared_payload(b.payload, names)
    kind = shared(b.kind, b.kind)
    args, problem = event_args(kind, payload, names)
    return (b.seq, kind, b.wall_us, b.mono_us, shared(b.boot, b.boot), payload, problem, args)


def _entry(record: tuple[Any, ...], names: dict[Any, Any]) -> TimelineEntry:
    """The entry of a spill record. Every chunk read builds new objects: what many
    entries repeat (kind, boot, payload keys, paths) is taken from `names`, shared
    by the reading, so what is kept of them (say, the intervals a report keeps of
    its views) holds each path once, however often it is read (ADR 0306)."""
    seq, kind, wall_us, mono_us, boot, payload, problem, args = record
    shared = names.setdefault
    payload = {shared(k, k): v for k, v in payload.items()}
    for key in _NAMED:
        value = payload.get(key)
        if type(value) is str:
            payload[key] = shared(value, value)
    kind = shared(kind, kind)
    event = None
    if args is not None:
        args = {k: payload.get(k, v) for k, v in args.items()}
        if (raw := args.get("raw_path")) is not None:
            args["raw_path"] = shared(raw, raw)
        event = _BY_KIND[kind](**args)
    return TimelineEntry(seq, kind, wall_us, mono_us, shared(boot, boot), payload, event, problem)


def read_evidence(
    paths: Sequence[Path],
    trust: Sequence[bytes],
    include_tampered: bool = False,
    progress: Progress | None = None,
    workers: int | None = None,
    analyse: Analyse | None = None,
    digest: Callable[[], Digester] | None = None,
) -> Evidence:
    """Read every ledger, then check them as a set (`cleanroom verify` does the same).

    A file is decoded only if it may be credited (ADR 0309): a file whose first row
    claims a ledger id already read is decoded after the whole set is judged, and
    never if it is a copy, a prefix or a dropped branch (`copies`). A byte copy
    (the same signed head as a file kept) is known to be dropped once verified:
    its rows are released at once. Only files of one id with other heads (a prefix,
    a fork: never in an honest set) keep their rows until the set is read."""
    timelines: list[Timeline] = []
    names: dict[Any, Any] = {}
    store = Store()  # every ledger's entries, spilled (ADR 0310)
    ids: set[str] = set()  # ledger ids of the files read so far
    kept: set[tuple[str, int, str]] = set()  # their heads (copy_key)
    held: dict[int, Later] = {}  # postponed files that may still be credited
    for path in paths:
        timeline, image = _read(
            path, trust, include_tampered, workers, analyse, names, ids.__contains__, store, digest
        )
        key = copy_key(timeline.verdict)
        if image is not None and (key is None or key not in kept):
            held[len(timelines)] = image
        del image  # a byte copy of a file read: its rows go now
        timelines.append(timeline)
        if timeline.ledger_id is not None:
            ids.add(timeline.ledger_id)
        if key is not None:
            kept.add(key)
        if progress is not None:
            progress(path)
    verdicts = [t.verdict for t in timelines]
    hashes_of = functools.cache(lambda i: entry_hashes(timelines[i].path, verdicts[i]))
    sessions = check_sessions(verdicts, hashes_of) if len(timelines) > 1 else []
    # Copies and prefixes (SESSION_COPY) are counted once; a fork (SESSION_FORK) is
    # credited once, with the entries its branches share (ADR 0308).
    dropped = copies(verdicts, hashes_of)
    for i in sorted(held):
        image = held.pop(i)
        if i not in dropped:
            _fill(timelines[i], image, names, analyse)
        del image
    for i, last in credit(verdicts, hashes_of).cut.items():
        cut_timeline(timelines[i], last)
    return Evidence([t for i, t in enumerate(timelines) if i not in dropped], sessions)


def cut_timeline(timeline: Timeline, last: int) -> None:
    """Keep only entries 1..`last` of `timeline` (a fork's common part): what is
    credited, and what every section of a report is made of."""
    if isinstance(timeline.entries, Spilled):
        timeline.entries = timeline.entries.cut(last)
    else:
        timeline.entries = [e for e in timeline.entries if e.seq <= last]
    timeline.analysis = None  # made of the whole file: made again from what is kept


# -- typed events ------------------------------------------------------------------

_BY_KIND: dict[str, type[Event]] = {cls.kind: cls for cls in VOCABULARY}


def _field_specs(cls: type[Event]) -> list[tuple[str, Any, bool]]:
    """(name, type, required) of each payload field of a vocabulary class."""
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):
        if f.name == "raw_path":
            continue
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        out.append((f.name, hints[f.name], required))
    return out


_FIELDS = {cls.kind: _field_specs(cls) for cls in VOCABULARY}
_ABSENT = object()
_PATHED = {
    cls.kind for cls in VOCABULARY if "raw_path" in {f.name for f in dataclasses.fields(cls)}
}


_NAMED = ("path", "path_b64", "blob")  # payload strings many entries repeat


def typed_event(
    kind: str, payload: dict[str, Any], names: dict[Any, Any] | None = None
) -> tuple[Event | None, str | None]:
    """The vocabulary event for `kind`, or (None, why) when the payload does not fit.
    Structural and unknown kinds give (None, None). A path's bytes are taken from
    `names` when an equal one is there (and put there)."""
    args, problem = event_args(kind, payload, names)
    return (None, problem) if args is None else (_BY_KIND[kind](**args), None)


def event_args(
    kind: str, payload: dict[str, Any], names: dict[Any, Any] | None = None
) -> tuple[dict[str, Any] | None, str | None]:
    """`typed_event`'s checks, without the event: the keyword arguments of its
    class (the fields the payload gives, and `raw_path`), or (None, why)."""
    if kind not in _BY_KIND:
        return None, None
    args: dict[str, Any] = {}
    for name, hint, required in _FIELDS[kind]:
        value = payload.get(name, _ABSENT)
        if value is _ABSENT:
            if required:
                return None, f"{kind} without {name}"
            continue
        # A value of exactly the hinted type (int, str, bool) conforms: skip the call.
        if type(value) is not hint and not _conforms(value, hint):
            return None, f"{kind} field {name} is not {_hint_name(hint)}"
        args[name] = value
    if (why := misfit(kind, payload)) is not None:
        return None, f"{kind} {why}"
    if kind in _PATHED:
        try:
            raw = path_from_fields(payload)
        except ValueError:
            raw = None
        if raw is None:
            return None, f"{kind} without a readable path"
        args["raw_path"] = raw if names is None else names.setdefault(raw, raw)
    return args, None


def _conforms(value: Any, hint: Any) -> bool:
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list:
        return isinstance(value, list) and all(_conforms(v, args[0]) for v in value)
    if origin is dict:
        return isinstance(value, dict) and all(
            _conforms(k, args[0]) and _conforms(v, args[1]) for k, v in value.items()
        )
    return False


def _hint_name(hint: Any) -> str:
    return getattr(hint, "__name__", str(hint))


# -- time --------------------------------------------------------------------------


def timestamp(wall_us: int | None) -> str | None:
    """UTC with milliseconds, `YYYY-MM-DDTHH:MM:SS.mmmZ`; None if out of range."""
    if wall_us is None:
        return None
    minute, us = divmod(wall_us, 60_000_000)
    prefix = _MINUTES.get(minute)
    if prefix is None:
        try:
            t = dt.datetime.fromtimestamp(minute * 60, dt.UTC)
        except (OverflowError, ValueError, OSError):
            return None
        if len(_MINUTES) > 100_000:
            _MINUTES.clear()
        prefix = _MINUTES[minute] = t.strftime("%Y-%m-%dT%H:%M:")
    return prefix + _SECONDS[us // 1_000_000] + _MILLIS[us // 1000 % 1000]


_MINUTES: dict[int, str] = {}  # a datetime per entry would be a tenth of a report's time
_SECONDS = [f"{s:02d}." for s in range(60)]  # every writer stamps every entry: look
_MILLIS = [f"{ms:03d}Z" for ms in range(1000)]  # these up rather than format them


def elapsed_us(a: TimelineEntry, b: TimelineEntry) -> int:
    """Microseconds from `a` to `b`: by the monotonic clock within one boot (immune to
    wall-clock steps), by the wall clock across boots; never negative."""
    if a.boot == b.boot:
        return max(0, b.mono_us - a.mono_us)
    return max(0, b.wall_us - a.wall_us)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
