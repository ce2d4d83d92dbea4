"""`RemoteService`: the `ReviewService` over the recorder's socket: the terminal's
side of docs/protocol.md. It holds no key, no ledger and no snapshot; every
answer it passes on is what the recorder recorded. When the recorder cannot be
reached, every call fails as a recording failure (the terminal hides source),
and the next call tries to connect again. What its answers mean (refusals,
seals, rows) is read in answers.py; what it does about answers that came too late,
in pending.py."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from ..notes.model import Draft, Note, NoteError, Place, check
from ..session.alert_locks import LockHeld
from ..session.crash import CrashOutcome, outline
from ..session.find_in_file import FileHits
from ..session.name_matcher import Matched
from ..session.pathmatch import Cancelled
from ..session.recorder import RecordingError
from ..session.review import AlertCheck, Facts
from ..session.service import PAGE_NAMES, FileFacts, NoteList, Page, Results, Screen, SymbolRows
from ..session.source import ContentRefused, Entry, TooLarge
from ..snapshot.search import SearchCancelled, SearchError
from ..snapshot.symbols.query import SymbolsUnavailable
from . import messages as m
from .answers import (
    LOST,
    NotAdmitted,
    RequestRefused,
    SealedReceipt,
    WitnessOf,
    _hit,
    _note,
    _results,
    _symbol_rows,
    countersignature,
    crash_outcome,
    sealed,
    unfinished,
)
from .asking import ANSWER_TIMEOUT, Asking, Busy
from .connection import STALL_AFTER, NotAnswering

__all__ = ["STALL_AFTER", "NotAdmitted", "RemoteSearch", "RemoteService", "RequestRefused",
           "SealedReceipt", "WitnessOf"]  # fmt: skip
RECORDER_ENDED = "recorder"  # the category of the end the recorder chose (a.ended: why)


class RemoteService(Asking):
    """The `ReviewService` the terminal uses: every call one request (asking.py)."""

    # -- facts ------------------------------------------------------------------

    @property
    def facts(self) -> Facts:
        w = self._welcome
        return Facts(w.reviewer, w.org, w.workstation, w.snapshot, w.ledger_path,
                     tuple(w.missing))  # fmt: skip

    @property
    def root_name(self) -> str:
        return self._welcome.root_name

    @property
    def session_id(self) -> str:
        return self._welcome.session_id

    @property
    def resumed(self) -> bool:
        """The session was left unsealed and the recorder resumed it."""
        return self._welcome.resumed

    @property
    def idle_seconds(self) -> int:
        """The room's idle lock, as the recorder's config sets it."""
        return self._welcome.idle_seconds

    @property
    def witness_minutes(self) -> int:
        return self._welcome.witness_minutes

    @property
    def entries(self) -> int:
        return self._entries

    @property
    def alerts(self) -> int:
        return self._alerts

    @property
    def failure(self) -> str | None:
        return self._failure

    @property
    def shown_witness(self) -> tuple[int, str]:
        return self._witness if hasattr(self, "_witness") else (
            self._welcome.witness_seq, self._welcome.witness_code)  # fmt: skip

    @property
    def guarded(self) -> bool:
        return True  # the terminal asks for `status` four times a second: a lost recorder shows

    # -- names ------------------------------------------------------------------

    def tree(self, directory: bytes, start: int = 0, limit: int = PAGE_NAMES) -> Page | None:
        limit = max(1, min(limit, PAGE_NAMES))
        try:
            answer = self._ask(m.Tree(path=directory, start=start, limit=limit))
        except RequestRefused as exc:
            if exc.reason == "bounds":
                raise IndexError(f"name {start} of the listing") from None
            return None
        except RecordingError:
            return None
        self._listed[(directory, start)] = limit
        entries = [Entry(i.path, i.name, i.is_dir, i.kind, i.size) for i in answer.items]
        return Page(entries, answer.start, answer.total)

    def names(self, query: str, cancelled: Any) -> Matched | None:
        """The recorded names for `query`. Raises Cancelled, asking nothing, when a
        later keystroke replaced it while it waited for the connection: each
        request costs the recorder seconds on a large tree, and a queue of stale
        ones (one per key typed) held it that many times over."""
        try:
            with self._lock:
                if cancelled():
                    raise Cancelled(query)
                answer = self._ask(m.Names(query=query))
        except RecordingError:
            return None
        return Matched(list(answer.paths), answer.matches, answer.searched, answer.total)

    def quick_open(self, query: str, matches: int) -> None:
        self._ask(m.Pick(query=query, matches=matches))

    # -- files ------------------------------------------------------------------

    def size_of(self, path: bytes) -> int:
        return 1 << 62  # unknown here: always open off the UI thread (a socket round trip)

    def open_file(self, path: bytes) -> FileFacts:
        try:
            a = self._ask(m.Open(path=path))
        except RequestRefused as exc:
            if exc.reason == "no_such_file":
                raise KeyError(path) from None
            raise
        if isinstance(a, m.RefusedFile):
            refusal = TooLarge if a.action == TooLarge.action else ContentRefused
            raise refusal(a.path, a.display, a.why)
        self._open = a.path
        return FileFacts(a.path, a.name, a.blob, a.size, a.lines, a.max_line_bytes, a.binary,
                         dict(a.flags), list(a.flagged_lines))  # fmt: skip

    def view(self, opened: FileFacts, first: int, last: int, col: int, cols: int,
             wrap: int = 0) -> Screen | None:  # fmt: skip
        request = m.View(path=opened.path, blob=opened.blob, first=first, last=last, col=col,
                         cols=max(1, cols), wrap=wrap)  # fmt: skip
        try:
            a = self._ask(request)
        except RequestRefused as exc:
            if exc.reason != "order" or not self._open_again(opened):
                return None
            try:
                a = self._ask(request)
            except RecordingError:
                return None
        except RecordingError:
            return None
        if isinstance(a, m.RefusedFile):  # a chunk of it is not the signed one (ADR 0109)
            raise ContentRefused(a.path, a.display, a.why)
        return Screen(a.first, list(a.lines), list(a.sizes), col)  # cells from `col`

    def goto(self, opened: FileFacts, line: int) -> None:
        self._ask(m.Goto(path=opened.path, blob=opened.blob, line=line))

    def paragraph(self, opened: FileFacts, line: int, forward: bool) -> int:
        request = m.Paragraph(path=opened.path, blob=opened.blob, line=line, forward=forward)
        try:
            a = self._ask(request)
        except RequestRefused as exc:
            raise ValueError(str(exc)) from None
        if isinstance(a, m.RefusedFile):  # a chunk of it is not the signed one (ADR 0109)
            raise ContentRefused(a.path, a.display, a.why)
        return int(a.line)

    def find(self, opened: FileFacts, query: str, case: bool) -> FileHits:
        """Raises ValueError for a query the recorder refuses (too long, empty)."""
        try:
            a = self._ask(m.Find(path=opened.path, blob=opened.blob, query=query, case=case))
        except RequestRefused as exc:
            raise ValueError(str(exc)) from None
        cells = [[(int(s), int(e)) for s, e in line] for line in a.cells]
        return FileHits(query, case, list(a.lines), cells, a.total)

    def mark(self, opened: FileFacts, mark: str, line: int) -> None:
        self._ask(m.Mark(path=opened.path, blob=opened.blob, mark=mark, line=line))

    # -- symbols ----------------------------------------------------------------

    def outline(self, opened: FileFacts, offset: int = 0) -> SymbolRows:
        asked = m.Outline(path=opened.path, blob=opened.blob, offset=offset)
        return _symbol_rows(self._ask(asked), offset)

    def definitions(self, name: str) -> SymbolRows:
        return _symbol_rows(self._ask(m.Definitions(name=name)))

    def symbol_names(self, typed: str) -> list[str]:
        a = self._ask(m.SymbolNames(query=typed))
        if isinstance(a, m.NoSymbols):
            raise SymbolsUnavailable(a.why)
        return list(a.names)

    # -- search -----------------------------------------------------------------

    def search(self, query: Any, running: list[Any] | None = None,
               first: Callable[[Results], None] | None = None) -> Results:  # fmt: skip
        """Start the search in the recorder, then ask for its result until it is
        recorded and answered; a first page recorded before the pass ends goes to
        `first`. `running` receives a handle whose `cancel()` (from any thread,
        never blocking) makes this send `cancel` and raise SearchCancelled.
        Between two `wait`s the connection is free for the status poll, so a lock
        shows while a search runs. Raises SearchError or RecordingError."""
        handle = RemoteSearch()
        if running is not None:
            running.append(handle)
        q = query.to_json()
        request = m.Search(text=q["text"], regex=q["regex"], case=q["case"],
                           include=list(q["include"]), exclude=list(q["exclude"]))  # fmt: skip
        try:
            a = self._ask(request)
        except RequestRefused as exc:
            if exc.reason != "rate":
                raise
            # Earlier searches are still stopping (protocol §5a): the reviewer is told,
            # and the code view stays (nothing was shown unrecorded).
            raise SearchError("the recorder is still stopping earlier searches; "
                              "search again in a moment") from None  # fmt: skip
        if not isinstance(a, m.Searching):
            return _results(a)
        number = a.id
        while True:
            if isinstance(a, m.Searching):
                handle.files = a.files
            elif isinstance(a, m.Found) and not a.done:
                if first is not None:
                    first(_results(a))
            else:
                return _results(a)
            if handle.cancelled:
                try:
                    self._ask(m.Cancel(id=number))
                except RequestRefused:
                    pass  # ended meanwhile: nothing runs, nothing more to stop
                raise SearchCancelled("the search was cancelled")
            try:
                a = self._ask(m.Wait(id=number))
            except RequestRefused as exc:  # a lock or the end stopped it (recorded)
                raise SearchCancelled(f"the recorder stopped the search ({exc.reason})") from None

    def rows(self, results: Results, first: int, last: int) -> list[Any] | None:
        try:
            a = self._ask(m.Rows(search_seq=results.seq, first=first, last=last))
        except RecordingError:
            return None
        return [_hit(h) for h in a.hits]

    def result_at(self, results: Results, index: int) -> tuple[bytes, int] | None:
        """Where result `index` is: None when the recorder refuses it (twice: once
        before, once after its row is recorded). Raises RecordingError when it
        could not be recorded (not answering, failed): the caller's failure path."""
        try:
            a = self._ask(m.Where(search_seq=results.seq, index=index))
        except RequestRefused:
            if self.rows(results, index, index) is None:  # shown now, so recorded
                if self._failure is not None:  # not a refusal: recording failed
                    raise RecordingError(self._failure) from None
                return None
            try:
                a = self._ask(m.Where(search_seq=results.seq, index=index))
            except RequestRefused:
                return None
        return a.path, a.line

    # -- notes --------------------------------------------------------------------

    def save_note(self, draft: Draft, note_id: str | None = None) -> Note:
        checked = check(draft)  # the limits first, as the recorder checks them again
        p = checked.place
        try:
            a = self._ask(m.NoteSave(note=note_id or "", kind=checked.kind,
                                     severity=checked.severity, title=checked.title,
                                     body=checked.body, path=p.path, blob=p.blob,
                                     first=p.first, last=p.last))  # fmt: skip
        except RequestRefused as exc:
            if exc.reason == "invalid":
                raise NoteError("the recorder refused the note (recorded as refused)") from None
            raise
        return Note(a.note, a.version, checked)

    def withdraw_note(self, note_id: str) -> Note:
        try:
            a = self._ask(m.NoteWithdraw(note=note_id))
        except RequestRefused as exc:
            if exc.reason == "invalid":
                raise NoteError("the recorder refused the withdrawal (recorded)") from None
            raise
        placeholder = Draft("remark", "", "", "", Place(b"?", "0" * 64))
        return Note(a.note, a.version, placeholder, withdrawn=True)

    def notes(self) -> NoteList:
        items: list[m.NoteInfo] = []
        while True:
            a = self._ask(m.Notes(start=len(items)))
            items.extend(a.items)
            if not a.items or len(items) >= a.total:
                break
        notes = [_note(i) for i in items]
        return NoteList([n for n in notes if not n.session and not n.withdrawn],
                        [n for n in notes if not n.session and n.withdrawn],
                        [n for n in notes if n.session])  # fmt: skip

    # -- the rest ---------------------------------------------------------------

    def blocked(self, action: str, detail: str = "") -> None:
        self._hold(m.Blocked(action=action[:256], detail=detail[:1024]))

    def signalled(self, name: str, detail: str) -> None:
        # The protocol has no alert request: the recorder records it as blocked,
        # then the seal (or, if the terminal dies first, `client_lost`).
        self._ask(m.Blocked(action="signal", detail=f"{name}: {detail}"[:1024]))

    def blocked_key(self, key: str, now: float | None = None) -> None:
        self._hold(m.Key(key=key[:256]))

    def flush_blocked(self, now: float | None = None, force: bool = False) -> None:
        """The recorder ends held-key bursts on its own clock."""

    def unlock(self, lock: str, locked_s: float, shown: int) -> None:
        """Lift the guard lock; the lock screen showed every lock alert numbered up to
        `shown` (ADR 0220). Raises LockHeld when an alert holding it is numbered
        higher (refused `unshown`: not shown yet)."""
        try:
            self._ask(m.Unlock(lock=lock, shown=shown))
        except RequestRefused as exc:
            if exc.reason == "unshown":
                raise LockHeld([]) from None
            raise

    def idle(self, after_s: int) -> float:
        self._ask(m.Idle(after_s=after_s))
        return time.monotonic()

    def active(self, since: float) -> None:
        try:
            self._ask(m.Active())
        except RequestRefused as exc:
            if exc.reason != "order":
                raise
            self._return_again()

    def witness(self) -> tuple[int, str]:
        a = self._ask(m.Witness())
        self._witness = (a.seq, a.code)
        return self._witness

    def retry(self) -> bool:
        """True when the recorder answers and records again (its `status` names no
        failure: an alert it could not record keeps the source hidden)."""
        try:
            a = self._ask(m.Status())
        except RecordingError:
            return False
        self._held += self._late_alerts() + list(a.fresh)  # kept for the app's next look
        if a.failure is not None:
            self._failure = a.failure
            return False
        return True

    def check_alerts(self) -> AlertCheck:
        try:
            a = self._ask(m.Status(), wait=False)
        except Busy:
            # A worker's request (a big directory's listing, a search) is being answered.
            # The recorder serves one request at a time and looks at the guard between
            # them, so nothing new can be waiting: the event loop does not wait either.
            return AlertCheck([], None)
        except RecordingError as exc:
            return AlertCheck([], str(exc))
        self.state, self.ended = a.state, a.ended
        if a.failure is not None:  # the recorder could not record (an alert): hide source
            self._failure = a.failure
        fresh: list[Any] = self._held + self._late_alerts() + list(a.fresh)
        self._held = []
        recorded = len(fresh)
        ended_here = a.ended is None or a.ended == "reviewer"
        if not ended_here and not any(f.response == "end" for f in fresh):
            # ended by the recorder (a guard alert, a lost client): the terminal ends too
            fresh.append(m.AlertInfo(RECORDER_ENDED, a.ended, "end"))
        return AlertCheck(fresh, a.failure, recorded, [f.number for f in fresh])

    def seal(self, countersigner: object = None, reason: str = "reviewer") -> Any:
        """Ask the recorder to seal. Where it asks for the reviewer's countersignature
        (protocol §5b), the terminal's own reviewer key signs, within the same hold
        of the connection; `countersigned` then says whether the seal carries it."""
        # Nothing else may be asked between the seal and its signature. The wait for
        # the connection (a worker's quick-open names may hold it) is bounded: the
        # terminal asks the seal from a worker (ADR 0219); only a signal's end asks
        # it on the event loop, which then waits STALL_AFTER at most, not forever.
        on_loop = threading.get_ident() == self._loop_thread
        if not self._lock.acquire(timeout=STALL_AFTER if on_loop else ANSWER_TIMEOUT):
            self._failure = "the recorder is not answering (another request is under way)"
            raise NotAnswering(self._failure)
        try:
            a = self._ask(m.Seal(reason=reason[:256]))
            if isinstance(a, m.Countersign):
                sig = countersignature(a, self.reviewer_key, self.session_id)
                a = self._ask(m.Countersignature(sig=sig))
        except RequestRefused as exc:
            if exc.reason != "ended":
                raise
            state = self._ask(m.Status())  # sealed by the recorder: its final entry
            if state.unfinished is not None:  # and its ledger file could not be finished
                self.unfinished = state.unfinished
                raise unfinished(state.unfinished) from None
            if state.witness_seq < 0:  # ended, but its seal could not be recorded
                why = state.failure or "its seal could not be recorded"
                ended = f"the recorder ended the session ({state.ended})"
                raise RecordingError(f"{ended}: {why}") from None
            return sealed(state)
        finally:
            self._lock.release()
        if isinstance(a, m.Unfinished):
            self.unfinished = a
            raise unfinished(a)
        self.countersigned = isinstance(a, m.Sealed) and a.countersigned
        return sealed(a)

    def after_crash(self, error: BaseException, countersigner: object) -> CrashOutcome:
        """The terminal crashed: hand the recorder a report (`crash`: frames and
        class names, no message, no locals, no source), which it writes where only
        its owner can read, records and seals as the in-process terminal does. This
        terminal can write nothing itself. Never raises."""
        error_name = type(error).__qualname__[:256]
        try:
            report = outline(error)[: m.MAX_CRASH_REPORT]
            a = self._ask(m.CrashReport(error=error_name, report=report))
        except Exception as exc:  # the connection is gone, or the recorder refused
            self.ended = "crash"
            return CrashOutcome(None, False, None, f"the recorder was not told ({exc})", LOST)
        self.ended = "crash"
        return crash_outcome(a)


class RemoteSearch:
    """The terminal's handle on a search running in the recorder (as a snapshot
    `Search` handle is in-process): `cancel` only flags it; the searching thread
    sends the `cancel` request at its next turn (within one `wait`)."""

    def __init__(self) -> None:
        self._cancelled = threading.Event()
        self.files = 0  # files searched so far, as the recorder last said

    def cancel(self) -> None:
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()
