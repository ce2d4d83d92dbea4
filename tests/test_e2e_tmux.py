"""End to end, as a user would: `cleanroom review` in a real terminal (tmux),
opening files, scrolling and quitting, then `cleanroom verify` on the result with
the witness codes read off the screen. The raw bytes the app wrote to the
terminal are checked for anything a hostile file could have smuggled through."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from cleanroom.cli.demo import build_sample
from cleanroom.ledger.keys import (
    Certificate,
    Role,
    save_certificate,
    write_private_key,
    write_public_key,
)
from cleanroom.snapshot.create import create_snapshot
from tests.ledgerkit import CERT_END, CERT_START, seeded_key
from tests.tmuxkit import Tmux, end_review, review_pid

BIN = Path(sys.executable).parent
CODE = re.compile(r"(\d+):([0-9A-Z]{4}(?:-[0-9A-Z]{4}){6})")

# Bytes that must never reach the terminal from file content.
FORBIDDEN = {
    "OSC 52 clipboard": b"\x1b]52",
    "OSC 0 title": b"\x1b]0;",
    "RLO": "\u202e".encode(),
    "LRI": "\u2066".encode(),
    "PDI": "\u2069".encode(),
    "ZWSP": "\u200b".encode(),
    "C1 CSI": "\x9b".encode(),
}


def end_clean(term: Tmux, tmp: Path) -> Path:
    """End the review in `term` (tmuxkit.end_review: exit 0, INTACT), check that no
    forbidden sequence ever reached the terminal, and return its one ledger."""
    _, raw = end_review(term)
    leaked = [name for name, needle in FORBIDDEN.items() if needle in raw]
    assert leaked == [], f"reached the terminal raw: {leaked}"
    (ledger,) = (tmp / "ledgers").glob("*.ledger")
    return ledger


_BUILT: dict[str, Path] = {}


def built_once(factory: pytest.TempPathFactory) -> Path:
    """The keys, the demo sample and its signed snapshot, built once per test
    process (~0.8 CPU-s and, with its syncs, seconds of wall time on a loaded
    machine; a dozen modules' tests ask for them). Never handed to a test itself:
    each gets copies (`workstation`)."""
    if "dir" not in _BUILT:
        base = factory.mktemp("demo-workstation")
        keys = base / "keys"
        keys.mkdir()
        vendor, ws = seeded_key("e2e/vendor"), seeded_key("e2e/ws")
        write_private_key(keys / "workstation.key", ws, role=Role.WORKSTATION)
        write_public_key(keys / "vendor.pub", vendor.public_key(), role=Role.VENDOR_ROOT)
        cert = Certificate.issue(vendor, "ws-e2e", ws.public_key(), CERT_START, CERT_END)
        save_certificate(keys / "workstation.cert", cert)
        build_sample(base / "src")
        create_snapshot(base / "src", base / "s.snapshot", vendor, name="e2e", version="1")
        _BUILT["dir"] = base
    return _BUILT["dir"]


@pytest.fixture
def workstation(tmp_path, tmp_path_factory):
    """A test's own keys, sample tree and snapshot (copies, modes kept: a test may
    replace or break them), and room for its ledgers and terminal."""
    built = built_once(tmp_path_factory)
    shutil.copytree(built / "keys", tmp_path / "keys", symlinks=True)
    shutil.copytree(built / "src", tmp_path / "src", symlinks=True)
    shutil.copy2(built / "s.snapshot", tmp_path / "s.snapshot")
    return tmp_path


def review_command(tmp: Path) -> str:
    return (
        f"{BIN}/cleanroom review --in-process --snapshot {tmp}/s.snapshot"
        f" --ledger-dir {tmp}/ledgers --create-ledger-dir"
        f" --workstation-key {tmp}/keys/workstation.key --cert {tmp}/keys/workstation.cert"
        f" --trust {tmp}/keys/vendor.pub --reviewer 'Ada Reviewer' --org Agency"
    )


def test_review_in_a_real_terminal_then_verify(workstation):
    """On this networked machine, with --allow-network: the choice is recorded."""
    tmp = workstation
    args = review_command(tmp) + " --allow-network"
    # Hostile TEXTUAL_* settings that would write screenshots and logs: all scrubbed.
    env = {"TEXTUAL_SCREENSHOT": "1", "TEXTUAL_LOG": f"{tmp}/leak.log", "TERM": "xterm-256color"}
    term = Tmux(tmp)
    try:
        term.start(f"{args}; echo EXIT=$?; sleep 30", env)
        start = term.wait_for("paper log", timeout=60)
        first = CODE.search(start)
        assert first and first.group(1) == "0"
        term.keys("Enter")
        term.wait_for("RECORDING")
        term.keys("C-p")
        term.wait_for("Type part of a path")
        term.type("trojan")
        term.keys("Enter")
        shown = term.wait_for("⟨RLO⟩")
        assert "⟨LRI⟩" in shown and "trojan_source.c" in shown
        term.keys("C-p")
        term.wait_for("Type part of a path")
        term.type("tui/app.py")
        term.keys("Enter")
        term.wait_for("cleanroom/tui/app.py  (")
        for key in ("PageDown", "PageDown", "Down", "End", "Home"):
            term.keys(key)
        term.keys(":")
        term.wait_for("Go to line (1-")
        term.type("40")
        term.keys("Enter")
        term.wait_for("│ 40")  # line 40 at the top (it may be blank: the sample is our own source)
        sealed, raw = end_review(term)
        final = CODE.search(sealed)
        assert final is not None
    finally:
        term.close()
    leaked = [name for name, needle in FORBIDDEN.items() if needle in raw]
    assert leaked == [], f"reached the terminal raw: {leaked}"
    assert "⟨RLO⟩".encode() in raw  # the tag, drawn instead
    assert not (tmp / "leak.log").exists()
    assert not list(tmp.glob("*.svg")) and not list(Path.cwd().glob("*.svg"))
    (ledger,) = (tmp / "ledgers").glob("*.ledger")
    verify = subprocess.run(
        [f"{BIN}/cleanroom", "verify", ledger, "--trust", tmp / "keys/vendor.pub",
         "--witness", f"{first.group(1)}:{first.group(2)}",
         "--witness", f"{final.group(1)}:{final.group(2)}", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
    kinds = json.loads(verify.stdout)["ledgers"][0]["summary"]["by_kind"]
    assert (kinds["file_open"], kinds["quick_open"], kinds["goto"]) == (2, 2, 1)
    assert kinds["view"] >= 3 and kinds.get("blocked", 0) == 0  # fast keys coalesce
    alerts = json.loads(verify.stdout)["ledgers"][0]["summary"]["alerts"]
    assert [a["payload"]["category"] for a in alerts] == ["network"]
    assert "allowed by --allow-network" in alerts[0]["payload"]["detail"]


def test_killed_session_is_resumed_on_the_next_start(workstation):
    """Run in a network namespace of its own (only loopback), which is not the host's:
    the start is refused without --allow-network, and recorded with it."""
    tmp = workstation
    args = "unshare --net " + review_command(tmp) + " --allow-network"
    first = Tmux(tmp)
    try:
        first.start(f"{args}; echo KILLED=$?; sleep 30", {"TERM": "xterm-256color"})
        first.wait_for("paper log", timeout=60)
        first.keys("Enter")
        first.keys("C-p")
        first.wait_for("Type part of a path")
        first.type("trojan")
        first.keys("Enter")
        first.wait_for("⟨RLO⟩")
        # The review alone: `pkill -9 -f` on its command line also matched the tmux
        # server and the pane's shell, and either one's death hung up the terminal,
        # so the review caught SIGHUP and recorded a `signal` alert when pkill was
        # slow to reach it. A kill -9 gives it no chance to record anything.
        os.kill(review_pid(first), signal.SIGKILL)
        assert "KILLED=137" in first.wait_for("KILLED=")  # 128 + 9: by SIGKILL, and gone
    finally:
        first.close()
    second = Tmux(tmp)
    try:
        second.start(f"{args}; echo EXIT=$?; sleep 30", {"TERM": "xterm-256color"})
        second.wait_for("Resume it or close it as abandoned?", timeout=60)
        second.type("resume")
        second.keys("Enter")
        start = second.wait_for("paper log", timeout=60)
        code = CODE.search(start)
        # start, network alert, tree_list, quick_open_list per keystroke, quick_open,
        # file_open, view: then the resume, whose code the start screen shows
        assert code and int(code.group(1)) >= 7
        second.keys("Enter")
        second.press_until("q", "End this review session?")
        second.keys("y")
        second.wait_for("FINAL witness code")
        second.keys("Enter")
        done = second.wait_for("EXIT=", timeout=60)
        assert "EXIT=3" in done and "RESUMED" in done
    finally:
        second.close()
    (ledger,) = (tmp / "ledgers").glob("*.ledger")
    verify = subprocess.run(
        [f"{BIN}/cleanroom", "verify", ledger, "--trust", tmp / "keys/vendor.pub",
         "--witness", f"{code.group(1)}:{code.group(2)}", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    doc = json.loads(verify.stdout)
    resumed_at = int(code.group(1))
    assert verify.returncode == 3 and doc["ledgers"][0]["summary"]["resumes"] == [resumed_at]
    alerts = doc["ledgers"][0]["summary"]["alerts"]
    assert [a["payload"]["category"] for a in alerts] == ["network", "network"]  # each start
    assert all("network namespace" in a["payload"]["detail"] for a in alerts)
    assert {f["code"] for f in doc["ledgers"][0]["findings"]} == {"RESUMED"}
