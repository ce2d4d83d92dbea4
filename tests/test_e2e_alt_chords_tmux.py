"""Alt chords typed fast, in a real terminal (issue 12): a terminal sends Alt+x as
ESC then `x`. Textual joins the two into `alt+x` only when nothing follows within
its escape delay; a second chord right behind made it split the first into a
`^` and a bare `x`, so the key after ESC ran its own binding (`q` opened the end
dialog) and no blocked alt chord was recorded. Every chord must arrive whole:
recorded as `blocked`, with no binding run."""

from __future__ import annotations

import json
import subprocess
import time

from cleanroom.ledger.encoding import decode_body
from tests.ledgerkit import read_rows
from tests.test_e2e_tmux import BIN, review_command, workstation  # noqa: F401 (fixture)
from tests.tmuxkit import Tmux

CHORDS = ("M-q", "M-/", "M-p", "M-q", "M-f", "M-:", "M-x")


def blocked_keys(ledger) -> list[str]:
    rows = [decode_body(b) for _, b, _ in read_rows(ledger)]
    return [e.payload.get("detail", "") for e in rows if e.kind == "blocked"]


def test_fast_alt_chords_are_recorded_whole_and_run_nothing(workstation):  # noqa: F811
    tmp = workstation
    term = Tmux(tmp)
    try:
        term.start(f"{review_command(tmp)} --allow-network; echo EXIT=$?; sleep 30",
                   {"TERM": "xterm-256color"})  # fmt: skip
        term.wait_for("paper log", timeout=60)
        term.keys("Enter")
        term.wait_for("RECORDING")
        for _ in range(3):
            term.keys(*CHORDS)  # one write: the chords arrive back to back
            time.sleep(0.5)
        screen = term.screen()
        assert "End this review session?" not in screen, screen  # q's binding
        assert "Type part of a path" not in screen and "Go to line (1-" not in screen, screen
        term.press_until("q", "End this review session?")
        term.keys("y")
        term.wait_for("FINAL witness code")
        term.keys("Enter")
        done = term.wait_for("EXIT=", timeout=60)
        assert "EXIT=0" in done
    finally:
        term.close()
    (ledger,) = (tmp / "ledgers").glob("*.ledger")
    keys = blocked_keys(ledger)
    pressed = {k.split(" ")[0].split(";")[0] for k in keys}
    wanted = {"alt+q", "alt+slash", "alt+p", "alt+f", "alt+colon", "alt+x"}
    assert pressed == wanted, keys  # each chord whole; no escape, `^` or bare key
    verify = subprocess.run(
        [f"{BIN}/cleanroom", "verify", ledger, "--trust", tmp / "keys/vendor.pub", "--json"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert verify.returncode == 0, verify.stdout + verify.stderr
    by_kind = json.loads(verify.stdout)["ledgers"][0]["summary"]["by_kind"]
    assert "quick_open" not in by_kind and "goto" not in by_kind and "search" not in by_kind
