"""The kiosk login: a reviewer's login shell that starts the terminal and nothing else.

The launcher is rendered with a probe in place of Python, which records its
arguments, environment and process id: so the test sees exactly what the
launcher would start, that it replaced itself (no shell remains), and that
nothing a caller passes (`su -c`, `ssh host CMD`, variables) gets through.
"""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

from cleanroom.workstation import layout
from cleanroom.workstation.layout import Layout
from cleanroom.workstation.plan import values
from cleanroom.workstation.templates import render
from tests.workstationkit import Room

PROBE = """#!/bin/sh
out=$(dirname "$0")/probe.out
{ echo "pid=$$"; for a in "$@"; do echo "arg=$a"; done; env | sed 's/^/env=/'; } > "$out"
"""


def _kiosk(tmp_path: Path) -> tuple[Path, Path]:
    probe = tmp_path / "python3"
    probe.write_text(PROBE)
    probe.chmod(0o755)
    kiosk = tmp_path / "kiosk-login"
    kiosk.write_bytes(render("kiosk-login", values(Layout(), str(probe))))
    kiosk.chmod(0o755)
    return kiosk, tmp_path / "probe.out"


HOSTILE_ENV = {
    "PYTHONSTARTUP": "/tmp/evil.py",
    "PYTHONPATH": "/tmp",
    "TEXTUAL_DRIVER": "x",
    "ENV": "/tmp/evil.sh",
    "BASH_ENV": "/tmp/evil.sh",
    "TERM": "xterm-256color",
    "HOME": "/home/ada",
    "USER": "ada",
    "LOGNAME": "ada",
}


def _login(kiosk: Path, canary: Path) -> tuple[int, int, str]:
    """Start the launcher on a pseudo-terminal as login does (argv[0] `-kiosk-login`)
    with a command as `su -c` passes it. Returns its pid, exit status and output."""
    pid, fd = pty.fork()
    if pid == 0:
        os.execve(str(kiosk), ["-kiosk-login", "-c", f"touch {canary}"], HOSTILE_ENV)
    output = b""
    while True:
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return pid, os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def test_the_kiosk_execs_the_terminal_alone_with_a_clean_environment(tmp_path: Path):
    kiosk, out = _kiosk(tmp_path)
    canary = tmp_path / "canary"
    pid, code, _ = _login(kiosk, canary)
    assert code == 0
    lines = out.read_text().splitlines()
    assert f"pid={pid}" in lines  # exec'd: the launcher's own process became the terminal
    args = [line[4:] for line in lines if line.startswith("arg=")]
    assert args == ["-I", "-m", "cleanroom", "review", "--connect", layout.SOCKET]
    env = dict(line[4:].split("=", 1) for line in lines if line.startswith("env="))
    env.pop("PWD", None)  # the probe's own shell sets it
    assert env == {
        "TERM": "xterm-256color",
        "LANG": "C.UTF-8",
        "HOME": "/home/ada",
        "USER": "ada",
        "LOGNAME": "ada",
        "PATH": "/usr/bin:/bin",
    }
    assert not canary.exists()


def test_the_kiosk_refuses_to_run_without_a_terminal(tmp_path: Path):
    kiosk, out = _kiosk(tmp_path)
    canary = tmp_path / "canary"
    done = subprocess.run(
        [str(kiosk), "-c", f"touch {canary}"], stdin=subprocess.DEVNULL,
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert done.returncode == 1
    assert "needs a terminal" in done.stderr
    assert not out.exists() and not canary.exists()


def test_the_installed_kiosk_is_the_reviewers_shell_and_starts_this_python(room: Room):
    assert room.install("--reviewer", room.reviewer()).returncode == 0
    text = room.at(layout.KIOSK).read_text()
    assert (
        f"{os.path.abspath(sys.executable)} -I -m cleanroom review --connect {layout.SOCKET}"
        in text
    )
    assert "$@" not in text and "$*" not in text
    import pwd

    assert pwd.getpwnam(room.reviewer()).pw_shell == layout.KIOSK
    shells = Path("/etc/shells").read_text() if Path("/etc/shells").exists() else ""
    assert layout.KIOSK not in shells.split()  # so chsh refuses the reviewer a new shell
