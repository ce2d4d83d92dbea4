"""`LateAnswers`: what the terminal does about an answer that came after it gave
up waiting (ADR 0217, 0218), and about the refusals that show the recorder acted
on one (docs/protocol.md §8b). A mixin of `Asking` (asking.py), which
sends and receives; the connection (connection.py) keeps a late `view` answer
and lists the late answers to requests that act.

- A late `view` is shown, not asked twice, while the ledger's last word is it.
- A late answer to a note's save or to a seal answers the same request asked
  again: the note is recorded once, and the seal's countersignature is given
  to the recorder that waits for it (atk12).
- A late answer to a request that acts was recorded but not acted on: the
  terminal says so in the ledger (`blocked`, `not_acted_on`), before the next
  request that acts, and holds blocked attempts until they can be recorded.
- Where the late answer moved the recorder on, the terminal catches up so the
  two sides agree again, recorded: a return (`active`) refused as out of order
  records the idle lock again, then the return; a view refused as not the file
  last opened opens the file on screen again. (A repeated guard `unlock` needs
  nothing here: the recorder records it, dispatch.py `_unlock_again`.)
"""

from __future__ import annotations

from typing import Any

from ..session.recorder import RecordingError
from ..session.service import FileFacts
from . import messages as m
from .connection import ONCE, WAITING, Connection
from .held import Held


class LateAnswers:
    _conn: Connection | None
    _entries: int
    _unsent: Held
    _open: bytes | None  # the file the code view shows

    def _ask(self, request: Any, wait: bool = True) -> Any:
        raise NotImplementedError  # Asking's

    @property
    def idle_seconds(self) -> int:
        raise NotImplementedError  # RemoteService's

    def _late_answer(self, request: Any) -> Any:
        """The late answer to this very `view`, if it came and nothing was recorded
        since (the ledger's last word is still that screen): it is shown, not asked
        for twice. The late answer to this very note save or seal, whatever was
        recorded since. Else None."""
        if self._conn is None or self._conn.owed:
            return None
        if isinstance(request, ONCE):  # a note's save, a seal: recorded once, not twice
            return self._conn.take_late(request)
        if not isinstance(request, m.View):
            return None
        kept = self._conn.take_kept(request)
        if kept is None or getattr(kept, "entries", None) != self._entries:
            return None
        return kept

    def _say_dropped_first(self) -> None:
        """Before a request that acts: late answers already come are read, and those
        not acted on are recorded first, so the ledger says an earlier act was not
        done before it records the next (an unlock, then the unlock that took effect:
        ADR 0218). One still owed is left to the exchange (it fails at once)."""
        assert self._conn is not None
        if self._conn.owed and not self._conn.drain():
            return
        self._note_dropped()
        if self._unsent:
            self._unsent.send(self._ask)

    def _note_dropped(self) -> None:
        """Requests that act (goto, paragraph, mark, a pick, an unlock, active, a witness, an open)
        whose answer came too late were recorded but not acted on: say so in the ledger."""
        assert self._conn is not None
        for request in self._conn.dropped:
            kind = type(request).__struct_config__.tag  # its name on the wire: `goto`
            said = f"{kind}: answered after the terminal gave up waiting; not acted on"
            self._unsent.add(m.Blocked(action="not_acted_on", detail=said[:1024]))
        self._conn.dropped.clear()

    def _hold(self, request: Any) -> None:
        """A blocked attempt is recorded, if not now then once recording works again
        (held.py), in the order pressed."""
        self._unsent.add(request)
        self._unsent.send(self._ask)

    @property
    def waiting(self) -> bool:
        """An answer is owed and still within its bound: the source is hidden while
        the terminal waits for it, not yet a recording failure."""
        conn = self._conn
        try:
            return conn is not None and bool(conn.owed) and conn.why() == WAITING
        except IndexError:  # answered meanwhile (another thread)
            return False

    def _return_again(self) -> None:
        """The recorder is past its idle state while this terminal's lock is up: it
        took a return answered too late (recorded as not acted on), or never got the
        lock's `idle`. Each return after was refused (`order`) and the lock never
        came off. The lock is recorded again, then this return."""
        self._ask(m.Idle(after_s=self.idle_seconds))
        self._ask(m.Active())

    def _open_again(self, opened: FileFacts) -> bool:
        """A view of the file on screen was refused as not the file last opened: an
        `open` of another file reached the recorder but was answered too late to be
        shown (recorded as not acted on). The file on screen is opened again
        (recorded), else every view of it was refused for good (ADR 0218). True if
        it is the same content."""
        if self._open != opened.path:
            return False
        try:
            a = self._ask(m.Open(path=opened.path))
        except RecordingError:
            return False
        return isinstance(a, m.Opened) and a.blob == opened.blob
