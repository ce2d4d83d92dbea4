"""Faults with real processes and kill -9 (issue 13, "Faults"): the terminal
killed mid-session (client_lost, then a seal or a wait for the same reviewer),
the recorder killed and restarted (the terminal shows nothing meanwhile, then
reconnects to the resumed ledger), and a full ledger disk (nothing served that
cannot be recorded). Nothing committed is lost."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from cleanroom.recorder import messages as m
from cleanroom.recorder.client import RemoteService
from cleanroom.session.recorder import RecordingError
from tests.recorderkit import RawClient, cleanup, start
from tests.recorderproc import build_room

CLIENT = textwrap.dedent("""
    import sys, time
    from tests.recorderkit import RawClient
    from cleanroom.recorder import messages as m
    c = RawClient(sys.argv[1])
    c.hello()
    o = c.ask(m.Open(path=b"src/long.py"))
    print(c.ask(m.View(path=o.path, blob=o.blob, first=1, last=20, col=0, cols=80)).entries,
          flush=True)
    time.sleep(600)
""")


def terminal_process(room):
    """A terminal in its own process that opens a file, shows a screen and hangs."""
    proc = subprocess.Popen([sys.executable, "-c", CLIENT, str(room.socket)],
                            stdout=subprocess.PIPE, text=True, cwd=os.getcwd())  # fmt: skip
    line = proc.stdout.readline()
    assert line.strip().isdigit(), room.log()
    return proc, int(line)


@pytest.fixture
def room(request):
    policy = getattr(request, "param", "seal")
    built = build_room(policy)
    built.start()
    yield built
    if built.process is not None and built.process.poll() is None:
        built.stop()
    shutil.rmtree(built.base, ignore_errors=True)


def wait_for(check, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


def test_a_terminal_killed_mid_session_is_recorded_and_sealed(room):
    proc, entries = terminal_process(room)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    wait_for(lambda: room.kinds()[-1] == "session_end")
    kinds = room.kinds()
    assert kinds[entries - 1] == "view"  # everything answered is still there
    after = [k for k in kinds[entries:] if k != "alert"]  # the guard's, flushed at the seal
    assert after == ["client_lost", "session_end"], room.entries()[entries:]
    end = room.entries()[-1].payload
    assert end["reason"] == "client_lost"


@pytest.mark.parametrize("room", ["wait"], indirect=True)
def test_with_wait_the_same_reviewer_resumes_the_session(room):
    proc, _ = terminal_process(room)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)
    wait_for(lambda: "client_lost" in room.kinds())
    client = RawClient(room.socket)
    welcome = client.hello()
    assert welcome.state == "ready"
    o = client.ask(m.Open(path=b"README.md"))
    assert isinstance(o, m.Opened)
    assert isinstance(client.ask(m.Seal()), m.Sealed)
    kinds = [k for k in room.kinds() if k != "alert"]  # the guard's own, whenever they come
    assert len(room.ledgers()) == 1
    assert kinds[kinds.index("client_lost") + 1] == "client_resume"
    assert kinds[-2:] == ["file_open", "session_end"]


def test_a_killed_recorder_hides_everything_then_the_session_resumes(room):
    service = RemoteService(room.socket)
    facts = service.open_file(b"src/long.py")
    screen = service.view(facts, 1, 10, 0, 80)
    assert screen is not None and screen.lines[0].startswith(b"value_0")
    before = service.entries
    room.kill9()
    assert service.view(facts, 2, 11, 0, 80) is None  # nothing unrecorded, at once
    assert service.failure is not None
    with pytest.raises(RecordingError):
        service.open_file(b"README.md")
    room.start()
    wait_for(service.retry, 30)
    screen = service.view(facts, 2, 11, 0, 80)
    assert screen is not None and screen.first == 2
    kinds = room.kinds()
    assert len(room.ledgers()) == 1 and len(kinds) > before
    resumed = kinds.index("session_resume")
    assert resumed == before  # every entry committed before the kill is kept
    again = [k for k in kinds[resumed + 1 :] if k != "alert"]
    assert again[-2:] == ["file_open", "view"]  # the file again, then the screen
    service.seal()
    assert room.kinds()[-1] == "session_end"


def test_a_full_ledger_disk_serves_nothing_and_recovers_on_record(kit, ledger_dir):
    running = start(kit, ledger_dir)
    try:
        client = RawClient(running.socket)
        client.hello()
        o = client.ask(m.Open(path=b"src/long.py"))
        running.disks[-1].full = True
        answer = client.ask(m.View(path=o.path, blob=o.blob, first=1, last=5, col=0, cols=80))
        assert isinstance(answer, m.Failed)  # no lines: they could not be recorded
        assert isinstance(client.ask(m.Names(query="")), m.Failed)
        bad = client.ask(m.View(path=o.path, blob=o.blob, first=0, last=5, col=0, cols=80))
        assert isinstance(bad, m.Failed)  # its refusal cannot be recorded either: answered so
        running.disks[-1].full = False
        answer = client.ask(m.View(path=o.path, blob=o.blob, first=1, last=5, col=0, cols=80))
        assert isinstance(answer, m.Lines)
        kinds = running.kinds()
        assert kinds[-2:] == ["recording_failed", "view"]
        assert kinds.count("view") == 1
    finally:
        cleanup(running)


def test_a_guard_lock_is_enforced_in_the_recorder(room):
    """A modified terminal that ignores the lock gets nothing: the recorder refuses."""
    client = RawClient(room.socket)
    client.hello()
    o = client.ask(m.Open(path=b"src/main.c"))
    view = m.View(path=o.path, blob=o.blob, first=1, last=3, col=0, cols=80)
    assert isinstance(client.ask(view), m.Lines)
    reader = f"open({str(room.base / 's.snapshot')!r}, 'rb').read(4096)"
    subprocess.run([sys.executable, "-c", reader], check=True, timeout=30)
    wait_for(lambda: client.ask(m.Status()).state == "guard_lock", 15)
    answer = client.ask(view)
    assert isinstance(answer, m.Refused) and answer.reason == "locked"
    assert isinstance(client.ask(client.unlock()), m.Ok)
    assert isinstance(client.ask(view), m.Lines)
    entries = room.entries()
    kinds = [e.kind for e in entries]
    lock = next(i for i, e in enumerate(entries)
                if e.kind == "alert" and e.payload["response"] == "lock")  # fmt: skip
    refused = kinds.index("refused")
    assert lock < refused < kinds.index("unlock") < len(kinds) - 1 and kinds[-1] == "view"
    assert entries[refused].payload == {"request": "view", "reason": "locked", "detail": ""}


@pytest.mark.parametrize("room", ["wait"], indirect=True)
def test_a_lock_survives_a_reconnect(room):
    client = RawClient(room.socket)
    client.hello()
    o = client.ask(m.Open(path=b"src/main.c"))
    assert isinstance(client.ask(m.Idle(after_s=300)), m.Ok)
    client.close()
    wait_for(lambda: "client_lost" in room.kinds())
    again = RawClient(room.socket)
    assert again.hello().state == "idle"
    answer = again.ask(m.View(path=o.path, blob=o.blob, first=1, last=3, col=0, cols=80))
    assert isinstance(answer, m.Refused) and answer.reason == "locked"
