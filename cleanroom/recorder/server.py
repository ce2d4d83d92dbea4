"""`RecorderServer`: the Unix socket, one review session at a time.

A single thread: it accepts a connection, checks the peer (peer.py), reads one
frame at a time without blocking (framing.FrameReader), decodes it
(messages.py), hands it to the `Dispatcher` and queues the answer, which it
writes as the socket takes it (framing.FrameWriter); it reads the next request
only once the answer is all sent. Every quarter second, and before every
answer, it lets the dispatcher look at the guard; a slow peer never holds that
loop: a frame has 5 s in all to arrive, an answer 5 s to be read, else the peer
is dropped (`client_lost`). A hostile frame costs a refusal entry, never the
service: anything the decoder raises is a `malformed` refusal, a frame that
breaks the stream (oversized, cut off, too slow) closes that connection only,
and an unexpected fault while serving a request closes that connection, never
the recorder.
"""

from __future__ import annotations

import contextlib
import errno
import os
import selectors
import socket
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from . import messages as m
from .dispatch import Dispatcher
from .framing import Closed, FrameError, FrameReader, FrameWriter, Oversized
from .log import log
from .peer import Peer, Reviewers, account_of, peer_of
from .table import COUNTERSIGN, ENDED, tag

TICK = 0.25  # seconds between looks at the guard
OWNER_WINDOW = 10.0  # seconds between two recorded refusals of the same other account
FRAME_TIMEOUT = 5.0  # seconds a peer may take to send a whole frame
DRAIN_TIMEOUT = 5.0  # seconds a peer may take to read a whole answer
POLICIES = ("seal", "wait")
WAIT_LIMIT = 30 * 60.0  # seconds a session left under `wait` waits for its reviewer, by default


@dataclass
class Live:
    """The session being served, and who it belongs to once a reviewer connected."""

    dispatcher: Dispatcher
    close: Callable[[], None]  # stops the guard and closes the ledger
    uid: int | None = None  # the account the session belongs to, once one connected
    lost_at: float | None = None
    since: float = 0.0  # wall-clock time the connection served now was admitted


@dataclass
class Conn:
    """The connection being served, the frame it is sending, and the answer it has
    not read yet."""

    sock: socket.socket
    reader: FrameReader
    writer: FrameWriter = field(default_factory=FrameWriter)


