"""`cleanroom demo` in a real terminal (tmux), as the attack on issue 12 ran it:
with a relative `--dir` (the recorder refused the relative socket path, the demo
waited, then an IndexError traceback), and with its recorder killed (kill -9)
mid-session (the end said "No usable temporary directory", exit 2, a usage
error). Each must end in words, without a traceback."""

import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.tmuxkit import Tmux

BIN = Path(sys.executable).parent


def start(tmp: Path, term: Tmux) -> None:
    term.start(f"cd {tmp} && {BIN}/cleanroom demo --dir rel --idle-minutes 30; echo EXIT=$?;"
               " sleep 30", {"TERM": "xterm-256color"})  # fmt: skip
    term.wait_for("paper log", timeout=120)
    term.keys("Enter")
    term.wait_for("RECORDING")


def end_unsealed(term: Tmux) -> str:
    term.press_until("q", "End this review session?")
    term.keys("y")
    term.wait_for("could not be sealed", timeout=60)
    term.keys("Enter")  # exits, leaving the session to the next start
    return term.wait_for("EXIT=", timeout=90)


def test_a_relative_dir_runs_the_demo(tmp_path):
    term = Tmux(tmp_path)
    try:
        start(tmp_path, term)
        term.press_until("q", "End this review session?")
        term.keys("y")
        term.wait_for("FINAL witness code")
        term.keys("Enter")
        done = term.wait_for("EXIT=", timeout=90)
    finally:
        term.close()
    assert "EXIT=0" in done and "INTACT" in done and "Traceback" not in done, done
    assert (tmp_path / "rel" / "ledgers").is_dir()


def test_a_killed_recorder_ends_the_demo_in_words(tmp_path):
    term = Tmux(tmp_path)
    try:
        start(tmp_path, term)
        config = tmp_path / "rel" / "workstation.toml"
        found = subprocess.run(["pgrep", "-f", f"cleanroom recorder --config {config}"],
                               capture_output=True, text=True, timeout=30)  # fmt: skip
        pids = [int(p) for p in found.stdout.split()]
        assert pids, "no recorder process"
        for pid in pids:
            subprocess.run(["kill", f"-{signal.SIGKILL.value}", str(pid)], timeout=30)
        time.sleep(0.5)
        done = end_unsealed(term)
    finally:
        term.close()
    assert (
        "Traceback" not in done and "No usable temporary directory" not in done.split("verdict")[0]
    ), done
    assert "EXIT=2" not in done, done  # not a usage error
    # Only what is true: the recorder is dead, so it neither seals nor waits; and the
    # demo's own audit policy does not block its own closing verify.
    assert "seals it or waits" not in done and "not answering at the end" in done, done
    assert "clean-room policy" not in done and "not checked here" not in done, done
    assert "verdict  " in done, done
