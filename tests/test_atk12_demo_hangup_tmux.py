"""atk12 (outside attack on issue 12): the demo's terminal hangs up and its ledger
was left UNSEALED. `cleanroom demo` started its recorder as a child in its own
process group (cli/demo.py), so the kernel's SIGHUP on a hang-up (the tmux
server killed) reaches the recorder too, whose default action ends it at once:
no seal, no line in its log. The review's own SIGHUP handler then records and
seals through a recorder that is gone, and the demo's ledger verifies INCOMPLETE
(UNSEALED). `cleanroom review` in-process seals on the same hang-up
(tests/test_e2e_signals_tmux.py); a room's recorder, run as its own account
outside the terminal's session, does not get the terminal's SIGHUP."""

import subprocess
import sys
import time
from pathlib import Path

from tests.test_e2e_stalled_recorder_tmux import recorder_pid
from tests.tmuxkit import Tmux

BIN = Path(sys.executable).parent


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_the_demo_seals_when_its_terminal_hangs_up(tmp_path):
    term = Tmux(tmp_path)
    pids: list[int] = []
    try:
        term.start(f"cd {tmp_path} && {BIN}/cleanroom demo --dir d --idle-minutes 30;"
                   " echo EXIT=$?; sleep 60", {"TERM": "xterm-256color"})  # fmt: skip
        term.wait_for("paper log", timeout=120)
        term.keys("Enter")
        term.wait_for("RECORDING")
        term.press_until("C-p", "Type part of a path")
        term.type("tui/app.py")
        term.wait_for("match")
        term.keys("Enter")
        term.wait_for("ReviewApp")
        recorder = recorder_pid(tmp_path / "d" / "workstation.toml")
        demo = int(Path(f"/proc/{recorder}/stat").read_text().rsplit(")", 1)[1].split()[1])
        pids = [demo, recorder]
        term.close()  # the terminal is gone: the kernel hangs up its session
        for _ in range(600):  # a bound on a test that would hang, not a timing claim
            if not any(running(p) for p in pids):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the demo or its recorder outlived the terminal by a minute")
        pids = []
    finally:
        term.close()
        for pid in pids:
            subprocess.run(["kill", "-KILL", str(pid)], check=False)
    (ledger,) = (tmp_path / "d" / "ledgers").glob("*.ledger")
    out = subprocess.run([f"{BIN}/cleanroom", "verify", str(ledger), "--trust",
                          str(tmp_path / "d" / "keys" / "vendor.pub")],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stdout  # sealed (INTACT), not INCOMPLETE / UNSEALED
