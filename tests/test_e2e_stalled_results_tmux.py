"""`cleanroom demo` in a real terminal (tmux), its real recorder child stopped by a
real SIGSTOP, as atk12f ran it (issue 12, finding 1): `n` on a search result
while the recorder was stopped crashed the terminal (the fixed message, the
session lost). Now the source is hidden and the bar red, the terminal goes on,
and after SIGCONT `n` steps to the next result and the session seals INTACT."""

import os
import signal
import sys
import time
from pathlib import Path

from tests.test_e2e_stalled_recorder_tmux import recorder_pid
from tests.tmuxkit import Tmux

BIN = Path(sys.executable).parent


def test_n_on_a_result_while_the_recorder_is_stopped_does_not_crash(tmp_path):
    term = Tmux(tmp_path)
    pid = None
    try:
        term.start(f"cd {tmp_path} && {BIN}/cleanroom demo --dir d --idle-minutes 30;"
                   " echo EXIT=$?; sleep 30", {"TERM": "xterm-256color"})  # fmt: skip
        term.wait_for("paper log", timeout=120)
        term.keys("Enter")
        term.wait_for("RECORDING")
        term.keys("s")
        term.wait_for("Search the snapshot")
        time.sleep(0.5)  # the query box takes focus once the dialog is mounted
        term.type("sanitize")
        term.keys("Enter")
        term.wait_for("Enter opens", timeout=60)
        term.keys("Enter")  # the first result opens
        term.wait_for("hit 1 of", timeout=30)
        pid = recorder_pid(tmp_path / "d" / "workstation.toml")
        os.kill(pid, signal.SIGSTOP)
        term.wait_for("NOT RECORDING", timeout=20)  # the status poll sees it: no key
        time.sleep(3)  # as the attack did: the stall declared, then the key
        term.keys("n")
        time.sleep(1)
        term.keys("N")
        screen = term.wait_for("NOT RECORDING", timeout=20)
        assert "internal error" not in screen, screen
        os.kill(pid, signal.SIGCONT)
        pid = None
        term.wait_for("● RECORDING", timeout=30)
        term.keys("n")
        term.wait_for("hit 2 of", timeout=30)
        term.press_until("q", "End this review session?")
        term.keys("y")
        term.wait_for("FINAL witness code", timeout=60)
        term.keys("Enter")
        done = term.wait_for("EXIT=", timeout=120)
    finally:
        if pid is not None:
            try:
                os.kill(pid, signal.SIGCONT)
            except ProcessLookupError:
                pass  # gone with the terminal it served (the crash this guards against)
        term.close()
    assert "internal error" not in done and "Traceback" not in done, done
    assert "EXIT=0" in done and "INTACT" in done, done
