"""`Connection`: the terminal's one socket to the recorder, read without
blocking, frame by frame (`FrameReader`), each request's answer waited for
within a bound (docs/protocol.md §8b, ADR 0216 and 0217).

- An answer not read within the wait is still owed on the same connection.
  While one is owed every request fails at once, never waiting again; the
  answers are read, when they come, by `drain`.
- A request's `bound` (2 s, or 30 s for the long kinds) says when an owed
  answer makes the recorder "not answering"; the caller may wait less than
  that (`wait`: the event loop waits a fraction of a second, then goes on with
  the source hidden, "waiting for the recorder").
- While it waits, the connection looks at the recorder's process (liveness.py):
  a recorder stopped for `STALL_AFTER` fails the wait whatever its bound.
- The last late answer to a `view` is kept (`kept`), so the screen it records
  can still be shown once it comes; so is the last late answer to a note's
  save and to a seal (`late`), which the very same request asked again takes
  instead of asking: the recorder recorded it once, and asking again recorded
  the note twice, or was refused (`order`) while the recorder waited for the
  countersignature of the first (atk12). Every other late answer is dropped, and
  the requests of those that act (goto, mark, pick, unlock, active, witness,
  open) are listed in `dropped`, to be recorded as not acted on. The alerts a
  late `status` carried are kept (`told`): the recorder answers each alert
  once, and one never shown could hold the guard lock for good (ADR 0220).

What requests mean, and what the terminal does about a failure, is client.py's."""

from __future__ import annotations

import select
import socket
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..session.recorder import RecordingError
from . import liveness
from . import messages as m
from .framing import FrameReader, read_frame, write_frame

HELLO_TIMEOUT = 30.0  # seconds: the bound of the connect and its hello
STALL_AFTER = 2.0  # seconds: an answer owed longer (or a recorder stopped this long) fails
PROBE = 0.25  # seconds between looks at the recorder's process while an answer is awaited
WAITING = "waiting for the recorder's answer"
# Requests that make the terminal act once answered: a late answer to one is not acted on.
# A witness is one: its code is put on screen only when answered in time (a late one
# was recorded as `witness_shown` all the same, a code no paper log holds). So is an
# open: the file is not shown (the terminal opens the one it shows again, ADR 0218).
# (idle: shown anyway)
ACTS = (m.Goto, m.Paragraph, m.Mark, m.Pick, m.Unlock, m.Active, m.Witness, m.Open)
# Requests whose late answer is kept for the same request asked again (`take_late`).
ONCE = (m.NoteSave, m.Seal)


class NotAnswering(RecordingError):
    """No answer within the request's wait: the connection is kept (the answer is
    still owed and is read once it comes), and until then every request fails at
    once without waiting (docs/protocol.md §8b)."""


@dataclass
class Owed:
    request: Any
    body: bytes  # the request as sent
    late_at: float  # monotonic time past which the recorder is "not answering"
    bound: float


