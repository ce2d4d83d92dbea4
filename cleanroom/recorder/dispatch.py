"""The recorder's request handling, top to bottom (docs/protocol.md §4-§9).

`Dispatcher.handle(request)` is the only way a terminal's request reaches the
session: the state table first (table.py), then the rate limit, then the
request's own bounds and references, then its handler, which records before it
answers (through `LocalService`, whose answers carry exactly what was recorded).
Every refusal is recorded as a `refused` entry. Nothing a request holds can
make `handle` raise: an unexpected error is recorded as a refusal too.

The requests on the file on screen are in file_requests.py, the notes in
note_requests.py, the locks and `status` in lock_requests.py, the searches in
search_requests.py, the symbols in symbol_requests.py, the seal in
seal_requests.py, the terminal's crash report in crash_request.py: mixins of
`Dispatcher`, which holds the state they share.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..session.events import Blocked, ClientConnect, ClientLost, ClientResume, Refused
from ..session.local_service import LocalService
from ..session.pathmatch import Cancelled
from ..session.recorder import RecordingError, SealUnfinished
from ..session.service import FileFacts
from . import messages as m
from .crash_request import CrashRequest, crash_details
from .file_requests import FileRequests
from .lock_requests import LockRequests
from .log import log
from .note_requests import NoteRequests
from .quota import LedgerQuota
from .ratelimit import Bucket
from .refusal import Refusal
from .seal_requests import SealRequests, unfinished_answer
from .search_requests import SearchRequests
from .symbol_requests import SymbolRequests
from .table import COUNTERSIGN, ENDED, GUARD_LOCK, IDLE, NEW, READY, REASON, permitted, tag

# What may still be asked past the quota: the status (the guard's alerts are recorded
# even so), the reviewer's own seal and countersignature, and goodbye.
_QUOTA_FREE = (m.Status, m.Seal, m.Countersignature, m.Bye)
MAX_REFUSALS = 64  # refusals in one connection before the recorder closes it
RESEAL_EVERY = 2.0  # seconds between tries to seal an end whose seal failed (a full disk)
DURING = 0.25  # seconds between looks at the guard during a long request (the server's TICK)


class Dispatcher(
    SearchRequests,
    SealRequests,
    SymbolRequests,
    CrashRequest,
    FileRequests,
    NoteRequests,
    LockRequests,
):
    def __init__(self, service: LocalService, bucket: Bucket | None = None,
                 countersigner: object = None, owner: int | None = None,
                 quota: LedgerQuota | None = None,
                 reviewer_key: str | None = None, idle_seconds: int = 300,
                 witness_minutes: int = 15) -> None:  # fmt: skip
        self.service = service
        self.idle_seconds = idle_seconds  # the room's, told to the terminal in `welcome`
        self.witness_minutes = witness_minutes
        self.quota = quota  # the ledger's size and the free space it must leave (quota.py)
        self.countersigner = countersigner  # the reviewer's key, where the room keeps it here
        self.reviewer_key = reviewer_key  # the reviewer's public key, where the terminal signs
        self._countersign_by = 0.0  # seal_requests.py
        self.owner = owner  # the account a resumed session belongs to (its ledger says)
        self.session = service.session
        self.state = NEW
        self.ended: str | None = None
        self.refusals = 0
        self.bucket = bucket or Bucket()
        self._opened: FileFacts | None = None  # the file `view`s may name
        self._init_search()  # search_requests.py
        self._listed: set[bytes] = {b""}  # directories `tree` may name
        self._names_query: str | None = None  # the query `pick` may name
        self._names_matches = 0  # how many paths matched it, as the recorder counted
        self._idle_since: float | None = None
        self._locked_since: float | None = None
        self._lifted: float | None = None  # when the guard lock last lifted came (ADR 0218)
        self._fresh: list[Any] = []  # alerts recorded since the last `status`
        self._alert_failure: str | None = None  # why the guard's last alert was not recorded
        self._after_hello = READY  # a lock survives a reconnect
        self._receipt: Any = None  # the seal's, once sealed
        self._resealed = 0.0  # when an end's failed seal was last tried again
        self._reseal = False  # the recorder's own end could not be sealed: try again
        self._unfinished: m.Unfinished | None = None  # the seal's, if the file was not finished
        self._peer = "an unknown terminal"  # the terminal served, for a crash report's header
        self._looked = 0.0  # monotonic time of the last look at the guard during a request
        self._handlers: dict[type, Callable[[Any], m._Answer]] = {
            m.Hello: self._hello, m.Tree: self._tree, m.Names: self._names,
            m.Pick: self._pick, m.Open: self._open, m.View: self._view, m.Goto: self._goto,
            m.Paragraph: self._paragraph,
            m.Find: self._find, m.Mark: self._mark, m.Outline: self._outline,
            m.Definitions: self._definitions, m.SymbolNames: self._symbol_names,
            m.Search: self._search, m.Wait: self._wait, m.Cancel: self._cancel,
            m.Rows: self._rows, m.Where: self._where,
            m.Blocked: self._blocked, m.Key: self._key, m.Idle: self._idle,
            m.Active: self._active, m.Unlock: self._unlock, m.Witness: self._witness,
            m.Status: self._status, m.Seal: self._seal, m.Bye: self._ok,
            m.NoteSave: self._note_save, m.NoteWithdraw: self._note_withdraw,
            m.Notes: self._notes, m.CrashReport: self._crash,
            m.Countersignature: self._countersignature,
        }  # fmt: skip

    # -- the gate ---------------------------------------------------------------

    def handle(self, request: Any) -> m._Answer:
        """The answer to one decoded request. Never raises."""
        if not permitted(self.state, request):
            return self.refuse(tag(request), REASON[self.state])
        if not self.bucket.take():
            return self.refuse(tag(request), "rate")
        if self.quota is not None and type(request) not in _QUOTA_FREE:
            why = self.quota.exceeded(Path(self.session.facts.ledger_path))
            if why is not None:
                return self._over_quota(tag(request), why)
        try:
            return self._counted(self._handlers[type(request)](request))
        except RecordingError as exc:
            return self._counted(m.Failed(why=str(exc)))
        except Refusal as exc:
            return self.refuse(tag(request), exc.reason, exc.detail)
        except Exception as exc:  # a bug must not become a crash the terminal can cause
            return self.refuse(tag(request), "error", type(exc).__name__)

    def refuse(self, request: str, reason: str, detail: str = "") -> m._Answer:
        """Record the refusal, then answer it (a recording failure is answered too)."""
        self.refusals += 1
        if self.state == ENDED:  # the ledger is sealed: nothing more can be recorded
            log(f"refused after the seal: {request} ({reason})")
            return self._counted(m.Refused(reason=reason, seq=-1))
        try:
            appended = self.session.recorder.record(Refused(request, reason, detail[:200]))
        except RecordingError as exc:
            return self._counted(m.Failed(why=str(exc)))
        return self._counted(m.Refused(reason=reason, seq=appended.seq))

    def _over_quota(self, request: str, why: str) -> m._Answer:
        """Refuse `request` (recorded, with why), then seal the session while the
        reserve still has room for it: fail closed before the disk is full."""
        answer = self.refuse(request, "quota", why)
        log(f"ledger quota: {why}; the session is sealed")
        self._end("quota")
        return answer

    @property
    def exhausted(self) -> bool:
        """Too many refusals: the connection is to be closed (and recorded as lost)."""
        return self.refusals >= MAX_REFUSALS

    def _counted(self, answer: m._Answer) -> m._Answer:
        answer.entries = self.session.entries
        answer.alerts = self.session.alerts
        return answer

    # -- connection events (from the server, not from requests) -----------------

    def lost(self, detail: str, policy: str) -> None:
        """The terminal went away: record it, and seal if that is the policy (or if
        the seal waited for its countersignature)."""
        try:
            self.session.recorder.record(ClientLost(detail, policy))
        except RecordingError:
            pass  # the outage is recorded when recording works again
        self.countersign_abandoned()
        self._stop_search_quietly("client_lost")
        if policy == "seal" and self.state != ENDED:
            self._end("client_lost")

    def connected(self, uid: int, pid: int, account: str) -> None:
        """A reviewer's terminal was admitted to this session: who it is, recorded
        before anything is answered (a failure shows at the first request)."""
        self._peer = f"uid {uid} pid {pid} ({account or 'no account'})"
        try:
            self.session.recorder.record(ClientConnect(uid, pid, account))
        except RecordingError:
            pass

    def resumed(self, uid: int, away_s: float, pid: int = 0, account: str = "") -> None:
        """The same reviewer connected again: a `hello` first, then the session in
        the state it was left in (a lock stays up). A sealed session stays sealed."""
        if self.state == ENDED:
            return
        if self.state in (IDLE, GUARD_LOCK):
            self._after_hello = self.state
        self.state = NEW
        # The alerts that hold the guard lock are answered again in the next `status`:
        # the new terminal lists them, and its unlock can name them (ADR 0220).
        queued = {n for _, n in self._fresh}
        again = [(a, n) for a, n in self.session.locks.holding() if n not in queued]
        self._fresh = sorted(again + self._fresh, key=lambda pair: pair[1])
        self._peer = f"uid {uid} pid {pid} ({account or 'no account'})"
        try:
            self.session.recorder.record(ClientResume(uid, int(away_s), pid, account))
        except RecordingError:
            pass  # answered as a failure at the first request that needs the ledger

    def tick(self) -> None:
        """The guard's alerts and the blocked-key bursts: every quarter second, and
        before every answer (server.py), so a lock raised meanwhile applies to it."""
        if self.state == COUNTERSIGN:  # nothing may be recorded before the seal
            self.countersign_overdue()
            return
        self.session.flush_blocked()
        if self.state == ENDED:
            self._seal_again()
            return
        check = self.session.check_alerts()
        self._fresh.extend(zip(check.fresh, check.numbers, strict=True))
        self._alert_failure = check.failure  # the next `status` says so (the terminal hides)
        if any(a.response == "end" for a in check.fresh):
            first = next(a for a in check.fresh if a.response == "end")
            self._end(f"guard: {first.category}")
        elif any(a.response == "lock" for a in check.fresh):
            self._lock()

    def _seal_again(self) -> None:
        """An end whose seal could not be recorded (a full disk: the quota's end) is
        sealed as soon as it can be: tried again every RESEAL_EVERY seconds while
        the session is held (a terminal on it, or waiting)."""
        if not self._reseal or self._receipt is not None or self.ended is None:
            return
        now = time.monotonic()
        if now - self._resealed < RESEAL_EVERY:
            return
        self._resealed = now
        try:
            self._receipt = self.session.seal(None, self.ended)
        except SealUnfinished as exc:
            self._receipt = exc.finished.receipt
            self._unfinished = unfinished_answer(exc)
        except RecordingError:
            return
        self._reseal = False

    @property
    def sealed(self) -> bool:
        return self._receipt is not None

    def _end(self, reason: str) -> None:
        """Seal without the reviewer: never countersigned (the reviewer attested
        nothing; ADR 0202, docs/verdict.md)."""
        self._stop_search_quietly("end")
        self.state, self.ended = ENDED, reason
        try:
            self._receipt = self.session.seal(None, reason)
        except SealUnfinished as exc:  # the terminal shows it at its next `status`
            self._receipt = exc.finished.receipt
            self._unfinished = unfinished_answer(exc)
        except RecordingError:
            self._reseal = True  # ended all the same; sealed once it can be (_seal_again)

    # -- handlers ---------------------------------------------------------------

    def _hello(self, r: m.Hello) -> m._Answer:
        if r.version != m.VERSION:
            raise Refusal("version", f"version {r.version}; this recorder speaks {m.VERSION}")
        self.state, self._after_hello = self._after_hello, READY
        f = self.session.facts
        seq, code = self.session.shown_witness
        return m.Welcome(version=m.VERSION, session_id=self.session.session_id,
                         reviewer=f.reviewer, org=f.org, workstation=f.workstation,
                         snapshot=f.snapshot, ledger_path=f.ledger_path,
                         root_name=self.service.root_name, witness_seq=seq, witness_code=code,
                         guarded=self.service.guarded, state=self.state,
                         resumed=getattr(self.session, "resumed", False),
                         missing=list(f.missing), idle_seconds=self.idle_seconds,
                         witness_minutes=self.witness_minutes)  # fmt: skip

    def _tree(self, r: m.Tree) -> m._Answer:
        if r.path not in self._listed:
            raise Refusal("order", "a directory no listing named")
        try:
            page = self.service.tree(r.path, r.start, r.limit)
        except IndexError as exc:
            raise Refusal("bounds", str(exc)) from None
        if page is None:
            return m.Failed(why=self.session.failure or "recording failed")
        self._listed.update(e.path for e in page.entries if e.is_dir)
        items = [m.EntryInfo(e.path, e.name, e.is_dir, e.kind, e.size) for e in page.entries]
        return m.Listing(items=items, start=page.start, total=page.total)

    def _names(self, r: m.Names) -> m._Answer:
        """Match and record the names. Matching is linear but not short (a query of
        many terms over a large tree takes seconds of this thread), so the guard is
        looked at as it goes: a lock or an end that comes meanwhile stops it."""
        try:
            answer = self.service.names(r.query, self._guard_meanwhile)
        except Cancelled:
            raise Refusal(REASON[self.state], "the session left ready meanwhile") from None
        if answer is None:
            return m.Failed(why=self.session.failure or "recording failed")
        self._names_query, self._names_matches = r.query, answer.matches
        return m.Paths(paths=answer.paths, matches=answer.matches, searched=answer.searched,
                       total=answer.total)  # fmt: skip

    def _guard_meanwhile(self) -> bool:
        """For work the serving thread does at length: look at the guard at most every
        DURING seconds (the server's loop cannot while this thread works); True, stop
        the work, once the session is no longer `ready`."""
        now = time.monotonic()
        if now - self._looked >= DURING:
            self._looked = now
            self.tick()
        return self.state != READY

    def _pick(self, r: m.Pick) -> m._Answer:
        if r.query != self._names_query:
            raise Refusal("order", "a query no list was answered for")
        # The count recorded is the recorder's own, from the list it answered: the
        # terminal's `matches` is its word, and a terminal may say anything.
        self.service.quick_open(r.query, self._names_matches)
        return m.Ok()

    def _blocked(self, r: m.Blocked) -> m._Answer:
        try:  # marked as the terminal's word, apart from the recorder's own `blocked`
            self.session.recorder.record(Blocked(r.action, r.detail, by="terminal"))
        except RecordingError:
            pass  # the refusal itself held; the outage is recorded when it ends
        return m.Ok()

    def _key(self, r: m.Key) -> m._Answer:
        self.session.blocked_key(r.key)
        return m.Ok()

    def _witness(self, r: m.Witness) -> m._Answer:
        seq, code = self.session.witness()
        return m.WitnessCode(seq=seq, code=code)

    def _ok(self, r: Any) -> m._Answer:
        return m.Ok()


_Refusal = Refusal  # the name before the split
__all__ = ["MAX_REFUSALS", "Dispatcher", "Refusal", "crash_details"]
