"""The guard lock's unlock answered too late (issue 12, ADR 0218). The terminal waits
0.1 s for the answer to `unlock` (ADR 0217), then keeps the lock up and records
that the late answer was not acted on; the recorder recorded the unlock all the
same and left its locked state, so every later `unlock` was refused (`order`)
and the lock never came off: the reviewer was locked out for good. The guard
lock is the recorder's (the terminal cannot raise it again, as it records the
idle lock again), so the recorder now records an unlock of the guard lock it
lifted last, repeated before another lock, as the unlock that took effect; it
changes nothing the recorder permits. A real recorder process, really stopped
(SIGSTOP) while the unlock is asked; the ledger verifies and its report reads
the lock as one stretch."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess

from cleanroom.recorder import messages as m
from cleanroom.recorder.client import RemoteService
from cleanroom.session.recorder import RecordingError
from tests.recorderkit import RawClient
from tests.recorderproc import BIN, room  # noqa: F401 (a fixture)
from tests.test_recorder_attack13 import lock_by_reading_the_snapshot
from tests.test_recorder_faults import wait_for
from tests.test_recorder_stopped_long import BOUND, answered_again, stopped


def guard_locked(service: RemoteService, built) -> int:
    """Raise the guard's lock and wait until the terminal's poll has seen it. Returns
    the highest alert number the poll was handed: what its lock screen lists and
    its unlock names (ADR 0220)."""
    told = [0]

    def locked() -> bool:
        told[0] = max([told[0], *service.check_alerts().numbers])
        return service.state == "guard_lock"

    lock_by_reading_the_snapshot(built)
    wait_for(locked, 30)
    return told[0]


def late_unlock(service: RemoteService, pid: int, shown: int, status: bool = True) -> None:
    """Ask `unlock` while the recorder is stopped: not answered in time, so not done.
    Then, with `status`, ask for it until the recorder answers (as the terminal's
    poll does); else wait only until the late answer is there to read."""
    os.kill(pid, signal.SIGSTOP)
    try:
        stopped(pid)
        try:
            service.unlock("guard", 1.0, shown)
        except RecordingError:
            pass  # not recorded in time: the lock stays up
        else:
            raise AssertionError("an unlock the recorder did not answer lifted the lock")
    finally:
        os.kill(pid, signal.SIGCONT)
    if status:
        answered_again(service)  # the late answer is read (and dropped) meanwhile
    else:
        readable, _, _ = select.select([service._sock], [], [], BOUND)
        assert readable, "the late answer never came"


def test_an_unlock_answered_too_late_does_not_leave_the_lock_up_for_good(room):  # noqa: F811
    service = RemoteService(room.socket)
    service.serve_loop()  # this thread is the terminal's event loop: it waits 0.1 s
    opened = service.open_file(b"src/main.c")
    shown = guard_locked(service, room)
    late_unlock(service, room.process.pid, shown)
    service.unlock("guard", 2.0, shown)  # the next Enter: recorded, so the lock comes off
    assert service.view(opened, 1, 3, 0, 80) is not None  # shown again, recorded first
    service.seal()
    service.close()
    entries = room.entries()
    kinds = [e.kind for e in entries]
    lock = next(i for i, e in enumerate(entries)
                if e.kind == "alert" and e.payload["response"] == "lock")  # fmt: skip
    unlocks = [i for i, k in enumerate(kinds) if k == "unlock"]
    assert len(unlocks) == 2 and lock < unlocks[0], kinds
    between = entries[unlocks[0] + 1 : unlocks[1]]
    said = [str(e.payload) for e in between if e.kind == "blocked"]
    assert any("not_acted_on" in p and "unlock" in p for p in said), kinds  # said first
    assert "refused" not in kinds[lock:], kinds
    first, again = entries[unlocks[0]].payload, entries[unlocks[1]].payload
    assert again["locked_s"] >= first["locked_s"]  # the whole stretch the lock was up
    assert kinds.index("view", unlocks[1]) > unlocks[1]
    verdict_and_report_read_it(room)


def verdict_and_report_read_it(room) -> None:  # noqa: F811
    """`cleanroom verify` finds the ledger intact; its report lists both unlocks,
    the late one followed by the terminal's word that it was not acted on (an
    incident)."""
    ledger = room.ledgers()[-1]
    trust = str(room.base / "keys/vendor.pub")
    verify = subprocess.run([f"{BIN}/python", "-m", "cleanroom", "verify", "--trust", trust,
                             str(ledger)], capture_output=True, text=True, timeout=120)  # fmt: skip
    assert verify.returncode == 0 and "INTACT" in verify.stdout, verify.stdout + verify.stderr
    out = room.base / "report.json"
    report = subprocess.run([f"{BIN}/python", "-m", "cleanroom", "report", "--snapshot",
                             str(room.base / "s.snapshot"), "--trust", trust, "-o", str(out),
                             "--workers", "1", str(ledger)],
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert report.returncode == 0, report.stdout + report.stderr
    read = json.loads(out.read_text())
    assert read["status"] == "INTACT", read["status"]
    events = [(e["kind"], e["payload"]) for e in read["ledgers"][0]["events"]]
    unlocks = [i for i, (kind, _) in enumerate(events) if kind == "unlock"]
    assert len(unlocks) == 2, events  # the late one, then the one that took effect
    said = [p for kind, p in events[unlocks[0] + 1 : unlocks[1]] if kind == "blocked"]
    assert any(p["action"] == "not_acted_on" and p["detail"].startswith("unlock")
               for p in said), events  # fmt: skip
    assert any(i["payload"].get("action") == "not_acted_on" for i in read["incidents"])


def test_the_late_unlock_is_said_not_acted_on_before_the_next_unlock(room):  # noqa: F811
    """The Enter that follows may come before the terminal's next status poll: the
    late answer is then read by that very unlock. The ledger still says the late
    one was not acted on before it records the one that was (it said so after)."""
    service = RemoteService(room.socket)
    service.serve_loop()
    shown = guard_locked(service, room)
    late_unlock(service, room.process.pid, shown, status=False)
    service.unlock("guard", 2.0, shown)
    service.seal()
    service.close()
    entries = room.entries()
    unlocks = [i for i, e in enumerate(entries) if e.kind == "unlock"]
    assert len(unlocks) == 2, [e.kind for e in entries]
    said = [str(e.payload) for e in entries[unlocks[0] + 1 : unlocks[1]] if e.kind == "blocked"]
    assert any("not_acted_on" in p and "unlock" in p for p in said), [e.kind for e in entries]


def test_an_unlock_with_no_lock_lifted_is_still_refused(room):  # noqa: F811
    """Only the lock the recorder lifted last may be unlocked again: an unlock when
    no lock was ever lifted is out of order, as before (and recorded so)."""
    client = RawClient(room.socket)
    client.hello()
    answer = client.ask(m.Unlock(lock="guard"))
    assert isinstance(answer, m.Refused) and answer.reason == "order"
    assert isinstance(client.ask(m.Idle(after_s=60)), m.Ok)
    answer = client.ask(m.Unlock(lock="guard"))
    assert isinstance(answer, m.Refused) and answer.reason == "locked"
    assert "unlock" not in room.kinds()


def test_a_recorder_gone_while_the_late_unlock_is_said_fails_closed(room):  # noqa: F811
    """The late answer is read before the next unlock and its `not_acted_on` sent
    first; the recorder is gone by then (killed after it answered). The unlock
    fails as a recording failure (the lock stays up), never as the terminal's own
    crash (it asked on a connection already dropped: an AssertionError)."""
    service = RemoteService(room.socket)
    service.serve_loop()
    shown = guard_locked(service, room)
    late_unlock(service, room.process.pid, shown, status=False)  # its answer is in the socket
    room.kill9()
    try:
        service.unlock("guard", 2.0, shown)
    except RecordingError:
        pass  # the lock stays up and says why
    else:
        raise AssertionError("an unlock a dead recorder could not record lifted the lock")
    assert service.failure is not None
    service.close()
