"""A long request (quick open's names: bound 30 s) to a recorder that stops or dies
while the terminal waits (issue 12, what remained; ADR 0217). A stopped
recorder holds its socket open and answers nothing: it was noticed only at the
request's 30 s bound, with the code view's source hidden only then. The
terminal now looks at the recorder's process while it waits (SO_PEERCRED,
/proc) and fails closed once it has been stopped for STALL_AFTER; a killed one
closes the socket and is noticed at once. A real recorder process, real
SIGSTOP, SIGCONT and SIGKILL."""

from __future__ import annotations

import os
import signal
import threading
import time

from cleanroom.recorder import liveness
from cleanroom.recorder.client import STALL_AFTER, RemoteService
from cleanroom.session.recorder import RecordingError
from tests.recorderproc import room  # noqa: F401 (a fixture)

BOUND = 20.0  # a test that would hang stops here: the old bound was 30 s


def names_in_thread(service: RemoteService) -> tuple[threading.Thread, dict]:
    """Ask for quick open's names off this thread, as the terminal's worker does."""
    out: dict = {}

    def run() -> None:
        started = time.monotonic()
        out["answer"] = service.names("long", lambda: False)
        out["took"] = time.monotonic() - started
        out["failure"] = service.failure

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, out


def test_a_recorder_stopped_during_a_long_request_fails_it_within_the_stall_bound(room):  # noqa: F811
    service = RemoteService(room.socket)
    assert service.names("long", lambda: False) is not None  # it answers while it runs
    os.kill(room.process.pid, signal.SIGSTOP)
    try:
        thread, out = names_in_thread(service)
        thread.join(BOUND)
        assert not thread.is_alive(), "still waiting: noticed only at the 30 s bound"
    finally:
        os.kill(room.process.pid, signal.SIGCONT)
    assert out["answer"] is None  # nothing listed: quick open says why, lists nothing
    assert "stopped" in out["failure"], out["failure"]
    assert out["took"] >= STALL_AFTER  # stopped that long before it is given up
    # SIGCONT: the owed answer comes and is dropped; the same session goes on.
    deadline = time.monotonic() + BOUND
    while service.names("long", lambda: False) is None:
        assert time.monotonic() < deadline, service.failure
        time.sleep(0.1)
    assert len(service.sessions) == 1
    service.seal()
    service.close()
    assert "client_lost" not in room.kinds()


def test_a_recorder_killed_during_a_long_request_fails_it_at_once(room):  # noqa: F811
    service = RemoteService(room.socket)
    os.kill(room.process.pid, signal.SIGSTOP)  # it has the request, and never answers it
    thread, out = names_in_thread(service)
    time.sleep(0.3)
    room.kill9()
    thread.join(BOUND)
    assert not thread.is_alive(), "still waiting on a dead recorder"
    assert out["answer"] is None and "not answering" in out["failure"], out
    # Noticed as the socket closed (or the process gone), at once: not given up at
    # the stall bound ("its process is stopped", STALL_AFTER) nor at the request's
    # own ("no answer in 30 s"), which are the only other ways this wait ends.
    assert not any(late in out["failure"] for late in ("is stopped", "no answer in")), out
    service.close()


def test_the_terminal_knows_its_recorder_process(room):  # noqa: F811
    """The look at the peer is of the recorder itself (not unknown: that would
    leave only the bound), and a pid whose process is gone reads as gone."""
    service = RemoteService(room.socket)
    peer = service._conn.peer
    assert peer.pid == room.process.pid
    assert peer.state() == liveness.RUNNING
    os.kill(room.process.pid, signal.SIGSTOP)
    try:
        deadline = time.monotonic() + BOUND  # the signal is delivered when it is scheduled
        while peer.state() != liveness.STOPPED:
            assert time.monotonic() < deadline, peer.state()
            time.sleep(0.02)
    finally:
        os.kill(room.process.pid, signal.SIGCONT)
    service.close()
    room.stop()
    assert peer.state() == liveness.GONE


def stopped(pid: int) -> None:
    deadline = time.monotonic() + BOUND
    while liveness.PeerProcess(pid, liveness._stat(pid)[1]).state() != liveness.STOPPED:
        assert time.monotonic() < deadline
        time.sleep(0.02)


def answered_again(service: RemoteService) -> None:
    deadline = time.monotonic() + BOUND
    while not service.retry():
        assert time.monotonic() < deadline, service.failure
        time.sleep(0.05)


def test_a_late_view_is_shown_once_recorded_and_a_late_goto_is_recorded_as_not_done(room):  # noqa: F811
    """As the event loop asks (`serve_loop`): a view answered late is not asked for a
    second time, it is the one shown; a goto answered late was not acted on, and
    the ledger says so after it."""
    service = RemoteService(room.socket)
    service.serve_loop()  # this thread is the terminal's event loop
    opened = service.open_file(b"src/long.py")
    os.kill(room.process.pid, signal.SIGSTOP)
    try:
        stopped(room.process.pid)
        assert service.view(opened, 1, 10, 0, 80) is None  # not waited for: hidden
        assert service.waiting
    finally:
        os.kill(room.process.pid, signal.SIGCONT)
    answered_again(service)
    screen = service.view(opened, 1, 10, 0, 80)  # the late answer, not a second view
    assert screen is not None and screen.first == 1
    os.kill(room.process.pid, signal.SIGSTOP)
    try:
        stopped(room.process.pid)
        try:
            service.goto(opened, 40)
        except RecordingError:
            pass  # not done: the terminal does not scroll
        else:
            raise AssertionError("a goto the recorder did not answer was acted on")
    finally:
        os.kill(room.process.pid, signal.SIGCONT)
    answered_again(service)
    service.seal()
    service.close()
    kinds = room.kinds()
    assert kinds.count("view") == 1, kinds
    after_goto = room.entries()[kinds.index("goto") + 1 :]
    said = [e.payload for e in after_goto if e.kind == "blocked"]
    assert any("not_acted_on" in str(p) and "goto" in str(p) for p in said), said
