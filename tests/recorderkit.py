"""A real recorder (real socket, real ledger, real snapshot) in a thread, and a
raw client that speaks the protocol frame by frame, as a hostile terminal would."""

from __future__ import annotations

import fcntl
import os
import shutil
import socket
import struct
import tempfile
import termios
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.keys import raw_public
from cleanroom.recorder import messages as m
from cleanroom.recorder.dispatch import Dispatcher
from cleanroom.recorder.framing import read_frame, write_frame
from cleanroom.recorder.peer import Reviewers
from cleanroom.recorder.server import RecorderServer
from cleanroom.session.local_service import LocalService
from cleanroom.session.recorder import Recorder
from cleanroom.session.review import Facts, ReviewSession
from tests.ledgerkit import FlakyDisk, Kit, read_rows
from tests.tuikit import sample_source


@dataclass
class Running:
    server: RecorderServer
    thread: threading.Thread
    socket: Path
    ledgers: list[Path] = field(default_factory=list)
    disks: list[FlakyDisk] = field(default_factory=list)

    def stop(self) -> None:
        self.server.stop.set()
        self.thread.join(10)
        assert not self.thread.is_alive(), "the recorder did not stop"

    def kinds(self, index: int = -1) -> list[str]:
        return [e.kind for e in self.entries(index)]

    def entries(self, index: int = -1) -> list[Any]:
        return [decode_body(b) for _, b, _ in read_rows(self.ledgers[index])]


_MADE: list[Path] = []  # every short_dir of this process, removed at its end


def short_dir() -> Path:
    """A directory with a short path: a Unix socket's path is at most 107 bytes.
    Removed when the test process ends (conftest.py), if the test did not."""
    made = Path(tempfile.mkdtemp(prefix="cr-", dir="/tmp"))
    _MADE.append(made)
    return made


def remove_short_dirs() -> None:
    """Each full run left some 190 of them in /tmp, each with its snapshot copy."""
    while _MADE:
        shutil.rmtree(_MADE.pop(), ignore_errors=True)


def start(kit: Kit, ledger_dir: Path, policy: str = "seal", uids: tuple[int, ...] | None = None,
          source: Any = None, terminal_countersigns: bool = False) -> Running:  # fmt: skip
    where = short_dir()
    path = where / "recorder.sock"
    reviewers = Reviewers(frozenset(uids if uids is not None else (os.getuid(),)), frozenset())
    running: Running

    def open_session(_peer: object = None) -> tuple[Dispatcher, Any]:
        served = source if source is not None else sample_source(kit, ledger_dir.parent)
        # The ledger names the snapshot served, as the recorder's does: replay finds it.
        ledger = kit.new_ledger(ledger_dir, ledger_id=os.urandom(16), snapshot=served.ref)
        disk = FlakyDisk(ledger._conn)
        ledger._conn = disk
        facts = Facts("Ada Reviewer", "Agency", "ws-01", "sample 1.0", str(ledger.path))
        session = ReviewSession(Recorder(ledger), served, facts)
        running.ledgers.append(ledger.path)
        running.disks.append(disk)

        def close() -> None:
            if not ledger.sealed:
                ledger.close()

        # The ledger names kit.reviewer's key at start; the terminal may countersign.
        theirs = raw_public(kit.reviewer).hex() if terminal_countersigns else None
        return Dispatcher(LocalService(session), reviewer_key=theirs), close

    server = RecorderServer(path, reviewers, open_session, policy)
    server.listen()
    thread = threading.Thread(target=server.serve, daemon=True)
    running = Running(server, thread, path)
    thread.start()
    return running


def cleanup(running: Running) -> None:
    running.stop()
    shutil.rmtree(running.socket.parent, ignore_errors=True)


class RawClient:
    """Frames in, frames out, nothing checked: the hostile terminal."""

    def __init__(self, path: Path) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Only a bound on a test that would hang: listing a 100,000-file directory took
        # over 10 s at load 12. A test that expects no answer sets its own timeout.
        self.sock.settimeout(60)
        self.sock.connect(str(path))

    def send_raw(self, body: bytes) -> None:
        write_frame(self.sock, body)

    def receive(self) -> Any:
        answer = m.answer_decoder.decode(read_frame(self.sock, m.MAX_ANSWER))
        if isinstance(answer, m.State):  # the alerts it was told of (ADR 0220)
            self.told = max([self.told, *(a.number for a in answer.fresh)])
        return answer

    told = 0  # the highest alert number a `status` answered: what this client "showed"

    def unlock(self) -> m.Unlock:
        """An unlock naming every alert this client was told of, as a terminal that
        showed each would (ADR 0220)."""
        return m.Unlock(lock="guard", shown=self.told)

    def ask(self, request: Any) -> Any:
        self.send_raw(m.encoder.encode(request))
        return self.receive()

    def hello(self) -> m.Welcome:
        answer = self.ask(m.Hello(version=m.VERSION))
        assert isinstance(answer, m.Welcome), answer
        return answer

    def search(self, text: str, regex: bool = False) -> Any:
        """`search`, then `wait` until the whole result (or a refusal): that answer."""
        answer = self.ask(m.Search(text=text, regex=regex, case=True, include=[], exclude=[]))
        number = getattr(answer, "id", 0)
        while isinstance(answer, m.Searching) or (isinstance(answer, m.Found) and not answer.done):
            answer = self.ask(m.Wait(id=number))
        return answer

    def unread(self) -> int:
        """Bytes sent that the recorder has not read yet (SIOCOUTQ: an AF_UNIX
        socket's send queue empties only as its peer reads)."""
        return struct.unpack("i", fcntl.ioctl(self.sock, termios.TIOCOUTQ, b"\0" * 4))[0]

    def close(self) -> None:
        self.sock.close()
