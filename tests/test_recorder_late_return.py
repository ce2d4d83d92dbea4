"""The idle lock's return answered too late. The terminal waits 0.1 s for the
answer to `active` (ADR 0217), then leaves the lock up for the next key; the
recorder recorded the return all the same and left its idle state, so every
later `active` was refused (`order`) and the lock never came off: the session
could not go on (seen under load, where the answer came after 0.1 s). The
terminal now records the lock again (`idle`), then the return. A real recorder
process, really stopped (SIGSTOP) while the return is asked."""

from __future__ import annotations

import os
import signal

from cleanroom.recorder.client import RemoteService
from cleanroom.session.recorder import RecordingError
from tests.recorderproc import room  # noqa: F401 (a fixture)
from tests.test_recorder_stopped_long import answered_again, stopped


def test_a_return_answered_too_late_does_not_leave_the_lock_up_for_good(room):  # noqa: F811
    service = RemoteService(room.socket)
    service.serve_loop()  # this thread is the terminal's event loop: it waits 0.1 s
    service.idle(300)  # the idle lock is up
    os.kill(room.process.pid, signal.SIGSTOP)
    try:
        stopped(room.process.pid)
        try:
            service.active(0.0)
        except RecordingError:
            pass  # not recorded in time: the lock stays up
        else:
            raise AssertionError("a return the recorder did not answer lifted the lock")
    finally:
        os.kill(room.process.pid, signal.SIGCONT)
    answered_again(service)  # the late answer is read (and dropped) meanwhile
    service.active(0.0)  # the next key: recorded, so the lock comes off
    service.seal()
    service.close()
    entries = room.entries()
    kinds = [e.kind for e in entries]
    late = kinds.index("active")
    said = [e.payload for e in entries[late:] if e.kind == "blocked"]
    assert any("not_acted_on" in str(p) and "active" in str(p) for p in said), said
    after = kinds[late + 1 :]
    assert after.count("idle") == 1 and after.count("active") == 1, kinds
    assert after.index("idle") < after.index("active"), kinds