class RecorderServer:
    def __init__(self, socket_path: Path, reviewers: Reviewers,
                 open_session: Callable[[Peer], tuple[Dispatcher, Callable[[], None]]],
                 on_client_lost: str = "seal", wait_limit: float = WAIT_LIMIT) -> None:  # fmt: skip
        if on_client_lost not in POLICIES:
            raise ValueError(f"on_client_lost must be one of {POLICIES}")
        if not wait_limit > 0:
            raise ValueError("wait_limit must be positive")
        self.wait_limit = wait_limit
        self.path = socket_path
        self.reviewers = reviewers
        self.open_session = open_session
        self.policy = on_client_lost
        self.live: Live | None = None
        self.stop = threading.Event()
        # Set (SIGUSR1, by the operator) to end the session that waits for its reviewer.
        self.end_waiting = threading.Event()
        self._owner_refusals: dict[int, tuple[float, int]] = {}  # uid -> (last recorded, since)
        self.alive_while: Callable[[], bool] | None = None  # checked every tick
        self._listener: socket.socket | None = None
        self._ticked = 0.0  # monotonic time of the last look at the guard

    # -- the socket -------------------------------------------------------------

    def listen(self) -> None:
        """Bind the socket (0660: the reviewer group connects, nobody else), removing a
        stale socket of ours first. Raises OSError."""
        with contextlib.suppress(FileNotFoundError):
            if not stat.S_ISSOCK(os.lstat(self.path).st_mode):  # never replaced by the rename
                raise FileExistsError(errno.EEXIST, "exists and is not a socket", str(self.path))
        # Bound under a temporary name and renamed once listening: a terminal never
        # finds the path before connections to it are accepted.
        staging = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        with contextlib.suppress(FileNotFoundError):
            os.unlink(staging)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o117)
        try:
            sock.bind(str(staging))
            sock.listen(4)
            os.rename(staging, self.path)
        except BaseException:
            sock.close()
            with contextlib.suppress(OSError):
                os.unlink(staging)
            raise
        finally:
            os.umask(old)
        self._listener = sock

    def serve(self) -> None:
        """Serve until `stop` is set; then seal the session being served."""
        if self._listener is None:
            self.listen()
        listener = self._listener
        assert listener is not None
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ)
        client: Conn | None = None
        try:
            while not self.stop.is_set():
                # The client's events first: a connection that comes in the pass its
                # predecessor ended in is admitted once that end is dealt with.
                events = sorted(selector.select(TICK), key=lambda e: e[0].fileobj is listener)
                for key, mask in events:
                    if key.fileobj is listener:
                        client = self._accept(listener, client, selector)
                    elif client is not None and not self._serve_ready(client, mask, selector):
                        client = self._drop(client, selector)
                if client is not None:
                    client = self._deadlines(client, selector)
                if self.alive_while is not None and not self.alive_while():
                    self.stop.set()
                if self.live is not None:
                    if time.monotonic() - self._ticked >= TICK:
                        self._tick()
                    if client is None:
                        self._end_the_wait()
                if self.end_waiting.is_set():  # nothing waits: a terminal is served, or none
                    self.end_waiting.clear()
                    log("asked to end a waiting session: no session waits")
                    if client is None and self.live.dispatcher.state == ENDED:
                        self._finish()
        finally:
            if client is not None:
                client.sock.close()
            if self.live is not None:
                self.live.dispatcher.lost("the recorder stopped", "seal")
                self._finish()
            listener.close()
            with contextlib.suppress(OSError):
                os.unlink(self.path)

    def _end_the_wait(self) -> None:
        """Seal a session whose reviewer has not come back within `wait_limit`, or
        whose wait the operator ended (SIGUSR1): recorded as `client_lost` (why, and
        policy `seal`), then `session_end` (reason `client_lost`). The next
        reviewer gets a new session. Only with no terminal connected."""
        live = self.live
        assert live is not None
        asked = self.end_waiting.is_set()
        self.end_waiting.clear()
        if live.lost_at is None or live.dispatcher.state == ENDED:
            if asked:
                log("asked to end a waiting session: no session waits")
            return
        waited = time.monotonic() - live.lost_at
        if asked:
            why = f"the operator ended the wait for its reviewer after {waited:.0f} s (SIGUSR1)"
        elif waited >= self.wait_limit:
            why = f"its reviewer did not come back within {_duration(self.wait_limit)}"
        else:
            return
        live.dispatcher.lost(why, "seal")
        log(f"session sealed: {why}")
        self._finish()

    def _tick(self) -> None:
        assert self.live is not None
        self._ticked = time.monotonic()
        self.live.dispatcher.tick()

    def _deadlines(self, client: Conn, selector: selectors.BaseSelector) -> Conn | None:
        """Drop a peer whose frame, or whose reading of an answer, takes too long."""
        now = time.monotonic()
        if client.reader.stalled(now, FRAME_TIMEOUT):
            self._lost(f"a frame took more than {FRAME_TIMEOUT:g} s")
        elif client.writer.stalled(now, DRAIN_TIMEOUT):
            self._lost(f"the terminal did not read an answer within {DRAIN_TIMEOUT:g} s")
        else:
            return client
        return self._drop(client, selector)

    @staticmethod
    def _drop(client: Conn, selector: selectors.BaseSelector) -> None:
        with contextlib.suppress(OSError):
            client.writer.flush(client.sock)  # a last answer (bye's) if it fits, never waiting
        selector.unregister(client.sock)
        client.sock.close()
        return None

    def _accept(self, listener: socket.socket, client: Conn | None,
                selector: selectors.BaseSelector) -> Conn | None:  # fmt: skip
        try:
            conn, _ = listener.accept()
        except OSError as exc:  # out of descriptors, a peer gone at once: serve on
            log(f"accept failed: {exc.strerror or exc}")
            return client
        try:
            peer = peer_of(conn)
        except OSError as exc:
            log(f"no peer credentials: {exc.strerror or exc}")
            conn.close()
            return client
        if client is not None and _ended(client.sock):
            # Its terminal closed its end before this one connected; the pass read only
            # its last frame, not the end behind it. Deal with that end now, as the next
            # pass would, so the newcomer is not refused `busy` by a connection gone.
            self._lost("the connection ended (closed)")
            client = self._drop(client, selector)
        if client is None and self.live is not None and self.live.dispatcher.state == ENDED:
            self._finish()  # sealed in this very pass: a sealed session never serves again
        why = self._not_admitted(peer, client)
        if why is not None:
            log(f"refused a connection from uid {peer.uid} pid {peer.pid}: {why}")
            if self.reviewers.admit(peer):  # a reviewer is told why; anyone else gets no byte
                _refuse_at_once(conn, *self._why_not(client))
            conn.close()
            return client
        if self.live is None:
            try:
                dispatcher, close = self.open_session(peer)  # the reviewer is the peer
            except Exception as exc:  # a full disk, a changed snapshot: say so, serve on
                log(f"cannot start a session: {type(exc).__name__}: {exc}")
                if self.reviewers.admit(peer):  # the terminal says why, not "connection reset"
                    _refuse_at_once(conn, "no_session", str(exc) or type(exc).__name__)
                conn.close()
                return client
            owner = getattr(dispatcher, "owner", None)  # a resumed session's account
            self.live = Live(dispatcher, close, owner, None if owner is None else time.monotonic())
            if not self._owner_admits(peer):
                _refuse_at_once(conn, *self._why_not(None))
                conn.close()
                return client
        live = self.live
        account = account_of(peer.uid)
        if live.uid is not None and live.lost_at is not None:
            live.dispatcher.resumed(peer.uid, time.monotonic() - live.lost_at, peer.pid, account)
        elif live.uid is None:
            live.dispatcher.connected(peer.uid, peer.pid, account)
        live.uid, live.lost_at, live.since = peer.uid, None, time.time()
        live.dispatcher.refusals = 0
        conn.setblocking(False)
        selector.register(conn, selectors.EVENT_READ)
        log(f"serving uid {peer.uid} pid {peer.pid}")
        return Conn(conn, FrameReader(m.MAX_REQUEST))

    def _owner_admits(self, peer: Peer) -> bool:
        """A session resumed after a restart belongs to the account the ledger names:
        another account is refused (and that is recorded); under `seal` the session
        is sealed instead and a new one starts for the newcomer."""
        assert self.live is not None
        live = self.live
        if live.uid is None or live.uid == peer.uid:
            return True
        if self.policy == "wait":
            self._refuse_other(peer)
            return False
        live.dispatcher.lost(f"the recorder restarted; uid {peer.uid} is not the session's", "seal")
        self._finish()
        try:
            dispatcher, close = self.open_session(peer)  # the reviewer is the newcomer
        except Exception as exc:
            log(f"cannot start a session: {type(exc).__name__}: {exc}")
            return False
        self.live = Live(dispatcher, close)
        return True

    def _refuse_other(self, peer: Peer) -> None:
        """Refuse another account's connection to the waiting session, and record it:
        the first of each account at once, then at most one entry per OWNER_WINDOW
        seconds per account, carrying how many were refused meanwhile. Each attempt is
        a new connection, so the per-connection rate limit never applied: one account
        looping connect-and-close wrote 6,806 entries in 10 s (attack round 2)."""
        assert self.live is not None
        now = time.monotonic()
        last, skipped = self._owner_refusals.get(peer.uid, (None, 0))
        if last is not None and now - last < OWNER_WINDOW:
            self._owner_refusals[peer.uid] = (last, skipped + 1)
            return
        self._owner_refusals[peer.uid] = (now, 0)
        more = f"; {skipped} more refused since the last entry" if skipped else ""
        waits = f"the session waits for uid {self.live.uid}{self._waiting_since()}"
        log(f"refused uid {peer.uid} pid {peer.pid}: {waits}{more}")
        self.live.dispatcher.refuse("connect", "owner", f"uid {peer.uid} pid {peer.pid}; "
                                    f"{waits}{more}")  # fmt: skip

    def _waiting_since(self) -> str:
        """Since when the session waits, and until when at most (UTC), or ""."""
        live = self.live
        if live is None or live.lost_at is None:
            return ""
        start = time.time() - (time.monotonic() - live.lost_at)
        return f" since {_utc(start)}, at most until {_utc(start + self.wait_limit)}"

    def _why_not(self, client: Conn | None) -> tuple[str, str]:
        """The refusal a reviewer's terminal is sent when it is not admitted: `busy`
        (another terminal is being served: whose, and since when) or `owner`."""
        live = self.live
        who = "" if live is None or live.uid is None else account_of(live.uid)
        name = who or ("an unknown account" if live is None else f"uid {live.uid}")
        if client is not None:
            since = "" if live is None else f" since {_utc(live.since)}"
            return "busy", f"a session is already open by {name}{since}"
        return "owner", f"the session waits for its reviewer, {name}, to reconnect"

    def _not_admitted(self, peer: Peer, client: Conn | None) -> str | None:
        if not self.reviewers.admit(peer):
            return "not a reviewer account"
        if client is not None:
            return "a session is being served"
        if self.live is not None and self.live.uid not in (None, peer.uid):
            self._refuse_other(peer)
            return "the session waits for another reviewer"
        return None

    # -- one request ------------------------------------------------------------

    def _serve_ready(self, client: Conn, mask: int, selector: selectors.BaseSelector) -> bool:
        """Write the answer waiting, or read (and answer) a request, as the socket is
        ready, with nothing raised reaching the loop. While an answer waits the
        socket is watched for writing only: the next request is read once the
        answer is all sent. False: close."""
        try:
            if client.writer.pending:
                if mask & selectors.EVENT_WRITE and client.writer.flush(client.sock):
                    selector.modify(client.sock, selectors.EVENT_READ)
                return True
            going = self._serve_one(client)
            if going and client.writer.pending:
                selector.modify(client.sock, selectors.EVENT_WRITE)
            return going
        except OSError:
            return self._lost("the connection ended while answering")
        except Exception as exc:  # a fault of ours: lose this connection, keep serving
            log(f"a fault while serving a request: {type(exc).__name__}")
            return self._lost(f"a fault in the recorder ({type(exc).__name__})")

    def _serve_one(self, client: Conn) -> bool:
        """Read what has arrived; answer a request once its frame is complete.
        False: close the connection."""
        assert self.live is not None
        dispatcher = self.live.dispatcher
        try:
            body = client.reader.poll(client.sock, time.monotonic())
        except Oversized as exc:
            dispatcher.refuse("?", "oversized", str(exc))
            return self._lost(f"an oversized frame ({exc.size} bytes)")
        except (FrameError, OSError) as exc:
            reason = "closed" if isinstance(exc, Closed) else type(exc).__name__
            return self._lost(f"the connection ended ({reason})")
        if body is None:
            return True  # the rest of the frame comes in a later pass
        try:
            request: Any = m.request_decoder.decode(body)
        except Exception as exc:  # msgspec raises ValueError on bad UTF-8, RecursionError...
            answer: m._Answer = dispatcher.refuse("?", "malformed", _why(exc))
            request = None
        else:
            # A lock the guard raised meanwhile applies to this request. Not before a
            # countersignature the seal waits for: it came before this look, and a
            # recorder that stalled past the deadline (load, SIGSTOP) must not blame
            # the terminal for its own delay (outside attack on issue 13).
            if not (isinstance(request, m.Countersignature) and dispatcher.state == COUNTERSIGN):
                self._tick()
            answer = dispatcher.handle(request)
        body = m.encoder.encode(answer)
        if len(body) > m.MAX_ANSWER:  # the terminal would drop the connection: refuse instead
            name = "?" if request is None else tag(request)
            answer = dispatcher.refuse(name, "too_large", f"an answer of {len(body)} bytes")
            body = m.encoder.encode(answer)
        client.writer.queue(body, time.monotonic())
        try:
            client.writer.flush(client.sock)  # most answers go at once; the rest as read
        except OSError:
            return self._lost("the connection ended while answering")
        if dispatcher.exhausted:
            return self._lost("too many refused requests")
        wrong_version = isinstance(answer, m.Refused) and answer.reason == "version"
        if isinstance(request, m.Hello) and wrong_version:
            return self._lost("a hello of a protocol version this recorder does not speak")
        if isinstance(request, m.Bye):
            if dispatcher.state == ENDED:
                self.live.uid = None
                return False
            return self._lost("the terminal said bye without a seal")
        return True

    def _lost(self, detail: str) -> bool:
        assert self.live is not None
        live = self.live
        if live.dispatcher.state != ENDED:
            live.dispatcher.lost(detail, self.policy)
            live.lost_at = time.monotonic()
            log(f"client lost: {detail}; policy {self.policy}")
        return False

    def _finish(self) -> None:
        assert self.live is not None
        live, self.live = self.live, None
        try:
            live.close()
        finally:
            d = live.dispatcher
            if getattr(d, "sealed", True):
                log(f"session {d.session.session_id} finished ({d.ended})")
            else:  # say precisely what is left: never "finished" of an unsealed ledger
                why = d.session.failure or "its seal could not be recorded"
                log(
                    f"session {d.session.session_id} ended ({d.ended}) but is NOT sealed: {why};"
                    " it is resumed, or closed as abandoned, when a terminal next connects"
                )


def _ended(sock: socket.socket) -> bool:
    """The peer has closed its end (or reset the connection) and sent nothing after the
    bytes already read: a look at the socket that reads nothing and never waits."""
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) == b""
    except (BlockingIOError, InterruptedError):
        return False
    except OSError:  # ECONNRESET and the like: gone as surely
        return True


def _refuse_at_once(conn: socket.socket, reason: str, detail: str) -> None:
    """Send `refused` before the hello is read, never waiting: the terminal shows
    why at once instead of finding the connection reset (protocol §1)."""
    body = m.encoder.encode(m.Refused(reason=reason, seq=-1, detail=detail[:1024]))
    with contextlib.suppress(OSError):
        conn.setblocking(False)
        conn.send(len(body).to_bytes(4, "big") + body)  # small: an empty buffer takes it whole


def _utc(when: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(when))


def _duration(seconds: float) -> str:
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def _why(exc: Exception) -> str:
    """A decoding error, for the ledger (msgspec's messages name the field)."""
    if isinstance(exc, (msgspec.DecodeError, msgspec.ValidationError)):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"[:200]
