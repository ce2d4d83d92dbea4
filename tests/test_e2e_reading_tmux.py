"""Reading features in a real terminal (tmux), end to end (issue 15): a find in
the open file (`/`, as in less and vim) and stepping through its hits with `n`,
a find backward (`?`), whose `n` goes up and wraps to the last hit, then a
snapshot search (`s`) whose hit is marked and counted in the status bar ("hit k of
N"), then half a screen right, where cut lines show `‹`; the ledger has each
`find` before the move it brings, and verifies."""

import json
import subprocess

from tests.ledgerkit import bodies_of
from tests.test_e2e_signals_tmux import open_a_file
from tests.test_e2e_tmux import BIN, end_clean, workstation  # noqa: F401 (a fixture)
from tests.tmuxkit import Tmux

NEEDLE = "def _seal"


def test_find_in_file_and_search_hits_in_a_real_terminal(workstation):  # noqa: F811
    tmp = workstation
    source = (tmp / "src/cleanroom/tui/app.py").read_text().split("\n")
    lines = [i + 1 for i, line in enumerate(source) if NEEDLE in line]
    assert len(lines) >= 2
    term = Tmux(tmp)
    try:
        open_a_file(tmp, term)
        term.press_until("/", "Find in cleanroom/tui/app.py:")
        term.type(NEEDLE)
        term.keys("Enter")
        screen = term.wait_for(f"find hit 1 of {len(lines)}")
        assert NEEDLE in screen
        term.keys("n")
        term.wait_for(f"find hit 2 of {len(lines)}")
        # Backward from hit 2 at the top: hit 1 is the last above it; `n` then goes
        # up, past the first hit to the last (vim's wrap), and `N` down again.
        term.press_until("?", "Find backward in cleanroom/tui/app.py:")
        term.type(NEEDLE)
        term.keys("Enter")
        term.wait_for(f"find hit 1 of {len(lines)}")
        term.keys("n")
        term.wait_for(f"find hit {len(lines)} of {len(lines)}")
        term.keys("N")
        term.wait_for(f"find hit 1 of {len(lines)}")
        term.press_until("s", "Search the snapshot")
        term.type("class ReviewApp(")
        term.keys("Enter")
        term.wait_for("results")
        term.keys("Enter")
        screen = term.wait_for("hit 1 of 1")
        assert "class ReviewApp(" in screen
        # Long lines: half a screen to the right, and the lines cut on the left say so.
        term.keys("Right")
        term.wait_for("‹")
        ledger = end_clean(term, tmp)
    finally:
        term.close()
    bodies = bodies_of(ledger)
    kinds = [b.kind for b in bodies]
    at = kinds.index("find")
    assert bodies[at].payload["query"] == NEEDLE and bodies[at].payload["hits"] == len(lines)
    back = kinds.index("find", at + 1)  # the backward find: recorded before its moves
    gotos = [b.payload["line"] for b in bodies[at:back] if b.kind == "goto"]
    assert gotos == lines[:2]
    gotos = [b.payload["line"] for b in bodies[back:] if b.kind == "goto"]
    assert gotos[:3] == [lines[0], lines[-1], lines[0]]
    assert kinds.index("search") > at
    assert any(b.kind == "view" and b.payload["col"] > 0 for b in bodies)  # the step right
    out = subprocess.run([f"{BIN}/cleanroom", "verify", ledger, "--trust",
                          tmp / "keys/vendor.pub", "--json"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    by_kind = json.loads(out.stdout)["ledgers"][0]["summary"]["by_kind"]
    assert by_kind["find"] == 2 and by_kind["search"] == 1
