"""`cleanroom recorder --config` and `cleanroom review --connect`: the contract
wt-workstation's unit and kiosk login call (docs/protocol.md, docs/cli.md)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.recorderproc import build_room

BIN = Path(sys.executable).parent


def run(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([f"{BIN}/cleanroom", *args], capture_output=True, text=True,
                          timeout=timeout, stdin=subprocess.DEVNULL)  # fmt: skip


@pytest.fixture
def room():
    built = build_room()
    yield built
    if built.process is not None and built.process.poll() is None:
        built.stop()
    shutil.rmtree(built.base, ignore_errors=True)


def test_connect_takes_no_other_option(room):
    out = run("review", "--connect", str(room.socket), "--snapshot", "x")
    assert out.returncode == 2 and "--connect takes no other option" in out.stderr
    assert "--snapshot" in out.stderr


def in_a_terminal(*args: str, timeout: float = 60) -> tuple[int, str]:
    """Run the command with a pseudo-terminal as stdin, stdout and stderr (the
    terminal refuses to start without one); its exit status and its output."""
    import os
    import pty

    main, side = pty.openpty()
    proc = subprocess.Popen([f"{BIN}/cleanroom", *args], stdin=side, stdout=side, stderr=side)
    os.close(side)
    out = b""
    try:
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # EIO: the child closed its side
                break
            if not chunk:
                break
            out += chunk
        return proc.wait(timeout), out.decode(errors="replace")
    finally:
        os.close(main)


def test_no_recorder_at_the_given_or_the_default_socket_exits_4(room):
    """`--connect` to a socket with no recorder, and `cleanroom review` alone (the
    default socket; here none there, and no key, ledger or snapshot of its own is
    loaded), both exit 4 saying so. Each first gives a recorder that is starting up
    its half-second chances (cli/terminal.py CONNECT_TRIES: 10 s of waiting), so
    the two run at once rather than one after the other."""
    with ThreadPoolExecutor(2) as pool:
        given = pool.submit(in_a_terminal, "review", "--connect", str(room.base / "nothing.sock"))
        default = pool.submit(in_a_terminal, "review")
        (code, out), (default_code, default_out) = given.result(), default.result()
    assert code == 4 and "cannot reach the recorder" in out, out
    flat = "".join(default_out.split())  # the pty wraps long lines
    assert default_code == 4, default_out
    assert "cannotreachtherecorderat/run/cleanroom/recorder.sock" in flat, default_out


def test_connect_without_a_terminal_is_refused_before_the_recorder_is_asked(room):
    out = run("review", "--connect", str(room.base / "nothing.sock"))
    assert out.returncode == 2 and "not a terminal" in out.stderr


@pytest.mark.parametrize(
    "table,message",
    [('reviewers = ["user:root"]\nsokcet = "/x"', "unknown setting [recorder] 'sokcet'"),
     ("on_client_lost = \"seal\"", "reviewers must be a list"),
     ('reviewers = ["user:no-such-account-here"]', "no such user"),
     ('reviewers = ["admin"]', "is not user:NAME or group:NAME"),
     ('reviewers = []', "no reviewer accounts"),
     ('reviewers = ["user:root"]\non_client_lost = "retry"', "seal or wait"),
     ('reviewers = ["user:root"]\nmode = "lab"', "review or demo")],
)  # fmt: skip
def test_the_recorder_table_is_checked_by_name(room, table, message):
    text = room.config.read_text()
    head = text[: text.index("[recorder]")]
    room.config.write_text(head + "[recorder]\n" + table + "\n")
    out = run("recorder", "--config", str(room.config))
    assert out.returncode == 2 and message in out.stderr, out.stderr


def test_the_recorder_stops_on_sigterm_and_removes_its_socket(room):
    room.start()
    assert room.socket.exists()
    assert room.stop() == 0
    assert not room.socket.exists()


@pytest.mark.parametrize("given", [["--snapshot", "s"], ["--config", "CONFIG"],
                                   ["--reviewer", "Ada", "--org", "Agency"]])  # fmt: skip
def test_review_runs_a_session_in_process_only_with_the_development_flag(room, given):
    args = [str(room.config) if a == "CONFIG" else a for a in given]
    out = run("review", *args, "--ledger-dir", str(room.base / "new"), "--create-ledger-dir")
    assert out.returncode == 2 and "--in-process" in out.stderr, out.stderr
    assert "no privilege separation" in out.stderr and "Traceback" not in out.stderr
    assert not (room.base / "new").exists()


def test_connect_and_in_process_are_exclusive(room):
    out = run("review", "--connect", str(room.socket), "--in-process")
    assert out.returncode == 2 and "--connect takes no other option" in out.stderr


def test_the_recorder_refuses_a_configured_reviewer_name(room):
    """The reviewer is the terminal's account: a name in the config would be a
    second, unchecked source of it."""
    room.config.write_text('reviewer = "Ada Reviewer"\n' + room.config.read_text())
    out = run("recorder", "--config", str(room.config))
    assert out.returncode == 2 and "remove `reviewer`" in out.stderr, out.stderr
    assert "SO_PEERCRED" in out.stderr and not room.socket.exists()


def test_the_rooms_idle_lock_and_witness_interval_reach_the_terminal(room):
    """A terminal started by `review --connect` has no config of its own: the
    recorder's `idle-minutes` and `witness-minutes` come in its `welcome`. Before,
    the terminal kept its built-in 300 s whatever the room said (atk12e, LOW 5)."""
    from cleanroom.recorder.client import RemoteService

    text = room.config.read_text()
    room.config.write_text(
        text.replace('org = "Agency"', 'org = "Agency"\nidle-minutes = 1\nwitness-minutes = 7')
    )
    room.start()
    service = RemoteService(room.socket)
    try:
        assert (service.idle_seconds, service.witness_minutes) == (60, 7)
    finally:
        service.close()
