"""atk12: the demo sealed (`q` `y`) while its recorder is stopped (SIGSTOP), then
SIGCONT: what the screen says over the next 40 s, and the ledger's entries."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from cleanroom.ledger.encoding import decode_body
from tests.ledgerkit import read_rows
from tests.test_e2e_stalled_recorder_tmux import recorder_pid
from tests.tmuxkit import Tmux

BIN = Path(sys.executable).parent
tmp = Path(sys.argv[1])
tmp.mkdir(parents=True, exist_ok=True)
term = Tmux(tmp)
pid = None
try:
    term.start(f"cd {tmp} && {BIN}/cleanroom demo --dir d --idle-minutes 30; echo EXIT=$?;"
               " sleep 300", {"TERM": "xterm-256color"})  # fmt: skip
    term.wait_for("paper log", timeout=120)
    term.keys("Enter")
    term.wait_for("RECORDING")
    pid = recorder_pid(tmp / "d" / "workstation.toml")
    term.press_until("q", "End this review session?")
    os.kill(pid, signal.SIGSTOP)  # then y at once: the seal is the first request it gets
    term.keys("y")
    time.sleep(5)
    print("STOPPED:", " ".join(term.screen().split())[:400])
    os.kill(pid, signal.SIGCONT)
    pid = None
    for t in range(8):
        time.sleep(5)
        print(f"+{5 * (t + 1)}s:", " ".join(term.screen().split())[:300])
        if "FINAL witness code" in term.screen():
            break
    term.keys("Enter")
    print(term.wait_for("EXIT=", timeout=120)[-900:])
finally:
    if pid is not None:
        os.kill(pid, signal.SIGCONT)
    term.close()
for ledger in sorted((tmp / "d" / "ledgers").glob("*.ledger")):
    kinds = [decode_body(b).kind for _, b, _ in read_rows(ledger)]
    print(ledger.name, {k: kinds.count(k) for k in dict.fromkeys(kinds)})
    keys = tmp / "d" / "keys"
    out = subprocess.run([f"{BIN}/cleanroom", "verify", str(ledger), "--trust",
                          str(keys / "vendor.pub"), "--reviewer-key", str(keys / "reviewer.pub")],
                         capture_output=True, text=True)  # fmt: skip
    print(out.returncode, [ln for ln in out.stdout.splitlines() if "ountersign" in ln])
