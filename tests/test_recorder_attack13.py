"""The breaks an outside attack found in the recorder split (attack13), each tried
again against a real `cleanroom recorder` process (real socket, keys, snapshot,
guard and ledger): hostile frames that crashed it (F4), a slow peer that held it
(F2), a sealed session served again (F12), a second recorder on the same ledger
directory (F7), the terminal's `blocked` passed off as the recorder's (F8), a
seal countersigned that the reviewer never asked for (F13), and the small state
and config deviations (F10)."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time

import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleanroom.ledger.keys import Role, write_private_key, write_public_key
from cleanroom.recorder import messages as m
from cleanroom.recorder.framing import FrameError, read_frame
from cleanroom.recorder.server import FRAME_TIMEOUT
from tests.ledgerkit import seeded_key
from tests.recorderkit import RawClient
from tests.recorderproc import BIN, build_room
from tests.test_recorder_faults import wait_for

BLOB = "0" * 64


@pytest.fixture
def room():
    built = build_room("seal")
    built.start()
    yield built
    if built.process is not None and built.process.poll() is None:
        built.stop()
    print(built.log()[-3000:])  # shown when the test failed
    shutil.rmtree(built.base, ignore_errors=True)


def frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


def closed_within(client: RawClient, seconds: float) -> bool:
    """The recorder closed the connection within `seconds` (False: it is open)."""
    client.sock.settimeout(seconds)
    try:
        return client.sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def closed(client: RawClient, timeout: float = 10.0) -> bool:
    """The recorder closed the connection (EOF, or a reset)."""
    client.sock.settimeout(timeout)
    try:
        return client.sock.recv(1) == b""
    except ConnectionResetError:
        return True


def refused(room_, reason: str) -> list[dict]:
    return [
        e.payload for e in room_.entries() if e.kind == "refused" and e.payload["reason"] == reason
    ]


# -- F4: nothing a client sends stops the recorder ------------------------------------------


HOSTILE = {
    "invalid UTF-8 in a field": b"\x82\xa1t\xa3key\xa3key\xa1\xff",
    "invalid UTF-8 in the tag": b"\x81\xa1t\xa3k\xffy",
    "an encoded surrogate": b"\x82\xa1t\xa3key\xa3key\xa3\xed\xb3\xbf",
    "an overlong encoding": b"\x82\xa1t\xa3key\xa3key\xa2\xc0\xaf",
    "a code point past U+10FFFF": b"\x82\xa1t\xa3key\xa3key\xa4\xf4\x90\x80\x80",
    "an invalid UTF-8 map key": b"\x82\xa1t\xa6status\xa2\xc3\x28\x01",
    "deep nesting before the tag": b"\x82\xa1x" + b"\x91" * 60000 + b"\xc0\xa1t\xa6status",
}


@pytest.mark.parametrize("body", HOSTILE.values(), ids=HOSTILE.keys())
def test_a_hostile_frame_is_refused_as_malformed_and_the_recorder_serves_on(room, body):
    client = RawClient(room.socket)
    client.hello()
    client.send_raw(body)
    answer = client.receive()
    assert isinstance(answer, m.Refused) and answer.reason == "malformed", answer
    assert isinstance(client.ask(m.Status()), m.State)  # the same connection goes on
    assert room.process.poll() is None, room.log()
    assert [p["request"] for p in refused(room, "malformed")] == ["?"]
    assert "Traceback" not in room.log()


VALID = [
    m.Hello(version=m.VERSION), m.Tree(path=b""), m.Tree(path=b"src"), m.Names(query="lo"),
    m.Open(path=b"src/long.py"), m.Status(), m.Key(key="ctrl+z"), m.Witness(),
    m.View(path=b"src/long.py", blob=BLOB, first=1, last=3, col=0, cols=80),
    m.Search(text="value", regex=False, case=False, include=["*.py"], exclude=[]),
    m.Blocked(action="copy", detail="d"), m.Idle(after_s=5), m.Active(), m.Unlock(lock="guard"),
]  # fmt: skip
VALID_BODIES = [m.encoder.encode(r) for r in VALID]
NASTY = [0x00, 0x7F, 0x80, 0xC0, 0xC1, 0xDC, 0xDD, 0xDE, 0xDF, 0xED, 0xF4, 0xF5, 0xFF]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(VALID_BODIES)))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data)))
        op = draw(st.sampled_from(["set", "insert", "delete", "nest"]))
        byte = draw(st.sampled_from(NASTY) | st.integers(0, 255))
        if op == "set" and at < len(data):
            data[at] = byte
        elif op == "insert":
            data[at:at] = bytes([byte])
        elif op == "delete" and at < len(data):
            del data[at]
        elif op == "nest":
            data[at:at] = b"\x91" * draw(st.integers(1, 30000))
    return bytes(data[: m.MAX_REQUEST])


class Fuzzer:
    """One connection to the recorder, opened again whenever the recorder closes it
    (bye, too many refusals), for a new session when it sealed the old."""

    def __init__(self, path):
        self.path = path
        self.client: RawClient | None = None

    def send(self, body: bytes) -> None:
        if self.client is None:
            self.client = RawClient(self.path)
            self.client.hello()
        try:
            self.client.send_raw(body)
            self.client.receive()
        except (OSError, FrameError, msgspec.MsgspecError):
            self.client.close()
            self.client = None


def test_fuzzed_frames_never_stop_the_recorder(room):
    """Random bytes and mutated valid requests, one frame each, against the live
    recorder: every frame is answered or the connection closed, and the process lives."""
    fuzzer = Fuzzer(room.socket)

    @settings(max_examples=300, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(st.binary(max_size=512) | mutated())
    def one_frame(body: bytes) -> None:
        fuzzer.send(body)
        assert room.process.poll() is None, room.log()[-2000:]

    one_frame()
    if fuzzer.client is not None:
        fuzzer.client.close()
        time.sleep(0.5)  # the recorder sees the end of that connection
    again = RawClient(room.socket)  # and it still starts or serves a session
    again.hello()
    assert isinstance(again.ask(m.Status()), m.State)
    assert "Traceback" not in room.log()


# -- F2: a slow peer does not hold the recorder -------------------------------------------------


def test_a_frame_trickled_in_past_the_deadline_loses_the_client(room):
    client = RawClient(room.socket)
    client.hello()
    data = frame(m.encoder.encode(m.Status()))  # 14 bytes: 13 s at a byte a second
    assert len(data) - 1 > FRAME_TIMEOUT + 5
    sent = 0
    try:
        for byte in data:  # one byte a second: each read is quick, the frame is not
            client.sock.sendall(bytes([byte]))
            sent += 1
            if closed_within(client, 1.0):  # the pace: a byte a second
                break
    except OSError:
        pass  # closed under us: as it should be
    # Dropped before the frame was whole: the deadline runs from its first byte.
    # A deadline that each byte put off would have let all of it in, and answered.
    assert sent < len(data), sent
    assert closed(client)
    lost = [e.payload for e in room.entries() if e.kind == "client_lost"]
    assert lost and "frame took more than" in lost[0]["detail"], lost


def test_sigterm_acts_while_a_frame_trickles_in(room):
    client = RawClient(room.socket)
    client.hello()
    data = frame(m.encoder.encode(m.Status()))
    client.sock.sendall(data[:2])  # ... and the rest never comes
    wait_for(lambda: client.unread() == 0, 20)  # the recorder is inside the frame
    room.process.send_signal(signal.SIGTERM)
    assert room.process.wait(20) == 0, room.log()
    entries = room.entries()
    assert entries[-1].kind == "session_end"
    # Ended by the signal, not by the frame's deadline (FRAME_TIMEOUT after its
    # first bytes): a recorder that waited for the frame lost its client first.
    lost = [e.payload["detail"] for e in entries if e.kind == "client_lost"]
    assert lost == ["the recorder stopped"], lost


def test_a_guard_lock_raised_during_a_slow_frame_applies_to_it(room):
    client = RawClient(room.socket)
    client.hello()
    o = client.ask(m.Open(path=b"src/long.py"))
    data = frame(m.encoder.encode(m.View(path=o.path, blob=o.blob, first=1, last=20,
                                         col=0, cols=80)))  # fmt: skip
    client.sock.sendall(data[:1])
    reader = f"open({str(room.base / 's.snapshot')!r}, 'rb').read(4096)"
    subprocess.run([sys.executable, "-c", reader], check=True, timeout=30)
    time.sleep(1.5)  # the guard reports within its tick; the frame is still incomplete
    client.sock.sendall(data[1:])
    answer = client.receive()
    assert isinstance(answer, m.Refused) and answer.reason == "locked", answer
    kinds = room.kinds()
    assert "view" not in kinds
    lock = max(i for i, e in enumerate(room.entries())
               if e.kind == "alert" and e.payload["response"] == "lock")  # fmt: skip
    assert lock < len(kinds) - 1 and kinds[-1] == "refused"


def test_a_second_connection_is_closed_while_a_frame_trickles_in(room):
    slow = RawClient(room.socket)
    slow.hello()
    slow.sock.sendall(frame(m.encoder.encode(m.Status()))[:2])
    other = RawClient(room.socket)
    other.sock.settimeout(2)  # at once, not after the slow frame
    refusal = other.receive()  # the reason first (protocol §1), then the close
    assert isinstance(refusal, m.Refused) and refusal.reason == "busy", refusal
    assert refusal.detail.startswith("a session is already open by "), refusal
    assert closed(other, timeout=2)
    slow.sock.sendall(frame(m.encoder.encode(m.Status()))[2:])
    assert isinstance(slow.receive(), m.State)


# -- F12: a sealed session never serves again ---------------------------------------------------


def test_a_connection_in_the_same_pass_as_the_loss_gets_a_new_session(room):
    """A leaves in the middle of a search; B connects while it runs: the recorder
    sees A's end and B's connection in one pass. B gets a new session, never A's
    sealed one."""
    for _ in range(5):
        a = RawClient(room.socket)
        first = a.hello()
        a.ask(m.Tree(path=b""))
        a.send_raw(m.encoder.encode(m.Search(text="value_[0-9]+ = [0-9]+", regex=True,
                                             case=False, include=[], exclude=[])))  # fmt: skip
        time.sleep(0.001)
        a.sock.shutdown(socket.SHUT_WR)
        time.sleep(0.001)
        b = RawClient(room.socket)
        welcome = b.hello()
        assert welcome.session_id != first.session_id
        assert isinstance(b.ask(m.Tree(path=b"")), m.Listing)
        b.ask(m.Seal())
        b.ask(m.Bye())
        a.close()
        b.close()
        wait_for(lambda: len(room.ledgers()) >= 1 and room.kinds()[-1] == "session_end")


def test_a_connection_behind_its_predecessors_last_request_and_end_gets_a_new_session(room):
    """The pass above, made certain: the recorder is stopped (SIGSTOP) while A sends a
    last request and closes its end and B connects, so one pass sees A's request, A's
    end and B's connection. The pass reads one frame of A's, which leaves A's end unread
    when B's turn comes: B must still be admitted (A has ended), never refused `busy`."""
    a = RawClient(room.socket)
    first = a.hello()
    os.kill(room.process.pid, signal.SIGSTOP)
    try:
        a.send_raw(m.encoder.encode(m.Tree(path=b"")))
        a.sock.shutdown(socket.SHUT_WR)
        b = RawClient(room.socket)
        b.send_raw(m.encoder.encode(m.Hello(version=m.VERSION)))
    finally:
        os.kill(room.process.pid, signal.SIGCONT)
    welcome = b.receive()
    assert isinstance(welcome, m.Welcome), welcome
    assert welcome.session_id != first.session_id
    assert isinstance(a.receive(), m.Listing)  # A's last request was answered, then its end
    assert closed(a)
    log = room.log()
    assert log.index("client lost: the connection ended (closed)") < log.rindex("serving uid")
    (ended,) = [p for p in room.ledgers() if f"-{first.session_id[:8]}." in p.name]
    kinds = room.kinds(ended)  # A's end is recorded, and its session sealed, first
    assert kinds[-1] == "session_end" and "client_lost" in kinds
    assert isinstance(b.ask(m.Tree(path=b"")), m.Listing)
    a.close()
    b.close()


