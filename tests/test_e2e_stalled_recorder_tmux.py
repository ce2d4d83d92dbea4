"""`cleanroom demo` in a real terminal (tmux) with its real recorder child stopped
by a real SIGSTOP, as the third attack on issue 12 ran it (finding 1): nothing
reacted for 30 s per request, the source stayed on screen under a green
RECORDING bar, and after SIGCONT the terminal went on in a new session unseen.
Now the source is hidden and the bar red within seconds, ctrl+p and ? are acted
on while the recorder is stopped, and SIGCONT brings back the same session; the
closing summary names one session, sealed and INTACT."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.tmuxkit import Tmux

BIN = Path(sys.executable).parent


def recorder_pid(config: Path) -> int:
    found = subprocess.run(["pgrep", "-f", f"cleanroom recorder --config {config}"],
                           capture_output=True, text=True, timeout=30)  # fmt: skip
    pids = [int(p) for p in found.stdout.split()]
    assert len(pids) == 1, found.stdout
    return pids[0]


def test_a_stopped_recorder_hides_the_source_and_the_same_session_comes_back(tmp_path):
    term = Tmux(tmp_path)
    pid = None
    try:
        term.start(f"cd {tmp_path} && {BIN}/cleanroom demo --dir d --idle-minutes 30;"
                   " echo EXIT=$?; sleep 30", {"TERM": "xterm-256color"})  # fmt: skip
        start = term.wait_for("paper log", timeout=120)
        session = start.split("Session", 1)[1].split()[0]
        term.keys("Enter")
        term.wait_for("RECORDING")
        term.keys("C-p")
        term.wait_for("Type part of a path")
        term.type("sanitize.py")
        term.wait_for("match")
        term.keys("Enter")
        term.wait_for("The one sanitizer")
        pid = recorder_pid(tmp_path / "d" / "workstation.toml")
        os.kill(pid, signal.SIGSTOP)
        stopped = time.monotonic()
        term.keys("Space")
        screen = term.wait_for("NOT RECORDING", timeout=20)
        hidden_after = time.monotonic() - stopped
        assert hidden_after < 10, hidden_after  # 2 s bound; 30 s and more before
        assert "The one sanitizer" not in screen and "● RECORDING" not in screen, screen
        acted = time.monotonic()
        term.keys("h")
        term.wait_for("Keys", timeout=10)  # the help is drawn: the event loop is free
        term.keys("Escape")
        time.sleep(0.5)  # an Escape read with the next key would be alt+that key
        term.keys("C-p")
        term.wait_for("Type part of a path", timeout=10)
        assert time.monotonic() - acted < 8
        term.keys("Escape")
        time.sleep(0.5)
        os.kill(pid, signal.SIGCONT)
        pid = None
        screen = term.wait_for("● RECORDING", timeout=30)
        assert f"session {session[:8]}" in screen, screen  # the same one: no new start screen
        assert "A NEW session" not in screen
        term.press_until("q", "End this review session?")
        term.keys("y")
        term.wait_for("FINAL witness code", timeout=60)
        term.keys("Enter")
        done = term.wait_for("EXIT=", timeout=120)
    finally:
        if pid is not None:
            os.kill(pid, signal.SIGCONT)
        term.close()
    assert "Traceback" not in done and "EXIT=0" in done, done
    assert "session  1 of" not in done  # one session: no summary of several
    assert "INTACT" in done, done
    ledgers = list((tmp_path / "d" / "ledgers").glob("*.ledger"))
    assert len(ledgers) == 1, ledgers
