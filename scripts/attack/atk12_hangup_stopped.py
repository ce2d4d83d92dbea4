"""atk12: the demo's terminal hangs up (tmux server killed) while its recorder is
stopped (SIGSTOP), or running (`--running`): does every process end, and what is
left of the ledger?"""

import os
import signal
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


tmp = Path(sys.argv[1])
tmp.mkdir(parents=True, exist_ok=True)
term = Tmux(tmp)
try:
    term.start(f"cd {tmp} && {BIN}/cleanroom demo --dir d --idle-minutes 30; echo EXIT=$?;"
               " sleep 300", {"TERM": "xterm-256color"})  # fmt: skip
    term.wait_for("paper log", timeout=120)
    term.keys("Enter")
    term.wait_for("RECORDING")
    term.keys("C-p")
    term.wait_for("Type part of a path")
    term.type("tui/app.py")
    term.wait_for("match")
    term.keys("Enter")
    term.wait_for("ReviewApp")
    rpid = recorder_pid(tmp / "d" / "workstation.toml")
    demo = int(Path(f"/proc/{rpid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    if sys.argv[2:] != ["--running"]:  # stopped unless asked to leave it running
        os.kill(rpid, signal.SIGSTOP)
    time.sleep(0.5)
    term.close()  # the terminal goes: SIGHUP to the demo
    t = 0
    for t in range(60):  # noqa: B007 (read after the loop)
        alive = [p for p in (demo, rpid) if running(p)]
        if not alive:
            break
        time.sleep(1)
    print(f"after {t} s alive: demo {demo in alive}, recorder {rpid in alive}")
    for p in alive:
        os.kill(p, signal.SIGCONT)
        os.kill(p, signal.SIGKILL)
finally:
    term.close()
print((tmp / "d" / "recorder.log").read_text()[-600:])
for ledger in sorted((tmp / "d" / "ledgers").glob("*.ledger")):
    keys = tmp / "d" / "keys"
    out = subprocess.run([f"{BIN}/cleanroom", "verify", str(ledger), "--trust",
                          str(keys / "vendor.pub")], capture_output=True, text=True)  # fmt: skip
    print(ledger.name, out.returncode, out.stdout.splitlines()[:1], out.stdout.splitlines()[-1:])
