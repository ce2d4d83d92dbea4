"""`cleanroom workstation check`: clean on a fresh install, and each planted
problem found, one test each, on a real install with real accounts.

Host state that a test cannot change (the machine's network, its sysctls) is
ignored with --ignore in the install-level tests and tested on its own below,
against the real state and against synthetic states.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import pytest

from cleanroom.guard.network import NetworkState, parse_interface, read_network
from cleanroom.workstation import layout
from cleanroom.workstation.check_host import (
    EARLIEST,
    check_network,
    check_sysctls,
    clock_problems,
)
from cleanroom.workstation.problems import CODES
from tests.workstationkit import Room, cleanroom, socket_like_the_recorder

HOST = (
    "--ignore",
    "NETWORK_UP",
    "--ignore",
    "PROTECTED_HARDLINKS",
    "--ignore",
    "PROTECTED_SYMLINKS",
)


@pytest.fixture
def clean(room: Room, room_sources) -> Room:
    """A fresh install whose reviewer's home is on another filesystem than the
    ledgers (/dev/shm is a tmpfs) and whose recorder socket exists."""
    assert os.stat("/dev/shm").st_dev != os.stat(room.root).st_dev
    room.sources = room_sources
    room.adopt(room.reviewer(), Path("/dev/shm") / room.reviewer())
    done = room.install("--reviewer", room.reviewer())
    assert done.returncode == 0, done.stdout + done.stderr
    socket_like_the_recorder(room)
    return room


def test_a_fresh_install_is_clean(clean: Room):
    code, doc = clean.check(*HOST)
    assert doc["problems"] == [] and code == 0
    assert doc["format"] == "cleanroom-workstation-check/1" and doc["ok"] is True


def test_a_fresh_install_without_a_running_recorder_misses_only_the_socket(clean: Room):
    clean.at(layout.SOCKET).unlink()
    assert clean.codes(*HOST) == {"SOCKET_MISSING"}


def _run(*argv: str) -> None:
    subprocess.run(argv, check=True, capture_output=True)


def _plant_file(
    room: Room,
    final: str,
    mode: int,
    owner: str | None = None,
    group: str | None = None,
    mtime: float | None = None,
) -> None:
    p = room.at(final)
    p.write_bytes(b"x")
    p.chmod(mode)
    if owner:
        _run("chown", f"{owner}:{group or owner}", str(p))
    if mtime is not None:
        os.utime(p, (mtime, mtime))


PLANTS = {
    "SERVICE_MISSING": lambda r: _run("userdel", r.service),
    "SERVICE_SHELL": lambda r: _run("usermod", "--shell", "/bin/bash", r.service),
    "SERVICE_PRIVILEGED": lambda r: _run("usermod", "--append", "--groups", "adm", r.service),
    "GROUP_MISSING": lambda r: _run("groupdel", r.group),
    "NO_REVIEWERS": lambda r: _run("gpasswd", "--delete", r.reviewer(), r.group),
    "REVIEWER_SHELL": lambda r: _run("usermod", "--shell", "/bin/sh", r.reviewer()),
    "REVIEWER_PRIVILEGED": lambda r: _run(
        "usermod", "--append", "--groups", r.service, r.reviewer()
    ),
    "MISSING": lambda r: r.at(layout.WORKSTATION_KEY).unlink(),
    "WRONG_TYPE": lambda r: (
        r.at(layout.CERT).unlink(),
        r.at(layout.CERT).symlink_to("/etc/hostname"),
    ),
    "WRONG_OWNER": lambda r: _run("chown", r.reviewer(), str(r.at(layout.SNAPSHOT))),
    "WRONG_MODE": lambda r: r.at(layout.SNAPSHOT).chmod(0o444),
    "EXPOSED": lambda r: _plant_file(r, layout.LEDGERS + "/x.receipt.json", 0o644, r.service),
    "ANCESTOR_WRITABLE": lambda r: r.at("/var/lib").chmod(0o777),
    "CONFIG": lambda r: r.at(layout.CONFIG).write_text(
        r.at(layout.CONFIG).read_text().replace(layout.SNAPSHOT, "/tmp/other.snapshot")
    ),
    "UNIT_CHANGED": lambda r: r.at(layout.UNIT).write_text(
        r.at(layout.UNIT).read_text().replace("NoNewPrivileges=yes\n", "")
    ),
    "KIOSK_CHANGED": lambda r: r.at(layout.KIOSK).write_text("#!/bin/sh\nexec /bin/bash\n"),
    "SOCKET_MISSING": lambda r: r.at(layout.SOCKET).unlink(),
    "SOCKET_OWNER": lambda r: _run("chown", "root:root", str(r.at(layout.SOCKET))),
    "SOCKET_MODE": lambda r: r.at(layout.SOCKET).chmod(0o666),
    "LEDGER_SHARES_HOME_FS": lambda r: (
        r.at("/home/x").mkdir(parents=True),
        _run("usermod", "--home", str(r.at("/home/x")), r.reviewer()),
    ),
    "CLOCK_BEHIND_LEDGER": lambda r: _plant_file(
        r, layout.LEDGERS + "/future.ledger", 0o600, r.service, mtime=time.time() + 86_400
    ),
}
HOST_CODES = {
    "NETWORK_UP",
    "PROTECTED_HARDLINKS",
    "PROTECTED_SYMLINKS",
    "CLOCK_NOT_MONOTONIC",
    "CLOCK_UNSET",
}


def test_every_code_has_a_planted_problem_or_a_host_test():
    assert set(PLANTS) | HOST_CODES == set(CODES)


@pytest.mark.parametrize("code", sorted(PLANTS))
def test_check_finds_each_planted_problem(clean: Room, code: str):
    PLANTS[code](clean)
    rc, text = clean.check_text(*HOST)
    assert rc == 1
    lines = [line for line in text.splitlines() if line.startswith(f"{code}: ")]
    assert lines, text


@pytest.mark.parametrize(
    "edit",
    [
        lambda text: text.replace('"group:', '"user:root", "group:'),
        lambda text: text.replace('socket = "/run/cleanroom/recorder.sock"', 'socket = "/tmp/s"'),
        lambda text: text.replace("[recorder]", "[recorder"),
        lambda text: text.replace('reviewers = ["group:', 'reviewers = []\nx = ["group:'),
        lambda text: "\udcff".encode("utf-8", "surrogateescape").decode("latin-1") + text,
        lambda text: 'reviewer = "Ada Reviewer"\n' + text,
        lambda text: text.replace("[recorder]", '[recorder]\npassphrase_file = "/tmp/p"'),
        lambda text: "\n".join(ln for ln in text.splitlines() if not ln.startswith("org =")),
        lambda text: re.sub(r"(?m)^org = .*$", 'org = "  "', text),
        lambda text: re.sub(r"(?m)^org = .*$", "org = 5", text),
        lambda text: text.replace('on_client_lost = "seal"', 'on_client_lost = "linger"'),
        lambda text: text.replace("[recorder]", '[recorder]\nmode = "demo"'),
        lambda text: text.replace("[recorder]", "[recorder]\nwait_minutes = 0"),
        lambda text: text.replace("[recorder]", '[recorder]\nledger_quota_mb = "1G"'),
    ],
    ids=[
        "foreign-user",
        "socket",
        "unparsable",
        "no-reviewers",
        "not-utf8",
        "reviewer-name",
        "passphrase-elsewhere",
        "no-org",
        "blank-org",
        "org-not-text",
        "unknown-policy",
        "demo-mode",
        "no-wait",
        "quota-not-a-number",
    ],  # fmt: skip
)
def test_a_config_that_points_elsewhere_is_reported(clean: Room, edit):
    config = clean.at(layout.CONFIG)
    config.write_bytes(edit(config.read_text()).encode("latin-1"))
    assert clean.codes(*HOST) == {"CONFIG"}


def test_the_wrong_group_on_a_ledger_file_is_exposed(clean: Room):
    _plant_file(clean, layout.LEDGERS + "/x.ledger", 0o640, clean.service, clean.group)
    assert clean.codes(*HOST) == {"EXPOSED"}


def test_hostile_names_in_the_layout_are_sanitized(clean: Room):
    name = "\x1b]0;pwned\x07\x1b[31mevil\udcff"
    path = os.path.join(os.fsencode(clean.at(layout.LEDGERS)), os.fsencode(name))
    fd = os.open(path, os.O_CREAT | os.O_WRONLY, 0o666)
    os.close(fd)
    os.chmod(path, 0o666)
    text = cleanroom("workstation", "check", *clean.names(), *HOST)
    assert text.returncode == 1
    assert "\x1b" not in text.stdout and "\x07" not in text.stdout
    raw = cleanroom("workstation", "check", *clean.names(), *HOST, "--json").stdout
    raw.encode("ascii")
    doc = json.loads(raw)
    assert any("path_b64" in p for p in doc["problems"])


def test_ignored_codes_are_listed_and_do_not_fail(clean: Room):
    clean.at(layout.SOCKET).unlink()
    rc, doc = clean.check(*HOST, "--ignore", "SOCKET_MISSING")
    assert rc == 0 and doc["problems"] == []
    assert [p["code"] for p in doc["ignored"]].count("SOCKET_MISSING") == 1


def test_an_unknown_code_to_ignore_is_a_usage_error(room: Room):
    done = cleanroom("workstation", "check", *room.names(), "--ignore", "NOPE")
    assert done.returncode == 2


def test_nothing_installed_reports_every_missing_piece(room: Room):
    codes = room.codes(*HOST)
    assert {"SERVICE_MISSING", "GROUP_MISSING", "MISSING", "SOCKET_MISSING"} <= codes


# -- the host: network, sysctls, clock ----------------------------------------------


def test_network_up_follows_the_real_state_of_this_machine(room: Room):
    state = read_network()
    codes = room.codes()
    assert ("NETWORK_UP" in codes) == (not state.isolated)


def test_network_is_judged_by_the_guard():
    up = NetworkState((parse_interface("eth0", "up", "0x1003"),), ())
    down = NetworkState(
        (parse_interface("lo", "unknown", "0x9"), parse_interface("eth0", "down", "0x1002")), ()
    )
    other_namespace = NetworkState((), (), "this process's network namespace is not the host's")
    assert [p.code for p in check_network(lambda: up)] == ["NETWORK_UP"]
    assert check_network(lambda: down) == []
    assert [p.code for p in check_network(lambda: other_namespace)] == ["NETWORK_UP"]


def test_sysctls(tmp_path: Path):
    (tmp_path / "protected_hardlinks").write_text("1\n")
    (tmp_path / "protected_symlinks").write_text("0\n")
    assert [p.code for p in check_sysctls(tmp_path)] == ["PROTECTED_SYMLINKS"]
    (tmp_path / "protected_symlinks").write_text("1\n")
    assert check_sysctls(tmp_path) == []
    (tmp_path / "protected_hardlinks").unlink()
    assert [p.code for p in check_sysctls(tmp_path)] == ["PROTECTED_HARDLINKS"]


def test_the_real_sysctls_are_reported_as_they_are(room: Room):
    values = {
        n: Path(f"/proc/sys/fs/{n}").read_text().strip()
        for n in ("protected_hardlinks", "protected_symlinks")
    }
    codes = room.codes()
    assert ("PROTECTED_HARDLINKS" in codes) == (values["protected_hardlinks"] != "1")
    assert ("PROTECTED_SYMLINKS" in codes) == (values["protected_symlinks"] != "1")


def test_clock_problems():
    now = time.time()
    assert clock_problems([1.0, 2.0, 2.0, 3.0], now, now - 10) == []
    assert [p.code for p in clock_problems([1.0, 2.0, 1.5], now, None)] == ["CLOCK_NOT_MONOTONIC"]
    assert [p.code for p in clock_problems([1.0], EARLIEST - 1, None)] == ["CLOCK_UNSET"]
    assert [p.code for p in clock_problems([1.0], now, now + 3600)] == ["CLOCK_BEHIND_LEDGER"]
    assert clock_problems([], now, now + 1) == []  # within the file system's granularity


def test_the_real_clock_is_monotonic_and_set(room: Room):
    assert not {"CLOCK_NOT_MONOTONIC", "CLOCK_UNSET"} & room.codes()


def test_check_knows_the_recorders_policies():
    from cleanroom.recorder.server import POLICIES
    from cleanroom.workstation import check_config

    assert check_config.POLICIES == POLICIES
