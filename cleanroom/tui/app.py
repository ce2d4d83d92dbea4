"""`ReviewApp`: the reviewer terminal. It wires widgets to the `ReviewSession`
and keeps no decisions of its own: every event is recorded by the session
before the screen changes, and a failed recording hides the source.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from textual import events, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Static, Tree

from ..sanitize import clean
from ..session.alert_locks import LockHeld
from ..session.blocked_keys import is_blocked_key
from ..session.local_service import LocalService
from ..session.name_matcher import Matched
from ..session.recorder import RecordingError, SealUnfinished
from ..session.review import ReviewSession
from ..session.service import FileFacts, Results, ReviewService
from ..session.source import Entry
from .actions import bindings
from .codeview import CodeView
from .failure_blank import unblank_lists
from .file_open import FileOpening
from .filetree import FileTree
from .find_nav import FindNavigation
from .gate import RecordGate
from .heap import hold, release, settle
from .highlight import lexer_for
from .history_nav import HistoryNavigation
from .hitstate import HitState
from .jumplist import JumpList
from .keyfooter import KeyFooter
from .lockdown import LockedApp
from .notes import NoteTaking
from .noticebar import NoticeBar
from .off_loop import Answer, OffLoop
from .paragraph_nav import ParagraphNavigation
from .refusal_words import refusal
from .results import ResultList
from .screens.dialogs import ConfirmEndScreen, GotoScreen, InputDialog
from .screens.failed import FailedEndScreen
from .screens.help import HelpScreen
from .screens.idle import IdleScreen
from .screens.lock import FAILED, HELD, AlertLockScreen, Refused
from .screens.locking import LockScreen
from .screens.quickopen import QuickOpenScreen
from .screens.search import SearchScreen
from .screens.symbols import SymbolListScreen, SymbolQuickOpenScreen
from .screens.witness import SealedScreen, StartScreen
from .search_nav import SearchNavigation
from .shown import ShownDocument
from .signals import SignalHandling
from .statusbar import Status, StatusBar
from .symbol_nav import SymbolNavigation
from .tree_keys import TreeKeys


class ReviewApp(SignalHandling, RecordGate, FileOpening, SearchNavigation, FindNavigation,
                SymbolNavigation, HistoryNavigation, ParagraphNavigation, TreeKeys, NoteTaking,
                OffLoop, LockedApp):  # fmt: skip
    CSS_PATH = Path(__file__).with_name("review.tcss")
    BINDINGS = bindings()
    TITLE = "Cleanroom"

    def __init__(
        self,
        session: ReviewSession | ReviewService,
        *,
        idle_seconds: int = 300,
        witness_minutes: int = 15,
        countersigner: object = None,
    ) -> None:
        super().__init__()
        # The terminal talks only to a ReviewService; a ReviewSession given here (the
        # in-process terminal, and tests) is served by a LocalService over it.
        local = isinstance(session, ReviewSession)
        self.service: ReviewService = LocalService(session) if local else session
        self.session = session if local else getattr(session, "session", None)
        self.idle_seconds = idle_seconds
        self.witness_minutes = witness_minutes
        self.countersigner = countersigner
        self.opened: FileFacts | None = None
        self.document: ShownDocument | None = None  # the one screen of source held
        self.found: Results | None = None
        self.result_index = 0
        self.hits = HitState()  # what n / N step through and the code view marks
        self.jumps = JumpList()  # where back / forward go
        self.marks_set: dict[str, tuple[bytes, str, int]] = {}  # m + letter: path, blob, line
        self.receipt: Any = None
        self._last_input = time.monotonic()
        self._idle_since: float | None = None
        self._ending: str | None = None  # why the session is ending, once it is
        self._failing: str | None = None  # the recording failure last announced
        self._witness_due = False  # a fresh witness code is owed (asked once it can show)
        self._sealing = False  # a seal is being asked (off the event loop, ADR 0219)
        self._starting_new = False  # a new session's start screen is up (or closing)

    # -- layout ------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        facts = self.service.facts
        yield NoticeBar(f" Cleanroom  {facts.snapshot}  reviewer {facts.reviewer}")
        with Horizontal(id="main"):
            yield FileTree(self.service.root_name, self.service.tree, self._tree_failed,
                           id="tree", shown=self._show_status)  # fmt: skip
            with Vertical(id="viewer"):
                yield Static("", id="banner", markup=False)
                yield CodeView(self._gate, id="code", room=self._witness_room)
        yield StatusBar()
        yield KeyFooter()

    def on_mount(self) -> None:
        self.animation_level = "none"  # each animation frame would be a recorded viewport
        self.install_signal_handlers()  # tui/signals.py: TERM, INT, QUIT, HUP end; TSTP refused
        serve_loop = getattr(self.service, "serve_loop", None)
        if serve_loop is not None:  # over the socket: this thread never waits long (ADR 0217)
            serve_loop()
        self.set_interval(self.witness_minutes * 60, self._fresh_witness)
        self.set_interval(1.0, self._tick)
        if self.service.guarded:
            self.set_interval(0.25, self._check_guard)
        self._show_status()
        seq, code = self.service.shown_witness
        facts = self.service.facts
        resumed = bool(getattr(self.service, "resumed", False))
        self.push_screen(StartScreen(self._facts(), seq, code, resumed=resumed), self._begun)
        # Pygments' first lexer lookup costs ~0.1 s: pay it while the start screen is up,
        # then take what the terminal holds out of the collector's walks (tui/heap.py).
        self.set_timer(0.05, self._warm_up)
        self.query_one(FileTree).focus()
        self.sub_title = clean(facts.workstation)

    def _begun(self, _: object = None) -> None:
        """The start screen was acknowledged. It is a lock: a witness that came due
        while it was up (the interval's timer, or an idle lock's return onto it)
        is owed, and asked now, as after every other lock."""
        if self._witness_due:
            self._fresh_witness()

    def _warm_up(self) -> None:
        lexer_for("warm-up.txt")
        settle()

    def on_unmount(self) -> None:
        release()  # the terminal is gone: what it held may be collected (tui/heap.py)

    def _facts(self) -> list[tuple[str, str]]:
        f = self.service.facts
        return [
            ("Reviewer", f"{f.reviewer} ({f.org})"),
            ("Workstation", f.workstation),
            ("Snapshot", f.snapshot),
            ("Session", self.service.session_id),
            ("Ledger", f.ledger_path),
            *(("MISSING", m) for m in getattr(f, "missing", ())),  # a ledger deleted or moved
        ]

    def notify(self, message: str, **kwargs: Any) -> None:
        """On the notice line (tui/noticebar.py), never over source or the witness
        code; not while a lock screen is in front, where nothing is drawn over it
        (screens/locking.py). What the notice would say is in the ledger anyway.
        The notice bar sanitizes `message` (NoticeBar.post): give it raw text, as
        text cleaned twice shows the tags of its own tags' brackets."""
        if isinstance(self.screen, LockScreen):
            return
        for bar in self.query(NoticeBar).results(NoticeBar):  # none while the app closes
            bar.post(message, kwargs.get("severity", "information"), kwargs.get("timeout", 5))

    def _status(self) -> Status:
        s = self.service
        seq, code = s.shown_witness
        return Status(s.facts.reviewer, s.session_id, s.entries, f"{seq}:{code}", s.alerts,
                      s.failure, self.hits.label)  # fmt: skip

    def _witness_room(self) -> int | None:
        """The columns the whole witness code needs, when the terminal has fewer."""
        needed = StatusBar.needed(self._status())
        return needed if self.size.width < needed else None

    def _show_status(self) -> None:
        status = self._status()
        for bar in self.query(StatusBar).results(StatusBar):  # none while the app closes
            bar.show(status)

    # -- events ------------------------------------------------------------------

    def on_tree_node_selected(self, event: Tree.NodeSelected[Entry]) -> None:
        entry = event.node.data
        if entry is not None and not entry.is_dir and entry.kind == "file":
            self.remember()
            self.open_path(entry.path)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown | events.MouseScrollDown
                      | events.MouseScrollUp):  # fmt: skip
            self._last_input = time.monotonic()
        if isinstance(event, events.Key) and not event.is_forwarded:
            hold(self.set_timer)  # no collection before the key's frame (tui/heap.py)
            screen = self.screen
            locked = isinstance(screen, LockScreen)
            if is_blocked_key(event.key) and (locked or not self._bound(event.key)):
                self.service.blocked_key(event.key)
                self._show_status()
            if locked:  # a lock swallows every key but its own unlock
                if screen.unlocks(event.key):
                    screen.unlock()
                return
            if isinstance(screen, InputDialog) and screen.drops(event):
                return  # the box is full: a flood of keys costs nothing
        await super().on_event(event)

    def _bound(self, key: str) -> bool:
        return any(key in b.key_to_bindings for _, b in self.screen._binding_chain)

    async def run_action(self, action: Any, default_namespace: Any = None,
                         namespaces: Any = None) -> bool:  # fmt: skip
        if isinstance(self.screen, LockScreen):  # no action runs behind a lock
            self.on_blocked(str(action), "a lock screen is up")
            return False
        return await super().run_action(action, default_namespace, namespaces)

    def on_blocked(self, action: str, detail: str = "") -> None:
        self.service.blocked(action, detail)
        self.notify(refusal(action), markup=False, severity="warning")

    def _tick(self) -> None:
        self.service.flush_blocked()
        if self._ending is not None and self.receipt is None:
            if isinstance(self.screen, FailedEndScreen) and self.screen.witness is None:
                self._seal(self._ending)  # keep trying to seal
            return
        if self.service.failure is not None and self.service.retry():
            self._recovered()
        idle_for = time.monotonic() - self._last_input
        if self._idle_since is None and idle_for >= self.idle_seconds and not self._guard_up():
            self._lock_idle()

    def _guard_locks(self) -> list[AlertLockScreen]:
        return [s for s in self.screen_stack if isinstance(s, AlertLockScreen)]

    def _guard_up(self) -> bool:
        """A guard lock is up: it hides everything and only a recorded unlock lifts
        it, so no idle lock comes up behind it (the recorder refuses an idle lock
        and its return under a guard lock: the reviewer would be locked out for
        good, ADR 0218). The idle time starts again from the Enter that lifts it."""
        return any(isinstance(s, AlertLockScreen) for s in self.screen_stack)

    def _recovered(self) -> None:
        """Recording works again: draw the code view again (recorded first, as ever)."""
        self._failing = None
        self.query_one(CodeView).refused = None
        self.query_one(CodeView).refresh()
        unblank_lists(self.screen_stack)
        front = self.screen  # a quick open in front lists its names again, recorded first
        if isinstance(front, QuickOpenScreen):
            front._refresh_matches(front.query_one("#query", Input).value)
        if isinstance(front, SymbolQuickOpenScreen):
            front.refresh_matches()
        if self._witness_due:
            self._fresh_witness()  # asked again, or still owed behind a lock
        self._show_status()

    def _check_guard(self) -> None:
        """Record the guard's alerts and apply each new one's response, even when
        recording fails (the unrecorded alerts stay queued and are retried). Not
        after a crash: `after_crash` ended the session and said what became of it."""
        if self.crashed:
            return
        check = self.service.check_alerts()
        if getattr(self.service, "replaced", None) is not None:
            self._session_replaced()
            return
        if check.failure is not None:
            self._recording_failed(check.failure)
        elif self._failing is not None and self.service.failure is None:
            self._recovered()
        elif check.recorded:
            self._show_status()
        if check.failure is None:  # every alert is recorded: the lock screen says so now
            for lock in self._guard_locks():
                lock.all_recorded()
        if not check.fresh:
            return
        last = check.fresh[-1]
        self.notify(f"Alert: {last.category}: {last.detail}", markup=False,
                    severity="warning", timeout=10)  # fmt: skip
        ending = [a for a in check.fresh if a.response == "end"]
        locking = [(a, n) for a, n in zip(check.fresh, check.numbers, strict=True)
                   if a.response == "lock"]  # fmt: skip
        if ending and self._ending is None:
            cause = ending[0]  # the guard's, or the recorder's own (quota, a lost terminal)
            by = "recorder ended it" if cause.category == "recorder" else "guard"
            self._seal(f"{by}: {cause.detail if by != 'guard' else cause.category}")
        elif locking:
            self._lock_guard(locking, check.failure)

    def _lock_guard(self, locking: list[tuple[Any, int]], unrecorded: str | None) -> None:
        """Alerts that lock: listed on the guard lock already up, wherever it is in
        the stack, or on a new one (ADR 0220): each lock screen lists every alert
        its Enter acknowledges, never one behind another's."""
        up = self._guard_locks()
        lock = up[0] if up else AlertLockScreen(self._acknowledge_guard, time.monotonic())
        for alert, number in locking:
            lock.add(number, alert.category, alert.detail, unrecorded)
        if not up:
            self.push_screen(lock, self._guard_unlocked)

    def _session_replaced(self) -> None:
        """The recorder ended this terminal's session (it lost the terminal) and the
        reconnection started a new one (docs/protocol.md §1a). Nothing of the old
        one is carried over: no lock (its unlock belongs to a sealed ledger), no
        dialog, no open file. The new session's start screen, with its witness
        code for the paper log, comes before anything is shown or recorded."""
        if self._starting_new or (isinstance(self.screen, StartScreen) and self.screen.replaced):
            return  # already in front, or dismissed and its callback not run yet (a race
            # with the 0.25 s poll, which pushed a second start screen after Enter)
        self._starting_new = True
        self.opened = self.document = None
        self.found, self._idle_since, self._failing = None, None, None
        self.hits, self.jumps, self.marks_set = HitState(), JumpList(), {}
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.query_one("#banner", Static).update("")
        self.query_one(CodeView).hide("the recorder ended the session; a new one started")
        seq, code = self.service.shown_witness
        resumed = bool(getattr(self.service, "resumed", False))
        start = StartScreen(self._facts(), seq, code, replaced=True, resumed=resumed)
        self.push_screen(start, self._new_session_begun)

    def _new_session_begun(self, _: object = None) -> None:
        self._starting_new = False
        self.service.new_session_shown()  # type: ignore[attr-defined]
        self._last_input = time.monotonic()
        self._shown_again()  # the tree's names, listed again: recorded in the new session
        self._show_status()

    def _acknowledge_guard(self, since: float, shown: int) -> Refused | None:
        """The guard lock's Enter: record the unlock, naming the alerts drawn up to
        `shown`. None once recorded; else why not, and the lock stays up (fail
        closed): an alert holding it not drawn yet, or a recording failure."""
        try:
            self.service.unlock("guard", time.monotonic() - since, shown)
        except LockHeld:
            return Refused(HELD)
        except RecordingError as exc:
            self._recording_failed(str(exc))
            return Refused(FAILED, str(exc))
        return None

    def _guard_unlocked(self, _: object = None) -> None:
        """The guard lock came off, its unlock recorded (`_acknowledge_guard`)."""
        self._shown_again()  # after `unlock`: what is shown again is recorded after it
        self._show_status()

    def _lock_idle(self) -> None:
        try:
            since = self.service.idle(self.idle_seconds)
        except RecordingError:
            since = time.monotonic()  # lock anyway: hiding is always safe
        self._idle_since = since
        self.push_screen(IdleScreen(self._record_return), self._unlock_idle)

    def _shown_again(self) -> None:
        """A lock came off: whatever is in front now is drawn again, so record it
        again first. The tree's expanded directories (each dialog leaves part of the
        tree in sight); then the search results when the search dialog is in
        front (the code behind it stays covered), else the code view, and the
        quick-open names when that box is in front (the code shows below it)."""
        self.query_one(FileTree).relist()  # a failure collapses what it could not record
        if self._witness_due:
            self._fresh_witness()  # owed since the lock came up (not asked behind it)
        front = self.screen
        if isinstance(front, SearchScreen):
            front.query_one(ResultList).forget_shown()
            return
        if isinstance(front, QuickOpenScreen):  # its names show again: list them again
            front._refresh_matches(front.shown_for or "")
        if isinstance(front, SymbolQuickOpenScreen):
            front.refresh_matches()
        if isinstance(front, SymbolListScreen):  # an outline or definitions: recorded again
            front.record_again()
        self.query_one(CodeView).forget_shown()

    def _record_return(self) -> str | None:
        """The idle lock's key: record the return (`active`). None once recorded;
        else why not, and the lock stays up (only a recorded return lifts it)."""
        try:
            self.service.active(self._idle_since or time.monotonic())
        except RecordingError as exc:
            self._recording_failed(str(exc))
            return str(exc)
        return None

    def _unlock_idle(self, _: object = None) -> None:
        """The idle lock came off, its return recorded (`_record_return`)."""
        self._idle_since = None
        self._last_input = time.monotonic()
        self._shown_again()  # after `active`: what is shown again is recorded after it
        self._show_status()

    def _fresh_witness(self) -> None:
        """The witness interval's code for the paper log. Not asked behind a lock:
        `witness_shown` says a code was put on screen, and a lock hides the bar (the
        recorder refuses it then: `locked`). It is asked right after the unlock,
        and after a recording failure once recording works again."""
        if isinstance(self.screen, LockScreen) or self._idle_since is not None:
            self._witness_due = True
            return
        try:
            self.service.witness()
            self._witness_due = False
        except RecordingError as exc:
            self._witness_due = True
            self._recording_failed(str(exc))
        self._show_status()

    # -- actions (names in actions.REVIEW_ACTIONS) -------------------------------

    def action_quick_open(self) -> None:
        def chosen(result: tuple[bytes, str, int] | None) -> None:
            if result is None:
                return
            path, query, matches = result
            if hasattr(self.service, "serve_loop"):  # over the socket: never on the loop
                self._pick_in_thread(path, query, matches)
                return
            try:
                self.service.quick_open(query, matches)
            except RecordingError as exc:
                self._recording_failed(str(exc))
                return
            self._picked(path)

        self.push_screen(QuickOpenScreen(self._names), chosen)

    @work(thread=True, exclusive=True, group="pick")
    def _pick_in_thread(self, path: bytes, query: str, matches: int) -> None:
        """Record the pick off the event loop (ADR 0217): the last key's names may
        still hold the connection, for up to a second on a large tree; the file is
        opened once the pick is recorded, or not at all, saying why."""
        try:
            self.service.quick_open(query, matches)
        except RecordingError as exc:
            self.call_from_thread(self._recording_failed, str(exc))
            return
        self.call_from_thread(self._picked, path)

    def _picked(self, path: bytes) -> None:
        if self._ending is not None or self.receipt is not None:
            return  # the session ended while the pick was recorded
        self.remember()
        self.open_path(path)

    def _names(self, query: str, cancelled: Any) -> Matched:
        """Quick open's names for `query`, recorded. Raises RecordingError (the reason
        shown, and the box lists nothing) when they could not be. Called from the
        quick-open worker thread."""
        answer = self.service.names(query, cancelled)
        self.call_from_thread(self._show_status)
        if answer is None:
            why = self.service.failure or "recording failed"
            self.call_from_thread(self._recording_failed, why)
            raise RecordingError(why)  # the box says so too: not "No matches"
        return answer

    def _tree_failed(self) -> None:
        """A directory listing could not be recorded, so none was shown."""
        self._recording_failed(self.service.failure or "recording failed")
        self.call_later(self._show_status)

    def action_goto_line(self) -> None:
        opened = self.opened
        if opened is None:
            return

        def chosen(line: int | None) -> None:
            if line is None or self.opened is not opened:
                return
            self.remember()
            try:
                self.service.goto(opened, line)
            except RecordingError as exc:
                self._recording_failed(str(exc))
                return
            self.query_one(CodeView).goto(line)
            self.hits.target, self.hits.current = (opened.path, line), None
            self.hits.label = f"line {line}"
            self.show_marks()
            self._show_status()

        self.push_screen(GotoScreen(opened.lines), chosen)

    def action_next_flag(self) -> None:
        if self.query_one(CodeView).next_flag() is None:
            self.notify("No more flagged lines below.", markup=False)

    def action_toggle_wrap(self) -> None:
        """Wrap long lines or cut them (ADR 0212): the new screen is recorded first."""
        wrapped = self.query_one(CodeView).toggle_wrap()
        said = "Long lines wrap (w cuts them)." if wrapped else "Long lines are cut (w wraps them)."
        self.notify(said, markup=False)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_end_session(self) -> None:
        self.push_screen(ConfirmEndScreen(), self._end_confirmed)

    def _end_confirmed(self, yes: bool | None) -> None:
        if yes:
            self._seal("reviewer")

    def _seal(self, reason: str) -> None:
        """End the session. The source is hidden first; if the seal cannot be recorded
        the end is still applied (a red screen, retried each second), and if it is
        recorded but the file cannot be finished, the final code is shown in red."""
        self._ending = reason
        self.opened = self.document = None
        for view in self.query(CodeView):  # none while the app is taken down: nothing shown
            view.hide("the session is ending")
        if self._sealing:
            return  # a seal is asked already (off the event loop): its answer decides
        self._sealing = True
        ask = lambda: self.service.seal(self.countersigner, reason)  # noqa: E731
        self.ask_off_loop(ask, lambda answer: self._seal_answered(reason, answer), "seal",
                          over_locks=True)  # fmt: skip

    def _seal_answered(self, reason: str, answer: Answer[Any]) -> None:
        """The seal's answer, on the event loop (ADR 0219): the sealed screen with
        the final witness code, or the end applied all the same, saying why."""
        self._sealing = False
        try:
            self.receipt = answer.get()
        except SealUnfinished as exc:
            self._seal_unfinished(reason, exc)
            return
        except RecordingError as exc:
            self._recording_failed(str(exc))
            if isinstance(self.screen, FailedEndScreen):
                self.screen.update_why(str(exc))
            else:
                self.push_screen(FailedEndScreen(reason, str(exc), None, None), self._sealed)
            return
        code = self.receipt.witness.code
        self.push_screen(SealedScreen(self._facts(), self.receipt.seq, code), self._sealed)

    def _sealed(self, _: object = None) -> None:
        self.exit()
