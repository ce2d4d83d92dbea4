import sys
from pathlib import Path

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
    term._tmux("send-keys", "-t", term.name, "-H", "ff")
    s = term.wait_for("EXIT=", timeout=60)
    print(s)
finally:
    term.close()