# -- F7: one recorder per ledger directory ------------------------------------------------------


def test_a_second_recorder_on_the_same_ledger_directory_is_refused(room):
    client = RawClient(room.socket)
    client.hello()
    o = client.ask(m.Open(path=b"src/long.py"))
    second = subprocess.run(
        [f"{BIN}/python", "-I", "-m", "cleanroom", "recorder", "--config", str(room.config)],
        capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert second.returncode == 3, second.stderr
    assert "another recorder already serves the ledger directory" in second.stderr
    assert "Traceback" not in second.stderr
    answer = client.ask(m.View(path=o.path, blob=o.blob, first=1, last=3, col=0, cols=80))
    assert isinstance(answer, m.Lines)  # the first one still serves, on its socket
    assert room.socket.exists()
    client.ask(m.Seal())
    assert len(room.ledgers()) == 1 and room.kinds()[-1] == "session_end"


# -- F5: who is on the socket is recorded -------------------------------------------------------


def test_the_connecting_account_is_recorded_before_anything_is_answered(room):
    client = RawClient(room.socket)
    client.hello()
    entries = room.entries()
    connect = [e for e in entries if e.kind == "client_connect"]
    assert len(connect) == 1
    assert connect[0].payload == {"uid": os.getuid(), "pid": os.getpid(),
                                  "account": pwd.getpwuid(os.getuid()).pw_name}  # fmt: skip


# -- F8: the terminal's word is marked as such ------------------------------------------------


def test_a_blocked_request_is_recorded_as_the_terminals_word(room):
    client = RawClient(room.socket)
    client.hello()
    assert isinstance(client.ask(m.Blocked(action="tampered_content", detail="x")), m.Ok)
    blocked = [e.payload for e in room.entries() if e.kind == "blocked"]
    assert blocked == [{"action": "tampered_content", "detail": "x", "by": "terminal"}]


# -- F13: the recorder countersigns only a seal the reviewer asked for --------------------------


def reviewer_room(tmp_policy: str = "seal"):
    built = build_room(tmp_policy)
    rev = seeded_key("rec/reviewer")
    keys = built.base / "keys"
    write_private_key(keys / "reviewer.key", rev, role=Role.REVIEWER)
    write_public_key(keys / "reviewer.pub", rev.public_key(), role=Role.REVIEWER)
    text = built.config.read_text()
    built.config.write_text(
        text.replace("[recorder]", f'reviewer-key = "{keys}/reviewer.key"\n\n[recorder]')
    )
    built.start()
    return built


def countersigned(built) -> bool:
    end = [e for e in built.entries() if e.kind == "session_end"]
    assert len(end) == 1
    verify = subprocess.run(
        [f"{BIN}/python", "-m", "cleanroom", "verify",
         "--trust", str(built.base / "keys/vendor.pub"),
         "--reviewer-key", str(built.base / "keys/reviewer.pub"), str(built.ledgers()[-1])],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
    return "NOT_COUNTERSIGNED" not in verify.stdout


@pytest.mark.parametrize("sealed_by", ["reviewer", "walked_away"])
def test_only_a_seal_the_reviewer_asked_for_is_countersigned(sealed_by):
    built = reviewer_room()
    try:
        client = RawClient(built.socket)
        client.hello()
        o = client.ask(m.Open(path=b"src/long.py"))
        client.ask(m.View(path=o.path, blob=o.blob, first=1, last=10, col=0, cols=80))
        if sealed_by == "reviewer":
            assert isinstance(client.ask(m.Seal(reason="reviewer")), m.Sealed)
        client.close()
        wait_for(lambda: built.kinds()[-1] == "session_end")
        assert countersigned(built) == (sealed_by == "reviewer")
    finally:
        if built.process is not None and built.process.poll() is None:
            built.stop()
        shutil.rmtree(built.base, ignore_errors=True)


# -- F10: small deviations ----------------------------------------------------------------------


def lock_by_reading_the_snapshot(built) -> None:
    reader = f"open({str(built.base / 's.snapshot')!r}, 'rb').read(4096)"
    subprocess.run([sys.executable, "-c", reader], check=True, timeout=30)


def test_a_lock_before_hello_waits_for_hello(room):
    client = RawClient(room.socket)
    wait_for(lambda: room.ledgers() and "client_connect" in room.kinds(), 15)  # guard running
    time.sleep(0.5)
    lock_by_reading_the_snapshot(room)
    wait_for(lambda: any(e.kind == "alert" and e.payload["response"] == "lock"
                         for e in room.entries()), 15)  # fmt: skip
    answer = client.ask(client.unlock())
    assert isinstance(answer, m.Refused) and answer.reason == "order"
    assert isinstance(client.ask(m.Tree(path=b"")), m.Refused)
    assert client.hello().state == "guard_lock"
    client.ask(m.Status())  # the alert that holds it, as the terminal's poll shows it
    assert isinstance(client.ask(client.unlock()), m.Ok)
    assert isinstance(client.ask(m.Tree(path=b"")), m.Listing)


def test_a_lock_over_an_idle_screen_needs_active_after_unlock(room):
    client = RawClient(room.socket)
    client.hello()
    assert isinstance(client.ask(m.Idle(after_s=60)), m.Ok)
    lock_by_reading_the_snapshot(room)
    wait_for(lambda: client.ask(m.Status()).state == "guard_lock", 15)
    assert isinstance(client.ask(client.unlock()), m.Ok)
    assert client.ask(m.Status()).state == "idle"
    answer = client.ask(m.Tree(path=b""))
    assert isinstance(answer, m.Refused) and answer.reason == "locked"
    assert isinstance(client.ask(m.Active()), m.Ok)
    assert isinstance(client.ask(m.Tree(path=b"")), m.Listing)
    kinds = room.kinds()
    assert kinds.index("idle") < kinds.index("unlock") < kinds.index("active")


@pytest.mark.parametrize("version", [0, m.VERSION + 1, 2**31], ids=["older", "newer", "huge"])
def test_a_hello_of_a_version_not_spoken_is_refused_and_closed(room, version):
    client = RawClient(room.socket)
    answer = client.ask(m.Hello(version=version))
    assert isinstance(answer, m.Refused) and answer.reason == "version"
    assert closed(client)
    assert refused(room, "version")


def test_the_previous_version_is_refused_with_a_frame_it_can_read(room):
    """Version 4 gave `refused` a `detail`; a version-3 terminal's decoder forbids
    unknown fields, so the `version` refusal must carry none: the older terminal
    then says 'version' rather than 'the recorder is not answering'."""
    client = RawClient(room.socket)
    client.send_raw(m.encoder.encode(m.Hello(version=m.VERSION - 1)))
    raw = msgspec.msgpack.decode(read_frame(client.sock, m.MAX_ANSWER))
    assert raw["t"] == "refused" and raw["reason"] == "version", raw
    assert set(raw) <= {"t", "reason", "seq", "entries", "alerts"}, raw  # version 3's fields
    assert closed(client)


def test_a_probe_for_a_missing_name_records_the_name(room):
    client = RawClient(room.socket)
    client.hello()
    answer = client.ask(m.Open(path=b"src/secret\x1b[31m.c"))
    assert isinstance(answer, m.Refused) and answer.reason == "no_such_file"
    (probe,) = refused(room, "no_such_file")
    assert "src/secret" in probe["detail"] and ".c" in probe["detail"]
    assert "\x1b" not in probe["detail"]


@pytest.mark.parametrize("setting, message", [
    ('socket = "/tmp/a\\u0000b"', "NUL"),
    ('socket = "relative/r.sock"', "absolute"),
    ('mode = "demo"', "cleanroom demo"),
])  # fmt: skip
def test_a_room_config_the_recorder_must_not_run_is_refused(setting, message):
    built = build_room("seal")
    try:
        key = setting.split(" =")[0]
        lines = [ln for ln in built.config.read_text().splitlines() if not ln.startswith(key + " ")]
        built.config.write_text("\n".join(lines + [setting, ""]))
        run = subprocess.run(
            [f"{BIN}/python", "-I", "-m", "cleanroom", "recorder", "--config", str(built.config)],
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert run.returncode == 2, run.stderr
        assert message in run.stderr and "Traceback" not in run.stderr
    finally:
        shutil.rmtree(built.base, ignore_errors=True)
