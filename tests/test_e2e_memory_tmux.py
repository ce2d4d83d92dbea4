"""The review process's memory, against another process of the same user, in a
real terminal (tmux): `/proc/PID/mem` cannot be opened, and a fatal signal with
`ulimit -c unlimited` leaves no core file (cleanroom/hardening.py, ADR 0202).

Run as root (as CI does), the review and the reader run as a throwaway account
made with useradd, through `setpriv` keeping only CAP_DAC_READ_SEARCH (the
interpreter lives under /root, which that account cannot otherwise enter). That
capability lets a process read files, not other processes' memory: with the
review process dumpable the reader reads it (the attack review's finding)."""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from tests.test_e2e_signals_tmux import open_a_file
from tests.test_e2e_tmux import workstation  # noqa: F401 (a fixture)
from tests.tmuxkit import Tmux

READER = r"""
import sys
pid = sys.argv[1]
try:
    with open(f"/proc/{pid}/maps") as maps:
        start = int(maps.readline().split("-")[0], 16)
    with open(f"/proc/{pid}/mem", "rb") as mem:
        mem.seek(start)
        print("READ", len(mem.read(4096)))
except OSError as exc:
    print("DENIED", exc.errno)
try:
    with open(f"/proc/{pid}/environ", "rb") as env:
        print("READ", len(env.read()))
except OSError as exc:
    print("DENIED", exc.errno)
"""


@pytest.fixture
def same_user(workstation):  # noqa: F811
    """(a command prefix running as the test's non-root user, its directory)."""
    if os.geteuid() != 0:
        yield "", workstation
        return
    if not (shutil.which("useradd") and shutil.which("setpriv")):
        pytest.skip("useradd and setpriv are needed to test as a non-root user")
    name = f"crm{uuid.uuid4().hex[:8]}"
    subprocess.run(["useradd", "-M", "-r", "-s", "/bin/sh", name], check=True)
    home = Path(tempfile.mkdtemp(prefix="cr-mem-"))
    try:
        os.chmod(home, 0o755)
        for part in ("keys", "s.snapshot"):
            src, dst = workstation / part, home / part
            (shutil.copytree if src.is_dir() else shutil.copy2)(src, dst)
        shutil.chown(home, name, name)
        for path in home.rglob("*"):
            shutil.chown(path, name, name)
        prefix = (
            f"setpriv --reuid {name} --regid {name} --clear-groups "
            "--inh-caps +dac_read_search --ambient-caps +dac_read_search "
        )
        yield prefix, home
    finally:
        shutil.rmtree(home, ignore_errors=True)
        subprocess.run(["userdel", name], check=False)


def test_the_review_process_memory_is_closed_to_its_own_user(same_user):
    prefix, home = same_user
    term = Tmux(home)
    try:
        pid = open_a_file(home, term, f"cd {home} && ulimit -c unlimited && {prefix}")
        limits = Path(f"/proc/{pid}/limits").read_text()
        reader = subprocess.run(f"{prefix}{sys.executable} -I -c '{READER}' {pid}", shell=True,
                                capture_output=True, text=True, timeout=60)  # fmt: skip
        os.kill(pid, signal.SIGSEGV)  # a crash that writes a core file by default
        done = term.wait_for("EXIT=", timeout=60)
    finally:
        term.close()
    assert reader.stdout.split() == ["DENIED", "13"] * 2, reader.stdout + reader.stderr
    core_line = next(line for line in limits.splitlines() if line.startswith("Max core file size"))
    assert core_line.split()[4:6] == ["0", "0"], core_line
    assert f"EXIT={128 + signal.SIGSEGV}" in done
    assert not list(home.glob("core*")), "a core file was written"
