"""`Asking`: how the terminal asks the recorder (docs/protocol.md): one request at
a time over one connection, each within its bound; the event loop never held longer
than LOOP_WAIT and served before a worker (ADR 0217); a lost connection opened again
on the next request, with what the screen shows asked again; a new session (the
recorder ended ours) kept behind its start screen. `RemoteService` (client.py) is
what it asks; what it does about answers that came too late is in pending.py."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ..session.recorder import RecordingError
from . import messages as m
from .answers import NotAdmitted, RequestRefused, _name
from .connection import ACTS, STALL_AFTER, WAITING, Connection, NotAnswering
from .framing import FrameError
from .held import Held
from .pending import LateAnswers

ANSWER_TIMEOUT = 30.0  # seconds: the bound of the requests that may take long (below)
# STALL_AFTER (connection.py), 2 s: any other request not answered by then fails.
LOOP_WAIT = 0.1  # seconds the event loop waits for the connection and for an answer
# Requests whose work grows with the snapshot (a listing, a name match, an open, a
# find, the symbols, the notes, the seal): they run off the event loop and get
# ANSWER_TIMEOUT. Every other is answered at once by a working recorder.
LONG = (m.Names, m.Open, m.Find, m.Outline, m.Definitions, m.SymbolNames, m.Tree, m.Seal,
        m.CrashReport, m.NoteSave, m.NoteWithdraw, m.Notes)  # fmt: skip
# Asked on the event loop all the same, with their own bound (ADR 0219): the seal and
# its countersignature (a signal's end) and the crash report, which must finish once
# begun; the tree's listings again after a lock; a note's save and withdrawal (failed
# at 0.1 s but recorded late, a save tried again would be saved twice). Any other
# long request asked on the loop waits LOOP_WAIT, as every short one does.
OWN_BOUND = (m.Seal, m.Countersignature, m.CrashReport, m.Tree, m.NoteSave, m.NoteWithdraw)
NOT_ADMITTED = ("busy", "owner", "no_session")  # refusals sent before a hello (protocol §1)


class Busy(Exception):
    """Another request holds the connection (see `RemoteService.check_alerts`)."""


# A new session (the recorder ended ours while it could not reach us): until the
# terminal has shown its start screen, only these are asked, nothing is shown.
BEFORE_START = (m.Status, m.Blocked, m.Key, m.Seal, m.CrashReport, m.Bye)
NEW_SESSION = "the recorder ended the session; a new one starts on its own start screen"


class Asking(LateAnswers):
    def __init__(self, path: Path, reviewer_key: Ed25519PrivateKey | None = None) -> None:
        self.path = path
        self.reviewer_key = reviewer_key  # the reviewer's own, to countersign the seal
        self.countersigned = False  # whether the seal carries the reviewer's countersignature
        self._lock = threading.RLock()
        self._conn: Connection | None = None
        self._failure: str | None = None
        self._entries = 0
        self._alerts = 0
        self.ended: str | None = None
        self.unfinished: m.Unfinished | None = None  # a seal whose ledger was not finished
        self.state = "new"
        # pages of directories the tree shows, in the order listed: (directory, start) -> limit
        self._listed: dict[tuple[bytes, int], int] = {}
        self._open: bytes | None = None  # the file the code view shows
        self._held: list[Any] = []  # alerts a `retry`'s status carried, for check_alerts
        self._unsent = Held()  # blocked attempts, and late answers, not recorded yet
        self._loop_thread: int | None = None  # the event loop's (`serve_loop`)
        self._loop_wants = threading.Event()  # the event loop waits for the connection
        self.sessions: list[m.Welcome] = []  # every session this terminal was in, in order
        self.replaced: m.Welcome | None = None  # a new session the terminal has not shown yet
        self._welcome = self._connect()

    # -- the connection ---------------------------------------------------------

    def _connect(self) -> m.Welcome:
        """Connect and say hello (and ask again for what the screen shows). Raises
        OSError, or RecordingError for a recorder that answers wrongly or not at all
        (a frame cut short, garbage, oversized): never a decoder's own exception."""
        conn: Connection | None = None
        try:
            conn, answer = Connection.open(self.path)
            if isinstance(answer, m.Refused) and answer.reason in NOT_ADMITTED:
                raise NotAdmitted(answer.reason, answer.detail)
            if not isinstance(answer, m.Welcome):
                raise RecordingError(f"the recorder did not accept this terminal ({_name(answer)})")
            self._conn = conn
            before = getattr(self, "_welcome", None)
            if before is None or before.session_id == answer.session_id:
                self._restore()
            else:  # the recorder ended ours: nothing of it is carried into this one
                self._listed.clear()
                self._open = None
                self.replaced = answer
                self.__dict__.pop("_witness", None)
                self.ended, self.unfinished = None, None
        except (FrameError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            self._drop_failed(conn)
            raise RecordingError(f"the recorder is not answering ({type(exc).__name__})") from None
        except BaseException:
            self._drop_failed(conn)
            raise
        self._welcome, self.state = answer, answer.state
        if not self.sessions or self.sessions[-1].session_id != answer.session_id:
            self.sessions.append(answer)
        return answer

    def _drop_failed(self, conn: Connection | None) -> None:
        if conn is not None:
            conn.close()
        self._conn = None

    @property
    def _sock(self) -> socket.socket | None:
        """The connected socket, if there is one (tests cut it)."""
        return None if self._conn is None else self._conn.sock

    def _restore(self) -> None:
        """After a reconnect to the same session, ask again for what the screen still
        shows, so the recorder records it again and serves the views that follow:
        the tree's listings and the open file. (A session that waited has them.)"""
        for (directory, start), limit in list(self._listed.items()):
            self._exchange(m.Tree(path=directory, start=start, limit=limit), ANSWER_TIMEOUT)
        if self._open is not None:
            answer = self._exchange(m.Open(path=self._open), ANSWER_TIMEOUT)
            locked = isinstance(answer, m.Refused) and answer.reason == "locked"
            if not isinstance(answer, m.Opened) and not locked:
                self._open = None  # (locked: still the file on screen behind the lock,
                # opened again at the first view after the unlock, pending.py `_open_again`)

    def _exchange(self, request: Any, bound: float, wait: float | None = None) -> Any:
        """`request`'s answer within `wait` (else `bound`) seconds (connection.py)."""
        assert self._conn is not None
        return self._conn.exchange(request, bound, wait)

    def serve_loop(self) -> None:
        """Called on the terminal's event loop: the requests asked from this thread
        never hold it longer than LOOP_WAIT, whatever the recorder does (ADR 0217)."""
        self._loop_thread = threading.get_ident()

    def _ask(self, request: Any, wait: bool = True) -> Any:
        """One request's answer. Raises RecordingError when nothing may be shown, and
        Busy (without asking) when `wait` is false and another request is under way.
        A request waits for another one's answer no longer than its own bound; one
        asked on the event loop (but the seal's: OWN_BOUND) no longer than
        LOOP_WAIT, for the connection and for its answer, then fails as
        "waiting" (the answer, still owed, is read when it comes)."""
        bound = ANSWER_TIMEOUT if isinstance(request, LONG) else STALL_AFTER
        on_loop = (not isinstance(request, OWN_BOUND)
                   and threading.get_ident() == self._loop_thread)  # fmt: skip
        patience = LOOP_WAIT if on_loop else bound
        if not wait and not self._lock.acquire(blocking=False):
            raise Busy()
        if wait and not self._acquire(on_loop, patience):
            busy = f"busy for more than {bound:g} s"
            self._failure = (f"{WAITING} (another request is under way)" if on_loop
                             else f"the recorder is not answering ({busy})")  # fmt: skip
            raise NotAnswering(self._failure)
        try:
            answer = self._ask_locked(request, bound, patience)
        finally:
            self._lock.release()
        if self._unsent and not isinstance(request, m.Key | m.Blocked):
            self._unsent.send(self._ask)
        return answer

    def _acquire(self, on_loop: bool, patience: float) -> bool:
        """The connection, within `patience`. The event loop goes first: a worker
        asking in a loop (a search's waits) would otherwise take it back each time
        before the loop's thread woke up."""
        if on_loop:
            self._loop_wants.set()
            try:
                return self._lock.acquire(timeout=patience)
            finally:
                self._loop_wants.clear()
        until = time.monotonic() + LOOP_WAIT
        held = self._lock._is_owned()  # type: ignore[attr-defined]  # (a seal's second ask)
        while not held and self._loop_wants.is_set() and time.monotonic() < until:
            time.sleep(0.002)
        return self._lock.acquire(timeout=patience)

    def _ask_locked(self, request: Any, bound: float, patience: float | None = None) -> Any:
        with self._lock:
            try:
                if self._conn is None:
                    self._connect()
                assert self._conn is not None
                if self.replaced is not None and not isinstance(request, BEFORE_START):
                    raise RecordingError(NEW_SESSION)  # nothing shown before its start screen
                if isinstance(request, ACTS):
                    self._say_dropped_first()
                    if self._conn is None:  # lost while it said so: fail closed, as any loss
                        raise RecordingError(self._failure or "the recorder is not answering")
                answer = self._late_answer(request)
                if answer is None:
                    answer = self._exchange(request, bound, patience)
            except NotAnswering as exc:
                self._failure = str(exc)
                raise
            except (OSError, FrameError, msgspec.DecodeError, msgspec.ValidationError) as exc:
                self._drop()
                self._failure = f"the recorder is not answering ({type(exc).__name__})"
                raise RecordingError(self._failure) from exc
            except RecordingError as exc:
                self._drop()
                self._failure = str(exc)
                raise
            self._entries, self._alerts = answer.entries, answer.alerts
            self._note_dropped()
            if isinstance(answer, m.Failed):
                self._failure = answer.why
                raise RecordingError(answer.why)
            self._failure = None
            if isinstance(answer, m.Refused):
                raise RequestRefused(answer.reason)
            return answer

    def _drop(self) -> None:
        if self._conn is not None:
            self._held += self._late_alerts()
            self._conn.close()
            self._conn = None

    def _late_alerts(self) -> list[Any]:
        """The alerts late `status` answers carried (connection.py `told`), once."""
        conn = self._conn
        if conn is None or not conn.told:
            return []
        told, conn.told = conn.told, []
        return told

    def new_session_shown(self) -> None:
        """The terminal showed the new session's start screen: it may be recorded in."""
        self.replaced = None
        self._failure = None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                try:
                    self._exchange(m.Bye(), STALL_AFTER)
                except (OSError, FrameError, msgspec.MsgspecError, RecordingError):
                    pass
            self._drop()
