"""atk12 (outside attack on issue 12): a seal answered after the terminal gave up
waiting loses the reviewer's countersignature. With the recorder stopped
(SIGSTOP) when the reviewer seals, the terminal gives up after 2 s (the process
look, ADR 0217). Once the recorder runs again it answers that seal with
`countersign` and waits for the signature (state `countersign`, 30 s); the
terminal dropped that late answer, and each seal it asks again is refused
`order` (each one a `refused` entry). The session is then sealed without the
countersignature the terminal holds the key for. A real recorder process, real
SIGSTOP and SIGCONT, the terminal's own reviewer key."""

from __future__ import annotations

import os
import shutil
import signal

import pytest

from cleanroom.ledger.keys import Role, write_public_key
from cleanroom.recorder.client import RemoteService
from cleanroom.session.recorder import RecordingError
from tests.ledgerkit import seeded_key
from tests.recorderproc import build_room
from tests.test_recorder_stopped_long import answered_again, stopped

REVIEWER = seeded_key("rec/reviewer")


@pytest.fixture
def room():
    """A real recorder process that knows the reviewer's public key."""
    built = build_room()
    keys = built.base / "keys"
    write_public_key(keys / "reviewer.pub", REVIEWER.public_key(), role=Role.REVIEWER)
    built.config.write_text(
        built.config.read_text() + f'reviewer_public_key = "{keys}/reviewer.pub"\n'
    )
    built.start()
    yield built
    if built.process is not None and built.process.poll() is None:
        built.stop()
    shutil.rmtree(built.base, ignore_errors=True)


def test_a_seal_answered_late_is_still_countersigned(room):
    service = RemoteService(room.socket, REVIEWER)
    service.serve_loop()  # this thread is the terminal's event loop
    os.kill(room.process.pid, signal.SIGSTOP)
    try:
        stopped(room.process.pid)
        with pytest.raises(RecordingError):
            service.seal()  # the recorder is stopped: the terminal gives up
    finally:
        os.kill(room.process.pid, signal.SIGCONT)
    answered_again(service)  # the recorder answers again (the late answer is read)
    service.seal()  # the reviewer seals again, as the red end screen does
    assert service.countersigned
    service.close()
    entries = room.entries()
    assert entries[-1].kind == "session_end", [e.kind for e in entries]
    assert not [e for e in entries if e.kind == "refused"], [e.kind for e in entries]