class Connection:
    """A connected socket, its frame reader and the answers it still owes."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = FrameReader(m.MAX_ANSWER)
        self.owed: deque[Owed] = deque()  # in the order sent, so in the order answered
        self.kept: tuple[bytes, Any] | None = None  # the last late `view` answer
        self.late: tuple[bytes, Any] | None = None  # the last late answer of a ONCE request
        self.dropped: list[Any] = []  # requests that act, answered late: not acted on
        self.told: list[Any] = []  # the alerts of `status` answers come late (ADR 0220)
        self.peer = liveness.PeerProcess.of(sock)
        self._stopped_since: float | None = None

    @classmethod
    def open(cls, path: Path) -> tuple[Connection, Any]:
        """Connect and say hello: the connection and the recorder's answer (decoded,
        unchecked). Raises OSError, FrameError or a decoder's error; the socket is
        closed on any of them."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(HELLO_TIMEOUT)
        try:
            sock.connect(str(path))
            answer = _hello(sock)
            sock.setblocking(False)
        except BaseException:
            sock.close()
            raise
        return cls(sock), answer

    def exchange(self, request: Any, bound: float, wait: float | None = None) -> Any:
        """Send `request` and read its answer within `wait` seconds (`bound` if
        None), off a non-blocking socket: a recorder that does not answer costs at
        most that once; the answer stays owed (NotAnswering), and while any is
        owed every request fails at once, never waiting again. Raises RecordingError
        (the connection to be dropped) if the recorder's process is gone."""
        if self.owed and not self.drain():
            raise NotAnswering(self.why())
        body = m.encoder.encode(request)
        self.sock.settimeout(bound)
        try:
            write_frame(self.sock, body)
        finally:
            self.sock.setblocking(False)
        sent = time.monotonic()
        self.owed.append(Owed(request, body, sent + bound, bound))
        deadline = sent + (bound if wait is None else min(wait, bound))
        while True:
            answer = self.reader.poll(self.sock, time.monotonic())
            if answer is not None:
                self.owed.popleft()
                self._stopped_since = None
                return m.answer_decoder.decode(answer)
            now = time.monotonic()
            if now >= deadline:
                raise NotAnswering(self.why(now))
            if now - sent >= PROBE:
                self._look_at_peer(now)
            select.select([self.sock], [], [], min(deadline - now, PROBE))

    def _look_at_peer(self, now: float) -> None:
        state = self.peer.state()
        if state == liveness.GONE:
            raise RecordingError("the recorder is not answering (its process is gone)")
        if state != liveness.STOPPED:
            self._stopped_since = None
            return
        if self._stopped_since is None:
            self._stopped_since = now
        if now - self._stopped_since >= STALL_AFTER:  # late now, whatever its bound
            for owed in self.owed:
                owed.late_at = min(owed.late_at, now)
            raise NotAnswering("the recorder is not answering (its process is stopped)")

    def why(self, now: float | None = None) -> str:
        """What the terminal says while an answer is owed: waiting, within its bound;
        then that the recorder is not answering."""
        first = self.owed[0]
        if (time.monotonic() if now is None else now) < first.late_at:
            return WAITING
        if self._stopped_since is not None:
            return "the recorder is not answering (its process is stopped)"
        return f"the recorder is not answering (no answer in {first.bound:g} s)"

    def drain(self) -> bool:
        """Read, without waiting, the answers still owed: the last `view` answer is
        kept, the others dropped. True once none is owed."""
        while self.owed:
            body = self.reader.poll(self.sock, time.monotonic())
            if body is None:
                return False
            owed = self.owed.popleft()
            if isinstance(owed.request, m.View):
                self.kept = (owed.body, m.answer_decoder.decode(body))
            elif isinstance(owed.request, ONCE):
                self.late = (owed.body, m.answer_decoder.decode(body))
            elif isinstance(owed.request, ACTS):
                self.dropped.append(owed.request)
            elif isinstance(owed.request, m.Status):  # its alerts are answered only once
                self.told.extend(getattr(m.answer_decoder.decode(body), "fresh", []))
        self._stopped_since = None
        return True

    def take_kept(self, request: Any) -> Any:
        """The kept late answer to exactly `request`, once; else None."""
        kept, self.kept = self.kept, None
        if kept is not None and kept[0] == m.encoder.encode(request):
            return kept[1]
        return None

    def take_late(self, request: Any) -> Any:
        """The late answer to exactly `request` (a ONCE kind), once; else None. Another
        request of those kinds forgets it: it no longer answers the one asked."""
        late, self.late = self.late, None
        if late is not None and late[0] == m.encoder.encode(request):
            return late[1]
        return None

    def close(self) -> None:
        self.sock.close()
        self.owed.clear()
        self.kept = None
        self.late = None


def _hello(sock: socket.socket) -> Any:
    """Say hello; the answer. A recorder that refuses this terminal sends its
    refusal at once and closes, so the hello may find the socket closed: the
    refusal is read all the same."""
    hello = m.Hello(version=m.VERSION, client="cleanroom review")
    try:
        write_frame(sock, m.encoder.encode(hello))
    except (BrokenPipeError, ConnectionResetError):
        pass  # the refusal, if one came, is still there to read
    return m.answer_decoder.decode(read_frame(sock, m.MAX_ANSWER))
