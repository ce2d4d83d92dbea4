import os
import signal
import sys
import time
from pathlib import Path

from tests.test_e2e_stalled_recorder_tmux import recorder_pid
from tests.tmuxkit import Tmux

BIN = Path(sys.executable).parent
tmp = Path(sys.argv[1])
tmp.mkdir(parents=True, exist_ok=True)
APP = [
    ln.strip()
    for ln in Path("cleanroom/tui/app.py").read_text().splitlines()
    if len(ln.strip()) > 25
]


def src_on(screen):
    return [ln for ln in APP if ln in screen][:3]


term = Tmux(tmp)
pid = None
log = (tmp / "explore.log").open("w")  # noqa: SIM115 (open for the whole run)


def note(*a):
    print(*a, file=log, flush=True)
    print(*a, flush=True)


def step(name, keys_before, keys_stopped, wait=4.0):
    for k in keys_before:
        term.keys(*k) if isinstance(k, tuple) else term.type(k)
        time.sleep(0.4)
    os.kill(pid, signal.SIGSTOP)
    time.sleep(0.3)
    for k in keys_stopped:
        term.keys(*k) if isinstance(k, tuple) else term.type(k)
        time.sleep(0.4)
    time.sleep(wait)
    s = term.screen()
    bad = src_on(s) if "NOT RECORDING" in s or "waiting" in s.lower() else []
    bar = [ln for ln in s.splitlines() if "RECORDING" in ln]
    note(
        f"== {name} STOPPED: bar={bar[-1][:90] if bar else None!r}"
        f" source_shown={bad} traceback={'Traceback' in s}"
    )
    if bad or "RECORDING" not in s:
        note(s)
    os.kill(pid, signal.SIGCONT)
    time.sleep(3)
    s = term.screen()
    bar = [ln for ln in s.splitlines() if "RECORDING" in ln]
    note(f"   {name} RESUMED: bar={bar[-1][:90] if bar else None!r} traceback={'Traceback' in s}")
    return s


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
    pid = recorder_pid(tmp / "d" / "workstation.toml")
    for name, before, stopped in [
        ("pagedown", [], [("PageDown",), ("PageDown",)]),
        ("goto", [], [(":",), "300", ("Enter",)]),
        ("find", [], [("C-f",), "def ", ("Enter",), ("n",), ("n",)]),
        ("find-after", [("C-f",), "self", ("Enter",)], [("n",), ("N",), ("n",)]),
        ("mark-set", [], [("m",), ("a",)]),
        ("mark-jump", [("G",), ("End",)], [("'",), ("a",)]),
        ("mark-list", [], [("'",)]),
        ("search-dialog", [], [("s",), "import", ("Enter",)]),
        (
            "search-results-nav",
            [("Escape",), ("s",), "import", ("Enter",)],
            [("Down",), ("Down",), ("PageDown",), ("Enter",)],
        ),
        ("search-n", [("Escape",)], [("n",), ("n",), ("N",)]),
        ("quick-open", [("Escape",)], [("C-p",), "sanitize", ("Enter",)]),
        ("outline", [("Escape",)], [("o",)]),
        ("outline-enter", [("Escape",), ("o",)], [("Down",), ("Enter",)]),
        ("definition", [("Escape",)], [("d",)]),
        ("references", [("Escape",)], [("r",)]),
        ("wrap", [("Escape",)], [("w",)]),
        ("tree-toggle", [], [("t",), ("t",)]),
        ("reveal", [], [("R",)]),
        ("narrow", [], [("<",), (">",)]),
        ("help", [], [("h",)]),
        ("find-backward", [("Escape",)], [("?",), "self", ("Enter",), ("n",)]),
        ("notes-pane", [("Escape",)], [("C-n",)]),
        ("note-editor", [("Escape",), ("a",)], ["Title typed while stopped", ("C-s",)]),
        ("back-forward", [("Escape",), ("Escape",)], [("C-o",), ("M-Right",)]),
        ("flag", [], [("f",)]),
    ]:
        step(name, before, stopped)
    term.keys("Escape")
    time.sleep(0.5)
    term.keys("Escape")
    time.sleep(0.5)
    term.press_until("q", "End this review session?")
    term.keys("y")
    s = term.wait_for("FINAL witness code", timeout=60)
    term.keys("Enter")
    done = term.wait_for("EXIT=", timeout=120)
    note(done[-1500:])
finally:
    if pid is not None:
        try:
            os.kill(pid, signal.SIGCONT)
        except OSError:
            pass
    term.close()
