"""Under `on_client_lost = "wait"` a session waits for its reviewer at most
`wait_minutes`, and the operator can end the wait at once (SIGUSR1): either way
the session is sealed with the reason recorded, and the next reviewer gets a new
session. A reviewer who never comes back no longer blocks every other one
(protocol.md §8). Real recorder processes and real ledgers."""

from __future__ import annotations

import shutil
import signal

import click
import pytest

from cleanroom.cli.recorder_config import recorder_config
from cleanroom.recorder import messages as m
from cleanroom.recorder.server import WAIT_LIMIT
from tests.recorderkit import RawClient
from tests.recorderproc import build_room
from tests.test_recorder_faults import wait_for


def room_with(wait_minutes: float | None):
    built = build_room("wait")
    if wait_minutes is not None:
        text = built.config.read_text()
        built.config.write_text(
            text.replace("[recorder]", f"[recorder]\nwait_minutes = {wait_minutes}")
        )
    built.start()
    return built


@pytest.fixture
def rooms():
    made = []
    yield lambda wait_minutes=None: made.append(room_with(wait_minutes)) or made[-1]
    for built in made:
        if built.process is not None and built.process.poll() is None:
            built.stop()
        print(built.log()[-3000:])  # shown when the test failed
        shutil.rmtree(built.base, ignore_errors=True)


def leave(room) -> str:
    """A reviewer opens a file and goes away without a seal; the session id."""
    client = RawClient(room.socket)
    welcome = client.hello()
    assert isinstance(client.ask(m.Open(path=b"src/long.py")), m.Opened)
    client.close()
    wait_for(lambda: "client_lost" in room.kinds())
    return welcome.session_id


def ends(room) -> list[tuple[str, dict]]:
    """(kind, payload) of the last two entries of the first ledger but the guard's
    alerts (flushed at the seal, whenever they came)."""
    return [(e.kind, e.payload) for e in room.entries(room.ledgers()[0]) if e.kind != "alert"][-2:]


def test_a_session_nobody_comes_back_to_is_sealed_when_its_wait_runs_out(rooms):
    room = rooms(0.02)  # 1.2 s
    first = leave(room)
    wait_for(lambda: "session_end" in room.kinds(room.ledgers()[0]), timeout=30)
    (lost, why), (end, sealed) = ends(room)
    assert (lost, end) == ("client_lost", "session_end")
    assert why["policy"] == "seal" and "did not come back within 1.2 s" in why["detail"]
    assert sealed["reason"] == "client_lost"
    # The next reviewer gets a session of their own, not the sealed one.
    client = RawClient(room.socket)
    assert client.hello().session_id != first
    wait_for(lambda: len(room.ledgers()) == 2)
    assert isinstance(client.ask(m.Seal()), m.Sealed)


def test_the_operator_ends_a_wait_at_once_with_sigusr1(rooms):
    room = rooms()  # the default: 30 minutes
    first = leave(room)
    room.process.send_signal(signal.SIGUSR1)
    wait_for(lambda: "session_end" in room.kinds(room.ledgers()[0]))
    (lost, why), (_, sealed) = ends(room)
    assert lost == "client_lost" and "the operator ended the wait" in why["detail"]
    assert "SIGUSR1" in why["detail"] and sealed["reason"] == "client_lost"
    client = RawClient(room.socket)
    assert client.hello().session_id != first
    assert isinstance(client.ask(m.Seal()), m.Sealed)
    assert room.process.poll() is None  # the service goes on


def test_sigusr1_leaves_a_session_being_served_alone(rooms):
    room = rooms()
    client = RawClient(room.socket)
    client.hello()
    room.process.send_signal(signal.SIGUSR1)
    wait_for(lambda: "no session waits" in room.log())
    assert isinstance(client.ask(m.Open(path=b"src/long.py")), m.Opened)
    assert "session_end" not in room.kinds()
    assert isinstance(client.ask(m.Seal()), m.Sealed)


def test_a_session_waits_for_its_reviewer_within_the_limit(rooms):
    room = rooms()
    first = leave(room)
    client = RawClient(room.socket)
    assert client.hello().session_id == first  # resumed, not sealed
    assert "session_end" not in room.kinds()
    assert isinstance(client.ask(m.Seal()), m.Sealed)


@pytest.mark.parametrize("value", [0, -1, 1441, "30", True, float("nan")])
def test_wait_minutes_must_be_a_sane_number(value):
    table = {"reviewers": ["user:root"], "wait_minutes": value}
    with pytest.raises(click.UsageError, match="wait_minutes"):
        recorder_config(table, "workstation.toml")


def test_wait_minutes_defaults_to_half_an_hour():
    assert (
        recorder_config({"reviewers": ["user:root"]}, "w").wait_minutes * 60 == WAIT_LIMIT == 1800
    )
    assert recorder_config({"reviewers": ["user:root"], "wait_minutes": 5}, "w").wait_minutes == 5
