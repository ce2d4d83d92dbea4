"""Signals sent to `cleanroom review` from outside, in a real terminal (tmux), with
a file on screen (docs/guard.md, "Signals"): SIGTERM, SIGINT, SIGQUIT and SIGHUP
hide the source, record which signal came, seal with it as the reason and exit
128 + N; SIGTSTP, SIGTTIN and SIGTTOU do not stop the terminal, and SIGTSTP is
recorded as a blocked suspend."""

import json
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.ledgerkit import body_of, read_rows
from tests.test_e2e_tmux import BIN, review_command, workstation  # noqa: F401 (a fixture)
from tests.tmuxkit import Tmux, review_pid

SOURCE = "from ..sanitize import clean"  # a line of cleanroom/tui/app.py, the file opened


def open_a_file(tmp: Path, term: Tmux, prefix: str = "") -> int:
    term.start(f"{prefix}{review_command(tmp)} --allow-network; echo EXIT=$?; sleep 60",
               {"TERM": "xterm-256color"})  # fmt: skip
    term.wait_for("paper log", timeout=60)
    term.keys("Enter")
    term.wait_for("RECORDING")
    term.press_until("C-p", "Type part of a path")
    term.type("tui/app.py")
    term.keys("Enter")
    assert SOURCE in term.wait_for("cleanroom/tui/app.py  (")
    return review_pid(term)


def verify_json(tmp: Path) -> dict:
    (ledger,) = (tmp / "ledgers").glob("*.ledger")
    out = subprocess.run([f"{BIN}/cleanroom", "verify", ledger, "--trust",
                          tmp / "keys/vendor.pub", "--json"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout)["ledgers"][0]["summary"]


@pytest.mark.parametrize("name", ["SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP"])
def test_a_signal_from_outside_hides_records_seals_and_exits_128_plus_n(workstation, name):  # noqa: F811
    tmp = workstation
    signum = getattr(signal, name)
    term = Tmux(tmp)
    try:
        pid = open_a_file(tmp, term)
        raw_before = len(term.raw())
        subprocess.run(["kill", f"-{name[3:]}", str(pid)], check=True)
        done = term.wait_for("EXIT=", timeout=60)
        raw_after = term.raw()[raw_before:]
    finally:
        term.close()
    assert f"EXIT={128 + signum}" in done, done
    assert SOURCE not in done and "Traceback" not in done
    if signum == signal.SIGHUP:  # the terminal is taken as gone: nothing drawn, no verdict
        assert b"session is ending" not in raw_after and "verdict" not in done
    else:  # the ending screen covered the source before the terminal was restored
        assert f"{name} received: the session is ending.".encode() in raw_after
        assert "verdict  INTACT" in done
    summary = verify_json(tmp)
    assert summary["sealed"] and summary["end_reason"] == f"signal: {name}"
    signals = [a["payload"] for a in summary["alerts"] if a["payload"]["category"] == "signal"]
    assert [(s["detail"].split()[0], s["response"]) for s in signals] == [(name, "end")]


def test_suspend_signals_are_refused_and_sigtstp_is_recorded(workstation):  # noqa: F811
    tmp = workstation
    term = Tmux(tmp)
    try:
        pid = open_a_file(tmp, term)
        for sig in ("TSTP", "TTIN", "TTOU", "TSTP"):
            subprocess.run(["kill", f"-{sig}", str(pid)], check=True)
            time.sleep(0.5)
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            assert state not in ("T", "t"), f"stopped by SIG{sig}"
        term.keys("End")  # still answering keys: the file's last line comes into view
        last = len((tmp / "src/cleanroom/tui/app.py").read_bytes().splitlines())
        term.wait_for(f"│{last}")
        term.press_until("q", "End this review session?")
        term.keys("y")
        term.wait_for("FINAL witness code", timeout=60)
        done = term.press_until("Enter", "EXIT=", timeout=20)  # an Enter while it still draws
    finally:
        term.close()
    assert "EXIT=0" in done
    summary = verify_json(tmp)
    assert summary["end_reason"] == "reviewer" and summary["by_kind"].get("blocked", 0) >= 1
    (ledger,) = (tmp / "ledgers").glob("*.ledger")
    bodies = [body_of(ledger, row[0]) for row in read_rows(ledger)]
    blocked = [b.payload for b in bodies if b.kind == "blocked"]
    refused = [p for p in blocked if p["action"] == "suspend"]
    assert refused and all("SIGTSTP from outside, ignored" in p["detail"] for p in refused)


def test_a_terminal_that_goes_away_ends_the_review_process(workstation):  # noqa: F811
    """The terminal itself goes (its tmux server is killed: the pseudo-terminal hangs
    up). The review records SIGHUP, seals and must then exit. Demos whose tmux was
    killed under a 200k-key flood were found finished but alive an hour later, their
    input thread reading end of file from the hung-up terminal in a loop (the thread
    is not a daemon); tests/test_tui_driver.py reproduces that loop, this test holds
    the whole path in a real terminal."""
    tmp = workstation
    term = Tmux(tmp)
    pid = None
    try:
        pid = open_a_file(tmp, term)
        term.close()  # the terminal is gone: no key, no signal sent by hand
        for _ in range(600):  # a bound on a test that would hang, not a timing claim
            try:
                state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
            except OSError:
                break  # exited and reaped
            if state == "Z":
                break  # exited; its parent (the pane's shell) is gone too
            time.sleep(0.1)
        else:
            raise AssertionError("the review outlived its terminal by a minute")
        pid = None
    finally:
        term.close()
        if pid is not None:
            subprocess.run(["kill", "-KILL", str(pid)], check=False)
    summary = verify_json(tmp)
    assert summary["sealed"] and summary["end_reason"] == "signal: SIGHUP"
