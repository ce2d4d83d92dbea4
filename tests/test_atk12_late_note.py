"""atk12 (outside attack on issue 12): a note saved while the recorder is stopped
is saved twice. The note's save is asked with its own bound so that a save
recorded late is not saved again when tried again (ADR 0219), but a stopped
recorder fails it at 2 s (the process look, ADR 0217): the terminal says the
note was not saved, the recorder records it once it runs again, the late answer
is dropped (a save is not among the requests whose late answer is marked
`not_acted_on`), and the reviewer's second save, as the editor invites, records
a second note. Had the reviewer given up instead, a note they were told was not
saved would leave the room. A real recorder process, real SIGSTOP and SIGCONT."""

from __future__ import annotations

import os
import signal

import pytest

from cleanroom.notes.model import Draft, Place
from cleanroom.recorder.client import RemoteService
from cleanroom.session.recorder import RecordingError
from tests.recorderproc import room  # noqa: F401 (a fixture)
from tests.test_recorder_stopped_long import answered_again, stopped


def test_a_note_saved_while_the_recorder_stalls_is_saved_once(room):  # noqa: F811
    service = RemoteService(room.socket)
    service.serve_loop()  # this thread is the terminal's event loop (the editor saves here)
    opened = service.open_file(b"src/long.py")
    assert service.view(opened, 1, 30, 0, 80) is not None
    draft = Draft("remark", "", "a title", "a body", Place(b"src/long.py", opened.blob, 3, 4))
    os.kill(room.process.pid, signal.SIGSTOP)
    try:
        stopped(room.process.pid)
        with pytest.raises(RecordingError):
            service.save_note(draft)  # the editor says: not saved
    finally:
        os.kill(room.process.pid, signal.SIGCONT)
    answered_again(service)
    service.save_note(draft)  # saved again, as the editor invites
    assert len(service.notes().current) == 1, [n.id for n in service.notes().current]
    service.seal()
    service.close()
    assert [e.kind for e in room.entries()].count("note") == 1
