"""A review session: every reviewer action, recorded before the UI shows it.

`ReviewSession` is what the reviewer terminal talks to. Each method records its
event through the `Recorder` first and only then returns what may be shown;
if recording fails it raises `RecordingError` and the caller shows nothing.
No textual here: the UI stays a thin layer over this.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..ledger.witness import Receipt, witness_code
from ..notes.book import NoteBook
from ..notes.model import Draft, Note, new_nonce
from ..snapshot.search import KEPT, PAGE
from ..snapshot.symbols.references import references_name
from .alert_locks import AlertLocks
from .blocked_keys import BlockedKeys
from .events import (
    Active,
    Blocked,
    FileOpen,
    Find,
    Goto,
    Idle,
    Mark,
    NoteWithdraw,
    QuickOpen,
    QuickOpenList,
    Search,
    SearchCancel,
    SearchResultsView,
    SearchStart,
    SymbolDefinitions,
    SymbolOutline,
    SymbolQuickOpen,
    TreeList,
    Unlock,
    View,
    WitnessShown,
)
from .events import Note as NoteEntry
from .first_page import FirstPage
from .name_matcher import Matched
from .recorder import Recorder, RecordingError
from .source import ContentRefused, Opened, Source
from .symbol_digest import symbols_digest

# A references search lists what it found after this long (ADR 0215): a short name
# is a literal the index hardly narrows, and its last hits can be seconds away.
# seconds: with the recording, the first page of references comes within 50 ms
REFERENCES_FIRST_PAGE = 0.03
# Every other search lists what it found after this long (ADR 0116): a regex whose
# few hits are spread over the tree found its 100th hit after 1.9-3.6 s on Linux.
# seconds: with the recording, a search's first page comes within 100 ms
SEARCH_FIRST_PAGE = 0.07

TAMPERED = "tampered_content"  # the `blocked` action for content that is not the signed content


@dataclass(frozen=True)
class Found:
    """A recorded search: its ledger seq, the hits kept for display, the totals."""

    seq: int
    hits: list[Any]
    total: int
    digest: str
    done: bool = True  # False: a first page (`search_start`); total and digest are its own


@dataclass(frozen=True)
class Ran:
    """A finished search pass, not yet recorded: nothing of it may be shown yet."""

    query: Any
    hits: list[Any]
    total: int
    digest: str
    refusals: list[str | None]  # per hit: why its text may not be shown, or None


@dataclass(frozen=True)
class AlertCheck:
    """What one look at the guard found: alerts to act on, and why recording failed."""

    fresh: list[Any]
    failure: str | None
    recorded: int = 0
    numbers: list[int] = field(default_factory=list)  # each fresh alert's (alert_locks.py)


@dataclass(frozen=True)
class RefusedHit:
    """A search hit in a file whose content failed its check: where, never what."""

    path: bytes
    display: str
    line: int
    why: str
    text: bytes = b""
    text_start: int = 0
    line_size: int = 0
    spans: tuple[tuple[int, int], ...] = ()
    more_spans: bool = False
    refused: bool = True
    truncated: bool = False

    def text_spans(self) -> list[tuple[int, int]]:
        return []


@dataclass(frozen=True)
class Facts:
    """Who and what, for the start screen and the status bar (trusted: from the CLI)."""

    reviewer: str
    org: str
    workstation: str
    snapshot: str
    ledger_path: str
    missing: tuple[str, ...] = ()  # earlier sessions whose ledger is missing (session.missing)


def _lengths(opened: Opened, first: int, last: int) -> list[int]:
    """The bytes of lines first..last (1-based), for the guard to count the columns
    shown (the view reads the same lines next, so this costs little)."""
    return [len(x) for x in opened.document.lines(max(0, first - 1), last)]


class ReviewSession:
    def __init__(self, recorder: Recorder, source: Source, facts: Facts, guard: Any = None) -> None:
        self.recorder = recorder
        self.source = source
        self.facts = facts
        self.guard = guard  # cleanroom.guard.Guard, or None (tests, tools)
        last = recorder.last
        self.shown_witness = (last.seq, witness_code(last.hash))
        self.alerts = 0
        self._answered: list[Any] = []  # alerts whose responses the UI has applied
        self.locks = AlertLocks()  # the alerts holding the guard lock (ADR 0220)
        self._keys = BlockedKeys()
        self.notes = NoteBook()  # the notes recorded in this session (and earlier ones')

    @property
    def session_id(self) -> str:
        return self.recorder.head.ledger

    @property
    def entries(self) -> int:
        return self.recorder.head.seq + 1

    @property
    def failure(self) -> str | None:
        return self.recorder.failure

    def open_file(self, path: bytes) -> Opened:
        """Open `path` and record `file_open`. Raises KeyError or RecordingError, or
        ContentRefused (after recording `blocked`) if its content is not the signed one."""
        try:
            opened = self.source.open(path)
        except ContentRefused as exc:
            self.blocked(exc.action, str(exc))  # tampered_content, or too_large
            raise
        event = FileOpen(path, opened.blob, opened.size, opened.lines, dict(opened.flags))
        self.recorder.record(event)
        return opened

    def record_view(self, opened: Opened, first: int, last: int, col: int, cols: int,
                    wrap: int = 0) -> bool:  # fmt: skip
        """Record a viewport before it is painted. False means: paint nothing.
        Raises ContentRefused (recorded as `blocked`, the view not recorded) if the
        lines are of a chunk that is not the signed one (ADR 0109): a chunked
        document's `check` reads them, and so checks them, before the view is
        recorded."""
        check = getattr(opened.document, "check", None)  # a document checked as it is read
        try:
            if check is not None:
                check(max(0, first - 1), last)
        except ContentRefused as exc:
            self.blocked(exc.action, str(exc))
            raise
        view = View(opened.path, opened.blob, first, last, col, cols, wrap)
        try:
            self.recorder.record_view(view)
        except RecordingError:
            return False
        if self.guard is not None:  # keyed by path, as result rows are
            lengths = _lengths(opened, first, last)
            # Wrapped, a line shows up to `wrap` rows of `cols` cells: its first
            # wrap*cols cells at most (a bound from above, as the guard wants).
            self.guard.feed_view(opened.path.hex(), first, last, col=col,
                                 cols=cols * wrap if wrap else cols, lengths=lengths)  # fmt: skip
        return True

    def search(self, query: Any, running: list[Any] | None = None) -> Found:
        """Run `query` to its end, record `search` (with the hit count and the digest
        of the full, ordered result list), and only then return the kept hits.
        `running` receives the live search handle, so another thread can cancel it.
        Raises SearchError (bad query, cancelled) or RecordingError."""
        return self.record_search(self.run_search(query, running))

    def run_search(self, query: Any, running: list[Any] | None = None,
                   first: Callable[[FirstPage], None] | None = None) -> Ran:  # fmt: skip
        """The search pass alone, recording nothing (so it may run in a worker thread
        while another thread records): the total, the digest, the kept hits, and
        which of them are not lines of the signed content. If a first page is found
        before the pass ends (`_first_page`: by a time budget), `first` gets it
        first (in this thread; the pass goes on when it returns). Raises
        SearchError (SearchCancelled when a handle in `running` is cancelled)."""
        handle = self.source.search(query)
        if running is not None:
            running.append(handle)
        try:
            # A search pass opens the snapshot itself, and so does each worker process
            # it starts (it says how many, just before: `before_opens`).
            with contextlib.ExitStack() as opens:
                opens.enter_context(self._own_opens())
                handle.before_opens = lambda n: opens.enter_context(self._own_opens(n))
                if first is not None:
                    page = _first_page(handle, query)
                    if not handle.done:
                        first(FirstPage(query, page, list(self.source.hit_refusals(page))))
                digest = handle.digest()
            total = handle.total()
            pages = -(-min(total, KEPT) // PAGE)
            hits = [hit for n in range(pages) for hit in handle.page(n)]
        finally:
            handle.close()
        return Ran(query, hits, total, digest, list(self.source.hit_refusals(hits)))

    def record_search(self, ran: Ran) -> Found:
        """Record `search` for a finished pass, then return its hits as they may be
        shown (see `_vet`). Raises RecordingError (nothing may be shown)."""
        q = ran.query.to_json()
        event = Search(q["text"], q["regex"], q["case"], list(q["include"]),
                       list(q["exclude"]), ran.total, ran.digest)  # fmt: skip
        appended = self.recorder.record(event)
        return Found(appended.seq, self._vet(ran.hits, ran.refusals), ran.total, ran.digest)

    def record_first(self, page: FirstPage) -> Found:
        """Record `search_start` for the first page of a running search, then return
        its rows as they may be shown; `hits` of the Found is how many (the total
        is not known yet). Raises RecordingError (show none of them)."""
        q = page.query.to_json()
        event = SearchStart(q["text"], q["regex"], q["case"], list(q["include"]),
                            list(q["exclude"]), len(page.hits), page.digest)  # fmt: skip
        appended = self.recorder.record(event)
        return Found(appended.seq, self._vet(page.hits, page.refusals), len(page.hits),
                     page.digest, done=False)  # fmt: skip

    def record_cancel(self, query: Any, why: str) -> None:
        """Record `search_cancel`: a search stopped before its results were recorded
        (docs/events.md lists the reasons). Raises RecordingError."""
        q = query.to_json()
        self.recorder.record(SearchCancel(q["text"], q["regex"], q["case"], list(q["include"]),
                                          list(q["exclude"]), why))  # fmt: skip

    def _vet(self, hits: list[Any], refusals: list[str | None]) -> list[Any]:
        """The hits, with those whose text is not a line of the signed content replaced
        by `RefusedHit`s, and each file they are in recorded once as `blocked`."""
        out: list[Any] = []
        refused: dict[bytes, tuple[str, str]] = {}  # path -> (display, first reason)
        for hit, why in zip(hits, refusals, strict=True):
            if why is None:
                out.append(hit)
                continue
            refused.setdefault(hit.path, (hit.display, why))
            out.append(RefusedHit(hit.path, hit.display, hit.line, why))
        for display, why in refused.values():
            self.blocked(TAMPERED, f"search hits in {display}: {why}")
        return out

    def record_results_view(self, found: Found, first: int, last: int) -> bool:
        """Record which result rows of `found` are about to be shown. False means:
        show none. Each row shows a line of source, so the guard counts each row's
        line as read (refused rows show no text and count nothing)."""
        try:
            self.recorder.record_view(SearchResultsView(found.seq, first, last))
        except RecordingError:
            return False
        if self.guard is not None:
            rows = found.hits[max(0, first) : last + 1]
            lines = [(h.path.hex(), h.line + 1, h.line + 1, h.text_start, len(h.text))
                     for h in rows if not getattr(h, "refused", False)]  # fmt: skip
            self.guard.feed_lines(lines)
        return True

    def save_note(self, draft: Draft, note_id: str | None = None, lines: int | None = None) -> Note:
        """Record a note (a new one, or the next version of `note_id`), and only
        then keep it as saved. Raises NoteError (nothing recorded) or
        RecordingError (not saved: the terminal keeps the draft and says why)."""
        note = self.notes.next_save(draft, note_id, lines)
        d, place = note.draft, note.place
        entry = NoteEntry(place.path, note.id, note.version, d.kind, d.severity, d.title,
                          d.body, place.blob, place.first, place.last,
                          new_nonce())  # fmt: skip
        self.recorder.record(entry)
        self.notes.saved(note)
        return note

    def withdraw_note(self, note_id: str) -> Note:
        """Record `note_withdraw` for the note's last version, then mark it withdrawn.
        Raises NoteError or RecordingError (still current)."""
        note = self.notes.next_withdraw(note_id)
        self.recorder.record(NoteWithdraw(note.id, note.version))
        self.notes.saved(note)
        return note

    def goto(self, opened: Opened, line: int) -> None:
        self.recorder.record(Goto(opened.path, line))

    def find(self, opened: Opened, query: str, case: bool, hits: int) -> None:
        """Record a find in the open file, before any of its hits is marked or
        moved to. Raises RecordingError (show none of them)."""
        self.recorder.record(Find(opened.path, opened.blob, query, case, hits))

    def mark(self, opened: Opened, mark: str, line: int) -> None:
        """Record a mark set on a line of the open file. Raises RecordingError."""
        self.recorder.record(Mark(opened.path, opened.blob, mark, line))

    def symbol_outline(
        self, opened: Opened, listed: list[Any], symbols: int, offset: int = 0
    ) -> None:
        """Record the page of the outline of the open file about to be listed (its
        rows by digest; the first `offset` rows are on earlier pages). Raises
        RecordingError (list none)."""
        event = SymbolOutline(opened.path, opened.blob, symbols, len(listed),
                              symbols_digest(listed), offset)  # fmt: skip
        self.recorder.record(event)

    def symbol_definitions(self, name: str, places: int, listed: list[Any]) -> None:
        """Record the definitions of `name` about to be listed or gone to. Raises
        RecordingError (show none)."""
        self.recorder.record(SymbolDefinitions(name, places, len(listed), symbols_digest(listed)))

    def symbol_quick_open(self, query: str, names: list[str]) -> None:
        """Record the symbol names about to be listed. Raises RecordingError."""
        self.recorder.record(SymbolQuickOpen(query, list(names)))

    def quick_open(self, query: str, matches: int) -> None:
        self.recorder.record(QuickOpen(query, matches))

    def quick_open_list(self, query: str, found: Matched) -> bool:
        """Record the names about to be listed for `query`, and how far the match
        got. False means: list none."""
        try:
            self.recorder.record(
                QuickOpenList.of(query, found.paths, found.matches, found.searched, found.total)
            )
        except RecordingError:
            return False
        return True

    def tree_list(self, directory: bytes, entries: int, start: int = 0, total: int = -1) -> bool:
        """Record that the tree is about to list `entries` names of `directory` from
        `start` (of `total`). False means: do not."""
        try:
            self.recorder.record(TreeList(directory, entries, start, total))
        except RecordingError:
            return False
        return True

    def blocked(self, action: str, detail: str = "") -> None:
        """Record a refused action; never raises (the refusal itself already held)."""
        try:
            self.recorder.record(Blocked(action, detail))
        except RecordingError:
            pass

    def blocked_key(self, key: str, now: float | None = None) -> None:
        """A blocked key was pressed: record it by the coalescing rule (`blocked_keys`).
        Never raises."""
        self._record_blocked(self._keys.press(key, time.monotonic() if now is None else now))

    def flush_blocked(self, now: float | None = None, force: bool = False) -> None:
        """Record the end of a held blocked key once its burst is over. Never raises."""
        now = time.monotonic() if now is None else now
        self._record_blocked(self._keys.flush(now, force))

    def _record_blocked(self, events: list[Blocked]) -> None:
        for event in events:
            try:
                self.recorder.record(event)
            except RecordingError:
                pass  # the refusal itself held; the outage is recorded when it ends

    def unlock(self, lock: str, locked_s: float, shown: int) -> None:
        """The reviewer dismissed `lock` after `locked_s` seconds, having been shown
        every lock alert numbered up to `shown` (ADR 0220). The alerts handed out
        are recorded first; then the unlock, naming them. Raises RecordingError, or
        LockHeld (nothing recorded, nothing lifted) when an alert holding the lock
        was not shown."""
        pending = [] if self.guard is None else self.guard.pending()
        failure = self._record_alerts([a for a in pending if self.locks.is_handed(a)])
        if failure is not None:
            raise RecordingError(failure)
        coming = any(a.response == "lock" and not self.locks.is_handed(a) for a in pending)
        seqs = self.locks.acknowledge(shown, more_coming=coming)
        self.recorder.record(Unlock(lock, int(locked_s), seqs))
        self.locks.lift(seqs)

    def unlock_again(self, lock: str, locked_s: float) -> None:
        """The unlock of the lock lifted last, asked again (ADR 0218): it names the
        same alerts. Raises RecordingError."""
        self.recorder.record(Unlock(lock, int(locked_s), list(self.locks.lifted)))

    def idle(self, after_s: int) -> float:
        self.recorder.record(Idle(after_s))
        return time.monotonic()

    def active(self, since: float) -> None:
        self.recorder.record(Active(int(time.monotonic() - since)))

    def witness(self) -> tuple[int, str]:
        """Record that the current head's code is shown, and return (seq, code) to show."""
        head = self.recorder.last
        code = witness_code(head.hash)
        self.recorder.record(WitnessShown(head.seq, code))
        self.shown_witness = (head.seq, code)
        return self.shown_witness

    def retry(self) -> bool:
        return self.recorder.retry()

    def check_alerts(self) -> AlertCheck:
        """Record every alert the guard holds (oldest first); each leaves the guard's
        queue only once recorded. Returns the alerts not returned before, whose
        responses the caller applies *whether or not* recording worked, and the
        recording failure, if any (the unrecorded alerts are retried next call)."""
        if self.guard is None:
            return AlertCheck([], None)
        pending = self.guard.pending()
        fresh = [a for a in pending if not any(a is b for b in self._answered)]
        self._answered = pending
        numbers = self.locks.hand_out(fresh)
        before = self.alerts
        failure = self._record_alerts(pending)
        return AlertCheck(fresh, failure, self.alerts - before, numbers)

    def _record_alerts(self, alerts: list[Any]) -> str | None:
        for alert in alerts:
            try:
                appended = self.recorder.record(alert)
            except RecordingError as exc:
                return str(exc)
            self.locks.recorded(alert, appended.seq)
            self.guard.recorded(alert)
            self.alerts += 1
        return None

    def seal(self, countersigner: object = None, reason: str = "reviewer") -> Receipt:
        """Stop the guard and record its last alerts first: sealing itself deletes
        the WAL and makes the ledger read-only, which a running guard would report.
        Raises RecordingError (nothing sealed) or SealUnfinished (sealed, but the
        file could not be finished: see `Ledger.seal`). A `Presigned` countersigner
        that does not verify raises CountersignatureRefused (nothing sealed)."""
        self._settle()
        return self.recorder.seal(reason, countersigner)

    def seal_message(self) -> bytes:
        """Settle what `seal` settles first (the guard stopped, its last alerts and
        the held keys recorded), then the bytes a countersignature of a seal made
        next must sign: nothing may be recorded before that seal. Raises
        RecordingError."""
        self._settle()
        return self.recorder.ledger.seal_message()  # type: ignore[attr-defined]

    def _settle(self) -> None:
        self.flush_blocked(force=True)
        if self.guard is not None:
            if self.guard.running:
                self.guard.stop()
            failure = self._record_alerts(self.guard.pending())
            if failure is not None:
                raise RecordingError(failure)

    def _own_opens(self, count: int = 2) -> Any:
        path = getattr(self.source, "path", None)
        if self.guard is None or path is None:
            return contextlib.nullcontext()
        return self.guard.own_opens(path, count)


def _first_page(handle: Any, query: Any) -> list[Any]:
    """The first page of a running search: the hits found within SEARCH_FIRST_PAGE
    (ADR 0116), or for references (a query `references_query` makes) within
    REFERENCES_FIRST_PAGE (ADR 0215); at most PAGE, and at least one if any is
    found at all. They are the first hits of the whole pass, whatever their count."""
    if references_name(query.text, query.regex, query.case,
                       bool(query.include or query.exclude)) is not None:  # fmt: skip
        return handle.first_page(REFERENCES_FIRST_PAGE)
    return handle.first_page(SEARCH_FIRST_PAGE)
