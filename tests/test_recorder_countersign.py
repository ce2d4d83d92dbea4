"""The reviewer's own countersignature over the socket (docs/protocol.md §5b,
ADR 0214): the terminal holds the reviewer's private key, the recorder only its
public key ([recorder] reviewer_public_key). At the seal the recorder sends the
exact bytes `session_end` carries the countersignature over, the terminal signs
them, and the recorder checks the signature before it writes it: the ledger is
what `cleanroom verify --reviewer-key` checks (docs/ledger-format.md). A forged
or missing signature is refused and recorded, and the session is sealed without
it; so is a terminal that never answers, after a bound."""

from __future__ import annotations

import selectors
import shutil
import subprocess
import threading
import time
from contextlib import contextmanager

import pytest

import cleanroom.recorder.seal_requests as seal_requests
import cleanroom.recorder.server as server_module
from cleanroom.ledger.encoding import COUNTERSIGN_DOMAIN
from cleanroom.ledger.keys import Role, raw_public, write_private_key, write_public_key
from cleanroom.recorder import messages as m
from cleanroom.recorder.client import RemoteService
from tests.ledgerkit import seeded_key
from tests.recorderkit import RawClient, cleanup, start
from tests.recorderproc import BIN, build_room

REVIEWER = seeded_key("rec/reviewer")
FORGER = seeded_key("rec/forger")


@pytest.fixture
def room():
    """A real recorder process that knows only the reviewer's public key."""
    built = build_room()
    keys = built.base / "keys"
    write_private_key(keys / "reviewer.key", REVIEWER, role=Role.REVIEWER)  # the terminal's
    write_public_key(keys / "reviewer.pub", REVIEWER.public_key(), role=Role.REVIEWER)
    text = built.config.read_text()
    built.config.write_text(text + f'reviewer_public_key = "{keys}/reviewer.pub"\n')
    built.start()
    yield built
    if built.process is not None and built.process.poll() is None:
        built.stop()
    shutil.rmtree(built.base, ignore_errors=True)


