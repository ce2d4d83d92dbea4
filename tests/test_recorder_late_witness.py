"""A witness code answered after the terminal gave up waiting for it was never put
on screen, yet the recorder recorded it as `witness_shown`: the ledger said the
reviewer was shown a code that is in no paper log. Such a late answer is now
dropped as the other requests that act are (goto, mark, pick, unlock, active):
the terminal records `blocked` `not_acted_on` naming it, and asks the owed
witness again (tui/app.py). A real recorder process, real SIGSTOP and SIGCONT."""

from __future__ import annotations

import os
import signal

from cleanroom.recorder.client import RemoteService
from cleanroom.session.recorder import RecordingError
from tests.recorderproc import room  # noqa: F401 (a fixture)
from tests.test_recorder_stopped_long import answered_again, stopped


def test_a_witness_answered_late_is_recorded_as_not_shown(room):  # noqa: F811
    service = RemoteService(room.socket)
    service.serve_loop()  # this thread is the terminal's event loop: it waits 0.1 s
    before = service.shown_witness
    os.kill(room.process.pid, signal.SIGSTOP)
    try:
        stopped(room.process.pid)
        try:
            service.witness()
        except RecordingError:
            pass  # not shown: the bar keeps the code it had
        else:
            raise AssertionError("a witness the recorder did not answer was shown")
    finally:
        os.kill(room.process.pid, signal.SIGCONT)
    answered_again(service)
    assert service.shown_witness == before
    service.seal()
    service.close()
    entries = room.entries()
    kinds = [e.kind for e in entries]
    assert kinds.count("witness_shown") == 1, kinds  # recorded when it came, late
    after = entries[kinds.index("witness_shown") + 1 :]
    said = [e.payload for e in after if e.kind == "blocked"]
    assert any("not_acted_on" in str(p) and "witness" in str(p) for p in said), said
