"""Following code in a real terminal (tmux), end to end (issue 15): the outline
of a file (`o`), go to definition (`d`), find references (`r`), symbol quick
open (`ctrl+t`), on a snapshot with a signed symbol index; then the ledger
verifies, and `cleanroom replay` derives every symbol list again and re-runs the
references search, all agreeing (exit 0)."""

import json
import re
import subprocess
import time

from cleanroom.snapshot.create import create_snapshot
from tests.ledgerkit import bodies_of, seeded_key
from tests.test_e2e_signals_tmux import open_a_file
from tests.test_e2e_tmux import BIN, end_clean, workstation  # noqa: F401 (a fixture)
from tests.tmuxkit import Tmux


def gone(term: Tmux, text: str, timeout: float = 15.0) -> None:
    """Wait until `text` is off the screen: a key sent right after Escape would
    reach the terminal as alt+key."""
    deadline = time.monotonic() + timeout
    while text in term.screen():
        assert time.monotonic() < deadline, f"{text!r} stayed on screen"
        time.sleep(0.1)


def test_outline_definition_references_then_replay(workstation):  # noqa: F811
    tmp = workstation
    snapshot = tmp / "s.snapshot"
    snapshot.chmod(0o644)
    snapshot.unlink()  # the same tree, now with its symbol index
    create_snapshot(tmp / "src", snapshot, seeded_key("e2e/vendor"), name="e2e", version="1",
                    symbols=True)  # fmt: skip
    term = Tmux(tmp)
    try:
        open_a_file(tmp, term)  # cleanroom/tui/app.py
        term.press_until("o", "Outline of cleanroom/tui/app.py")
        shown = term.wait_for("definitions. Enter goes to one")
        assert "member     compose" in shown  # kind and name, by line
        term.keys("Escape")
        gone(term, "Outline of")
        term.press_until("C-f", "Find in cleanroom/tui/app.py:")
        term.type("ReviewSession")
        term.keys("Enter")
        term.wait_for("find hit 1 of")
        # The cursor: hit 2, on the line `from ..session.review import ReviewSession`.
        # Line 1's hit ends at the window's right edge, where the cut marker › takes
        # the last cell (ADR 0212): the terminal holds only the cells it shows, so the
        # word there is cut, and is not offered (tui/cursor_word.py).
        term.keys("n")
        term.wait_for("find hit 2 of")
        shown = term.press_until("d", "Go to the definition of:")
        assert "ReviewSession " in shown  # the word at the cursor, in the box
        term.keys("Enter")
        shown = term.wait_for("cleanroom/session/review.py  (")
        assert "class ReviewSession" in shown
        term.wait_for("class ReviewSession  entries")  # the status bar: the move is done
        shown = term.press_until("r", "Find references of:")
        assert "ReviewSession " in shown  # the top line's first name that is not a keyword
        term.keys("Enter")
        shown = term.wait_for(" results. Enter opens")
        # The rows on screen are references: FILE:LINE: of a line naming it (which
        # files come first depends on how many modules name it: not asserted).
        src = tmp / "src"
        rows = re.findall(r"(cleanroom/[\w/]+\.py):(\d+):", shown)
        assert "\\bReviewSession\\b" in shown and rows, shown
        for path, line in rows:
            text = (src / path).read_text().split("\n")[int(line) - 1]
            assert "ReviewSession" in text, (path, line, text)
        term.keys("Escape")
        gone(term, " results. Enter opens")
        term.press_until("C-t", "Type part of a symbol's name")
        term.type("SymbolQuickOpenScr")
        term.wait_for("1 names")
        term.keys("Enter")
        term.wait_for("cleanroom/tui/screens/symbols.py  (")
        ledger = end_clean(term, tmp)
    finally:
        term.close()
    bodies = bodies_of(ledger)
    kinds = [b.kind for b in bodies]
    outline = kinds.index("symbol_outline")
    defs = [b.payload for b in bodies if b.kind == "symbol_definitions"]
    assert defs[0]["name"] == "ReviewSession" and defs[0]["places"] == 1
    at = kinds.index("symbol_definitions")
    assert outline < at and kinds[at + 1] == "file_open"
    refs = [b.payload for b in bodies if b.kind == "search"]
    assert refs[0]["query"] == "\\bReviewSession\\b" and refs[0]["regex"] and refs[0]["case"]
    assert "symbol_quick_open" in kinds
    trust = tmp / "keys/vendor.pub"
    out = subprocess.run([f"{BIN}/cleanroom", "verify", ledger, "--trust", trust, "--json"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    by_kind = json.loads(out.stdout)["ledgers"][0]["summary"]["by_kind"]
    assert by_kind["symbol_outline"] == 1 and by_kind["symbol_definitions"] == 2
    cast = tmp / "session.cast"
    replay = subprocess.run([f"{BIN}/cleanroom", "replay", ledger, "--snapshot", snapshot,
                             "--trust", trust, "--cast", cast],
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert replay.returncode == 0, replay.stderr
    # The references search, and its first page if the pass outran 50 ms (ADR 0215).
    assert re.search(r"searches: [12] run again, 0 differ", replay.stderr), replay.stderr
    assert "symbol lists:" in replay.stderr and ", 0 differ" in replay.stderr.split("symbol")[-1]
    frames = "".join(json.loads(line)[2] for line in cast.read_text().splitlines()[1:])
    assert "definitions of “ReviewSession”" in frames and "MISMATCH" not in frames
