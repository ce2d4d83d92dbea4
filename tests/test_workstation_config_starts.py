"""The workstation.toml that `cleanroom workstation install` writes starts a
recorder (issue 13: the template had no `org`, which the recorder requires, so
an installed room's service exited 2 at once), and `--org` goes into it only
as a TOML string."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from cleanroom.workstation import layout
from tests.workstationkit import Room, cleanroom

ORG = 'Agence "Nord" \\ Süd'  # quotes, a backslash and non-ASCII: all kept as they are


def relocated(room: Room) -> Path:
    """The installed config with every path the layout gives moved under --root, as
    if --root were /: the file itself is what install wrote, line for line."""
    text = room.at(layout.CONFIG).read_text()
    for final in (layout.SNAPSHOT, layout.LEDGERS, layout.WORKSTATION_KEY, layout.CERT,
                  layout.TRUST, layout.SOCKET):  # fmt: skip
        assert f'"{final}"' in text, final
        text = text.replace(f'"{final}"', f'"{room.at(final)}"')
    room.at(layout.SOCKET).parent.mkdir(parents=True, exist_ok=True)
    out = room.root / "relocated.toml"
    out.write_text(text)
    return out


def test_an_installed_config_starts_a_recorder(room: Room, room_sources):
    room.sources = room_sources
    done = room.install("--reviewer", room.reviewer(), org=ORG)
    assert done.returncode == 0, done.stdout + done.stderr
    assert tomllib.loads(room.at(layout.CONFIG).read_text())["org"] == ORG
    config = relocated(room)
    argv = [sys.executable, "-I", "-m", "cleanroom", "recorder", "--config", str(config)]
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while not room.at(layout.SOCKET).exists():
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "the recorder did not start"
            time.sleep(0.05)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
        status = proc.wait(30)
    assert status == 0, proc.stdout.read()


def test_the_first_install_needs_an_org_and_a_later_one_keeps_it(room: Room, room_sources):
    room.sources = room_sources
    first = room.install("--reviewer", room.reviewer(), org=None)
    assert first.returncode == 2 and "--org" in first.stderr, first.stderr
    assert list(room.root.iterdir()) == []  # nothing changed
    assert room.install("--reviewer", room.reviewer(), org="Agency").returncode == 0
    again = room.install("--reviewer", room.reviewer(), org=None)  # the config is kept
    assert again.returncode == 0 and "nothing to change" in again.stdout, again.stderr
    assert tomllib.loads(room.at(layout.CONFIG).read_text())["org"] == "Agency"


@pytest.mark.parametrize("org", ["", "   ", "x" * 129, "Acme\nreviewer = \"mallory\"",
                                 "Acme\x1b[2J", "Acme\u2028"])  # fmt: skip
def test_an_org_that_is_not_one_printable_line_is_refused_before_any_change(room: Room, org):
    done = cleanroom("workstation", "install", *room.names(), "--org", org, "--dry-run")
    assert done.returncode == 2, (org, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and "\x1b" not in done.stderr
    assert list(room.root.iterdir()) == []
