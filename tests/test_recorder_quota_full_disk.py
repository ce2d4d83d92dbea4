"""A disk filled mid-session under the recorder (issue 12's third attack, finding
4), on a real tmpfs with a real recorder process: the quota ends the session but
its seal cannot be written. The recorder's log said "finished (quota)" of an
unsealed ledger, and nothing sealed it once the disk was freed (the next
connection resumed it: `verify` said RESUMED). Now the recorder tries the seal
again while it holds the session, and seals it once there is room; its log never
calls an unsealed session finished; the terminal's end names the real cause."""

from __future__ import annotations

import shutil
import time

from cleanroom.recorder import messages as m
from cleanroom.recorder.client import RECORDER_ENDED, RemoteService
from tests.diskkit import SmallDisk
from tests.recorderkit import RawClient
from tests.recorderproc import build_room
from tests.test_recorder_quota import intact


def ended_room():
    room = build_room()
    disk = SmallDisk(room.base / "disk", size_kb=2048)  # the filler beside the ledgers
    ledgers = disk.path / "ledgers"
    room.config.write_text(
        room.config.read_text().replace(f'"{room.base / "ledgers"}"', f'"{ledgers}"')
        + "ledger_reserve_mb = 0.05\n"
    )
    room.start()
    return room, disk, ledgers


def test_the_recorder_seals_a_quota_end_once_the_disk_has_room():
    room, disk, ledgers = ended_room()
    try:
        client = RawClient(room.socket)
        client.hello()
        opened = client.ask(m.Open(path=b"src/long.py"))
        assert isinstance(opened, m.Opened)
        disk.fill()
        for first in range(1, 200):
            answer = client.ask(m.View(path=opened.path, blob=opened.blob, first=first,
                                       last=first + 20, col=0, cols=100))  # fmt: skip
            if not isinstance(answer, m.Lines):
                break
            time.sleep(0.01)
        state = client.ask(m.Status())
        assert state.ended == "quota" and state.witness_seq < 0, state  # not sealed: no room
        time.sleep(1.0)
        assert "finished (quota)" not in room.log()
        disk.free()
        deadline = time.monotonic() + 30
        while state.witness_seq < 0 and time.monotonic() < deadline:
            time.sleep(0.5)
            state = client.ask(m.Status())
        assert state.witness_seq >= 0, (state, room.log()[-2000:])  # sealed by the recorder
        client.close()
        room.stop()
        (ledger,) = ledgers.glob("*.ledger")
        ends = [e.payload for e in room.entries(ledger) if e.kind == "session_end"]
        assert [e["reason"] for e in ends] == ["quota"]
        assert intact(ledger)
    finally:
        if room.process is not None and room.process.poll() is None:
            room.stop()
        disk.unmount()
        shutil.rmtree(room.base, ignore_errors=True)


def test_the_terminal_names_the_recorders_own_end():
    """The red screen said "(guard: session)" of the quota's end."""
    room, disk, _ = ended_room()
    try:
        service = RemoteService(room.socket)
        opened = service.open_file(b"src/long.py")
        disk.fill()
        check = None
        for first in range(1, 200):
            service.view(opened, first, first + 20, 0, 100)  # until the quota ends it
            check = service.check_alerts()
            if any(a.response == "end" for a in check.fresh):
                break
            time.sleep(0.05)
        assert check is not None
        ends = [a for a in check.fresh if a.response == "end"]
        assert ends and ends[0].category == RECORDER_ENDED and ends[0].detail == "quota", ends
        service.close()
    finally:
        if room.process is not None and room.process.poll() is None:
            room.stop()
        disk.unmount()
        shutil.rmtree(room.base, ignore_errors=True)