def verify(built) -> subprocess.CompletedProcess:
    return subprocess.run(
        [f"{BIN}/python", "-m", "cleanroom", "verify",
         "--trust", str(built.base / "keys/vendor.pub"),
         "--reviewer-key", str(built.base / "keys/reviewer.pub"), str(built.ledgers()[-1])],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_the_terminal_countersigns_with_its_own_key_and_the_ledger_verifies(room):
    service = RemoteService(room.socket, REVIEWER)
    receipt = service.seal()
    service.close()
    assert service.countersigned and receipt.seq > 0
    entries = room.entries()
    end = entries[-1]
    assert end.kind == "session_end" and end.payload["reason"] == "reviewer"
    assert end.payload["countersign"]["key"] == raw_public(REVIEWER).hex()
    assert entries[0].payload["reviewer"]["key"] == raw_public(REVIEWER).hex()
    done = verify(room)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "INTACT" in done.stdout and "NOT_COUNTERSIGNED" not in done.stdout, done.stdout
    assert "countersign" not in [e.payload.get("reason") for e in entries if e.kind == "refused"]


@pytest.mark.parametrize("forged", ["other key", "garbage", "empty", "other bytes"])
def test_a_forged_countersignature_is_refused_recorded_and_the_seal_goes_on(room, forged):
    client = RawClient(room.socket)
    client.hello()
    ask = client.ask(m.Seal(reason="reviewer"))
    assert isinstance(ask, m.Countersign), ask
    assert ask.message.startswith(COUNTERSIGN_DOMAIN) and ask.key == raw_public(REVIEWER).hex()
    sig = {"other key": FORGER.sign(ask.message), "garbage": b"\x01" * 64, "empty": b"",
           "other bytes": REVIEWER.sign(ask.message[:-1] + b"\x00")}[forged]  # fmt: skip
    sealed = client.ask(m.Countersignature(sig=sig))
    assert isinstance(sealed, m.Sealed) and not sealed.countersigned, sealed
    entries = room.entries()
    refused = entries[-2]
    assert refused.kind == "refused" and refused.payload["request"] == "countersignature"
    assert refused.payload["reason"] == "countersign"
    assert entries[-1].kind == "session_end" and entries[-1].payload["countersign"] is None
    done = verify(room)  # sealed, intact, and the verdict says it lacks the countersignature
    assert "NOT_COUNTERSIGNED" in done.stdout, done.stdout + done.stderr


def test_nothing_that_records_is_served_while_the_seal_waits(room):
    client = RawClient(room.socket)
    client.hello()
    assert isinstance(client.ask(m.Seal(reason="reviewer")), m.Countersign)
    assert isinstance(client.ask(m.Status()), m.State)  # records nothing: served
    tree = client.ask(m.Tree(path=b""))
    assert isinstance(tree, m.Refused) and tree.reason == "order"
    # The refusal is recorded, so the bytes sent are no longer the seal's: even the
    # genuine reviewer's signature over them is refused now.
    sealed = client.ask(m.Countersignature(sig=b"\x00" * 64))
    assert isinstance(sealed, m.Sealed) and not sealed.countersigned


@contextmanager
def asked_to_countersign(kit, ledger_dir):
    """A recorder (in-process, on a real socket) whose terminal asked for the seal:
    the recorder, the terminal's connection and the `countersign` it was sent."""
    running = start(kit, ledger_dir, policy="wait", terminal_countersigns=True)
    try:
        client = RawClient(running.socket)
        client.hello()
        ask = client.ask(m.Seal(reason="reviewer"))
        assert isinstance(ask, m.Countersign), ask
        yield running, client, ask
    finally:
        cleanup(running)


def sealed_soon(running) -> list[str]:
    """The entry kinds once `session_end` is written (within 20 s)."""
    deadline = time.monotonic() + 20
    while "session_end" not in running.kinds():
        assert time.monotonic() < deadline, running.kinds()
        time.sleep(0.1)
    return running.kinds()


def test_a_terminal_that_never_answers_is_sealed_without_after_the_bound(kit, ledger_dir,
                                                                         monkeypatch):  # fmt: skip
    monkeypatch.setattr(seal_requests, "COUNTERSIGN_SECONDS", 1.0)
    with asked_to_countersign(kit, ledger_dir) as (running, client, ask):
        assert ask.seconds == 1.0
        sealed_soon(running)  # the terminal says nothing at all
        entries = running.entries()
        assert entries[-1].payload["countersign"] is None
        assert entries[-2].kind == "refused" and "within" in entries[-2].payload["detail"]
        late = client.ask(m.Countersignature(sig=kit.reviewer.sign(ask.message)))
        assert isinstance(late, m.Refused) and late.reason == "ended"
        client.close()


def test_a_terminal_that_leaves_at_the_seal_is_sealed_whatever_the_policy(kit, ledger_dir):
    with asked_to_countersign(kit, ledger_dir) as (running, client, _):
        client.close()
        kinds = sealed_soon(running)
        assert kinds[-3:] == ["client_lost", "refused", "session_end"], kinds


def test_the_reviewer_key_signs_nothing_but_this_sessions_seal(kit, ledger_dir):
    """A recorder may send any bytes: the terminal signs only a countersignature
    message of its own session's ledger, under its own key."""
    from cleanroom.recorder.answers import countersignature

    session = "ab" * 16
    good = COUNTERSIGN_DOMAIN + bytes.fromhex(session) + b"\x00" * 7 + b"\x05" + b"\x11" * 32
    mine = raw_public(REVIEWER).hex()
    assert countersignature(m.Countersign(message=good, key=mine, seconds=1), REVIEWER, session)
    for message, key in ((b"anything at all", mine), (good + b"x", mine), (good[:-1], mine),
                         (good.replace(bytes.fromhex(session), b"\xcd" * 16), mine),
                         (good, raw_public(FORGER).hex())):  # fmt: skip
        ask = m.Countersign(message=message, key=key, seconds=1)
        assert countersignature(ask, REVIEWER, session) == b""
    assert countersignature(m.Countersign(message=good, key=mine, seconds=1), None, session) == b""


def test_the_terminal_reads_only_a_reviewer_key(tmp_path):
    """`review --connect --reviewer-key` loads the key in the terminal before it
    connects: a key of another role is a usage error naming the option."""
    from cleanroom.ledger.keys import write_private_key as write
    from tests.test_cli_recorder import run

    wrong = tmp_path / "ws.key"
    write(wrong, seeded_key("rec/ws"), role=Role.WORKSTATION)
    out = run("review", "--connect", str(tmp_path / "no.sock"), "--reviewer-key", str(wrong))
    assert out.returncode == 2 and "--reviewer-key" in out.stderr, out.stderr
    assert "Traceback" not in out.stderr


def test_a_countersignature_that_came_in_time_counts_though_the_recorder_stalled(
    kit, ledger_dir, monkeypatch
):
    """The recorder, not the terminal, was late: it stalled (load, SIGSTOP) past the
    deadline while the signature waited in its socket. It reads the signature
    before it looks at the clock (outside attack on issue 13: it was refused as
    "no countersignature within 30 s")."""
    monkeypatch.setattr(seal_requests, "COUNTERSIGN_SECONDS", 1.0)
    stall = threading.Event()

    class Stalling(selectors.DefaultSelector):  # type: ignore[misc, valid-type]
        def select(self, timeout=None):  # the recorder stops, as under SIGSTOP
            if stall.is_set():
                stall.clear()
                time.sleep(2.0)
            return super().select(timeout)

    monkeypatch.setattr(server_module.selectors, "DefaultSelector", Stalling)
    with asked_to_countersign(kit, ledger_dir) as (running, client, ask):
        assert ask.seconds == 1.0
        stall.set()
        time.sleep(0.5)  # the recorder is in its stall now; the signature comes in time
        answer = client.ask(m.Countersignature(sig=kit.reviewer.sign(ask.message)))
        assert isinstance(answer, m.Sealed) and answer.countersigned, answer
        assert running.entries()[-1].payload["countersign"] is not None
        client.close()
