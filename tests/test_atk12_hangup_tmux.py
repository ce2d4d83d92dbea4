"""atk12 (outside attack on issue 12): a review whose terminal hangs up outlives it
when the hang-up sends no SIGHUP (it did, until the driver told the app). Started
without a controlling terminal
(`setsid`: the pane's pty is its stdin and stdout, not its controlling tty), the
review gets no SIGHUP when the terminal goes (its tmux server is killed). The
input thread reads end of file and ends (cleanroom/tui/driver.py), but nothing
tells the app: the review stays up for good with the file open, the ledger
UNSEALED, nobody able to press a key. End of file on the terminal must end the
review as SIGHUP does (seal, or leave it resumable, and exit)."""

import subprocess
import time
from pathlib import Path

from tests.test_e2e_signals_tmux import open_a_file, verify_json
from tests.test_e2e_tmux import workstation  # noqa: F401 (a fixture)
from tests.tmuxkit import Tmux


def gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True  # exited and reaped
    return state == "Z"


def test_a_terminal_gone_without_sighup_still_ends_the_review(workstation):  # noqa: F811
    tmp = workstation
    term = Tmux(tmp)
    pid = None
    try:
        pid = open_a_file(tmp, term, prefix="setsid -w ")  # no controlling terminal
        term.close()  # the terminal is gone: its pty reads end of file, no SIGHUP
        for _ in range(600):  # a bound on a test that would hang, not a timing claim
            if gone(pid):
                break
            time.sleep(0.1)
        else:
            raise AssertionError("the review outlived its terminal by a minute")
        pid = None
    finally:
        term.close()
        if pid is not None:
            subprocess.run(["kill", "-KILL", str(pid)], check=False)
    summary = verify_json(tmp)
    # no SIGHUP came, so the reason names the end of input (signals.py waits for one)
    assert summary["sealed"] and summary["end_reason"] == "end of input"
