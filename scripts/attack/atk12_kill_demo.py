import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.test_e2e_stalled_recorder_tmux import recorder_pid
from tests.tmuxkit import Tmux

BIN = Path(sys.executable).parent
tmp = Path(sys.argv[1])
tmp.mkdir(parents=True, exist_ok=True)
term = Tmux(tmp)
try:
    term.start(
        f"cd {tmp} && {BIN}/cleanroom demo --dir d --idle-minutes 30; echo EXIT=$?; sleep 300",
        {"TERM": "xterm-256color"},
    )
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
    print("demo pid", demo, "recorder", rpid)
    os.kill(demo, signal.SIGKILL)
    s = term.wait_for("EXIT=", timeout=30)
    print(s[-300:])
    i = 0
    for i in range(100):  # noqa: B007 (read after the loop)
        if not Path(f"/proc/{rpid}").exists():
            break
        time.sleep(0.1)
    print("recorder alive after", i / 10, Path(f"/proc/{rpid}").exists())
    print((tmp / "d" / "recorder.log").read_text()[-800:])
    for led in (tmp / "d" / "ledgers").glob("*.ledger"):
        v = subprocess.run(
            [f"{BIN}/cleanroom", "verify", "--trust", str(tmp / "d/keys/vendor.pub"), str(led)],
            capture_output=True,
            text=True,
        )
        print(led.name, v.returncode, v.stdout[-400:])
    print(
        subprocess.run(
            ["ls", "-la", str(tmp / "d" / "ledgers")], capture_output=True, text=True
        ).stdout
    )
finally:
    term.close()
