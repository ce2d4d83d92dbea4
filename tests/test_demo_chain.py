"""`cleanroom demo --dir` twice, in a real terminal: each run issues a new
certificate, as a renewal does, and the sessions still form one chain. The
first run is killed, its recorder and then the terminal (SIGKILL, each by its own
pid: the recorder no longer dies of the terminal's hang-up, and once its terminal
is gone it seals in order), so the second must settle it."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_e2e_stalled_recorder_tmux import recorder_pid
from tests.tmuxkit import Tmux

BIN = Path(sys.executable).parent


def demo(tmp: Path, term: Tmux, pid_file: Path) -> None:
    term.start(
        f"echo $$ > {pid_file}; exec {BIN}/cleanroom demo --dir {tmp}/d --idle-minutes 30",
        {"TERM": "xterm-256color"},
    )
    term.wait_for("paper log", timeout=120)
    term.keys("Enter")
    term.wait_for("RECORDING")


@pytest.mark.slow
def test_demo_runs_in_one_directory_form_one_chain(tmp_path):
    pid_file = tmp_path / "demo.pid"
    first = Tmux(tmp_path)
    try:
        demo(tmp_path, first, pid_file)
        os.kill(recorder_pid(tmp_path / "d" / "workstation.toml"), signal.SIGKILL)
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
        first.wait_exit()
    finally:
        first.close()
    time.sleep(1.1)  # the next certificate differs: its validity starts a second later
    second = Tmux(tmp_path)
    try:
        demo(tmp_path, second, pid_file)
        second.press_until("q", "End this review session?")
        second.keys("y")
        second.wait_for("FINAL witness code")
        second.keys("Enter")
        second.wait_exit(timeout=60)
    finally:
        second.close()
    certs = sorted((tmp_path / "d" / "keys").glob("workstation-*.cert"))
    assert len(certs) == 2 and certs[0].read_bytes() != certs[1].read_bytes()
    out = subprocess.run(
        [f"{BIN}/cleanroom", "verify", tmp_path / "d" / "ledgers",
         "--trust", tmp_path / "d" / "keys" / "vendor.pub", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    doc = json.loads(out.stdout)
    assert [f["code"] for f in doc["sessions"]] == ["SESSION_RENEWED"], doc["sessions"]
    # The killed session was closed as abandoned on the next run: resumed, sealed.
    assert doc["status"] == "INCOMPLETE" and out.returncode == 3, out.stdout
    codes = sorted({f["code"] for v in doc["ledgers"] for f in v["findings"]})
    assert codes == ["NOT_COUNTERSIGNED", "RESUMED"], codes  # abandoned: no countersignature
