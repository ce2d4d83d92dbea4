"""atk12: hostile environment variables under `cleanroom review` in tmux. Each run
starts, opens cleanroom/tui/app.py, seals, and prints the screens, the process and
the closing verify. Not part of the suite: run it by path, as ATTACK.md says."""

import subprocess
import time

import pytest

from tests.test_e2e_tmux import review_command, workstation  # noqa: F401 (a fixture)
from tests.tmuxkit import Tmux, review_pid


@pytest.mark.parametrize(
    "env",
    [
        {"COLUMNS": "4000", "LINES": "3000"},
        {"COLUMNS": "0", "LINES": "0"},
        {"COLUMNS": "-5", "LINES": "x"},
        {"TERM": "dumb"},
        {"TERM": "", "LANG": "C", "LC_ALL": "C"},
        {"LC_ALL": "tr_TR.ISO-8859-9", "LANG": "ja_JP.SJIS"},
    ],
)
def test_env(workstation, env):  # noqa: F811
    tmp = workstation
    term = Tmux(tmp)
    try:
        command = f"{review_command(tmp)} --allow-network; echo EXIT=$?; sleep 60"
        term.start(command, {"TERM": "xterm-256color", **env})
        print(env, term.wait_for("paper log", timeout=60)[:600])
        term.keys("Enter")
        time.sleep(2)
        term.keys("C-p")
        time.sleep(1)
        term.type("tui/app.py")
        time.sleep(1)
        term.keys("Enter")
        time.sleep(3)
        print(term.screen())
        pid = review_pid(term)
        ps = ["ps", "-o", "pid,stat,pcpu,rss,cmd", "-p", str(pid)]
        print(subprocess.run(ps, capture_output=True, text=True).stdout)
        term.keys("q")
        time.sleep(1)
        term.keys("y")
        time.sleep(3)
        term.keys("Enter")
        done = term.wait_for("EXIT=", timeout=60)
        print(done[-600:])
        assert "EXIT=0" in done and "INTACT" in done
    finally:
        term.close()
