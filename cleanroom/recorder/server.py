"""`RecorderServer`: the Unix socket, one review session at a time.

A single thread: it accepts a connection, checks the peer (peer.py), reads one
frame at a time (framing.py), decodes it (messages.py), hands it to the
`Dispatcher` and writes the answer. Every quarter second it lets the
dispatcher look at the guard. A hostile frame costs a refusal entry, never the
service: decoding errors are refusals, and a frame that breaks the stream
(oversized, cut off, too slow) closes that connection only.
"""

from __future__ import annotations

import contextlib
import os
import selectors
import socket
import stat
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from . import messages as m
from .dispatch import Dispatcher
from .framing import Closed, FrameError, Oversized, read_frame, write_frame
from .log import log
from .peer import Peer, Reviewers, peer_of
from .table import ENDED

TICK = 0.25  # seconds between looks at the guard
FRAME_TIMEOUT = 5.0  # seconds a peer may take to send the rest of a frame
POLICIES = ("seal", "wait")


@dataclass
class Live:
    """The session being served, and who it belongs to once a reviewer connected."""

    dispatcher: Dispatcher
    close: Callable[[], None]  # stops the guard and closes the ledger
    uid: int | None = None
    lost_at: float | None = None


class RecorderServer:
    def __init__(self, socket_path: Path, reviewers: Reviewers,
                 open_session: Callable[[Peer], tuple[Dispatcher, Callable[[], None]]],
                 on_client_lost: str = "seal") -> None:  # fmt: skip
        if on_client_lost not in POLICIES:
            raise ValueError(f"on_client_lost must be one of {POLICIES}")
        self.path = socket_path
        self.reviewers = reviewers
        self.open_session = open_session
        self.policy = on_client_lost
        self.live: Live | None = None
        self.stop = threading.Event()
        self.alive_while: Callable[[], bool] | None = None  # checked every tick
        self._listener: socket.socket | None = None

    # -- the socket -------------------------------------------------------------

    def listen(self) -> None:
        """Bind the socket (0660: the reviewer group connects, nobody else), removing a
        stale socket of ours first. Raises OSError."""
        with contextlib.suppress(FileNotFoundError):
            if stat.S_ISSOCK(os.lstat(self.path).st_mode):
                os.unlink(self.path)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o117)
        try:
            sock.bind(str(self.path))
        finally:
            os.umask(old)
        sock.listen(4)
        self._listener = sock

    def serve(self) -> None:
        """Serve until `stop` is set; then seal the session being served."""
        if self._listener is None:
            self.listen()
        listener = self._listener
        assert listener is not None
        selector = selectors.DefaultSelector()
        selector.register(listener, selectors.EVENT_READ)
        client: socket.socket | None = None
        try:
            while not self.stop.is_set():
                for key, _ in selector.select(TICK):
                    if key.fileobj is listener:
                        client = self._accept(listener, client, selector)
                    elif client is not None and not self._serve_one(client):
                        selector.unregister(client)
                        client.close()
                        client = None
                if self.alive_while is not None and not self.alive_while():
                    self.stop.set()
                if self.live is not None:
                    self.live.dispatcher.tick()
                    if client is None and self.live.dispatcher.state == ENDED:
                        self._finish()
        finally:
            if client is not None:
                client.close()
            if self.live is not None:
                self.live.dispatcher.lost("the recorder stopped", "seal")
                self._finish()
            listener.close()
            with contextlib.suppress(OSError):
                os.unlink(self.path)

    def _accept(self, listener: socket.socket, client: socket.socket | None,
                selector: selectors.BaseSelector) -> socket.socket | None:  # fmt: skip
        conn, _ = listener.accept()
        peer = peer_of(conn)
        why = self._not_admitted(peer, client)
        if why is not None:
            log(f"refused a connection from uid {peer.uid} pid {peer.pid}: {why}")
            conn.close()
            return client
        conn.settimeout(FRAME_TIMEOUT)
        if self.live is None:
            try:
                dispatcher, close = self.open_session(peer)  # the reviewer is the peer
            except Exception as exc:  # a full disk, a changed snapshot: say so, serve on
                log(f"cannot start a session: {type(exc).__name__}: {exc}")
                conn.close()
                return client
            self.live = Live(dispatcher, close)
        live = self.live
        if live.uid is not None and live.lost_at is not None:
            live.dispatcher.resumed(peer.uid, time.monotonic() - live.lost_at)
        live.uid, live.lost_at = peer.uid, None
        live.dispatcher.refusals = 0
        selector.register(conn, selectors.EVENT_READ)
        log(f"serving uid {peer.uid} pid {peer.pid}")
        return conn

    def _not_admitted(self, peer: Peer, client: socket.socket | None) -> str | None:
        if not self.reviewers.admit(peer):
            return "not a reviewer account"
        if client is not None:
            return "a session is being served"
        if self.live is not None and self.live.uid not in (None, peer.uid):
            return "the session waits for another reviewer"
        return None

    # -- one request ------------------------------------------------------------

    def _serve_one(self, client: socket.socket) -> bool:
        """Read, dispatch and answer one request. False: close the connection."""
        assert self.live is not None
        dispatcher = self.live.dispatcher
        try:
            body = read_frame(client, m.MAX_REQUEST)
        except Oversized as exc:
            dispatcher.refuse("?", "oversized", str(exc))
            return self._lost(f"an oversized frame ({exc.size} bytes)")
        except (FrameError, OSError) as exc:
            reason = "closed" if isinstance(exc, Closed) else type(exc).__name__
            return self._lost(f"the connection ended ({reason})")
        try:
            request: Any = m.request_decoder.decode(body)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            answer: m._Answer = dispatcher.refuse("?", "malformed", str(exc))
            request = None
        else:
            answer = dispatcher.handle(request)
        try:
            write_frame(client, m.encoder.encode(answer))
        except OSError:
            return self._lost("the connection ended while answering")
        if dispatcher.exhausted:
            return self._lost("too many refused requests")
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
            log(f"session {live.dispatcher.session.session_id} finished ({live.dispatcher.ended})")
