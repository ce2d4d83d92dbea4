"""The wrap toggle in a real terminal of 80x24 (tmux), end to end (issue 15, ADR
0212): `w` on a file with lines longer than the view wraps them, `↪` marking the
later rows, with no cut marker; scrolling while wrapped; `w` cuts them again.
The ledger has each wrapped `view` (with `wrap`), verifies, and `cleanroom
replay` paints the wrapped screens again (exit 0, `↪` in the cast).

Keys are sent one at a time, each waiting for the screen it brings: keys sent
together are handled before the next frame, and only the screens drawn are
recorded (Down Down Down w drew no wrapped screen between, so the test failed 3
runs in 4 while the program was right)."""

import json
import re
import subprocess
import time
from pathlib import Path

from tests.ledgerkit import body_of, read_rows
from tests.test_e2e_signals_tmux import open_a_file
from tests.test_e2e_tmux import BIN, FORBIDDEN, workstation  # noqa: F401 (a fixture)
from tests.tmuxkit import Tmux


def test_wrap_toggle_in_80x24_then_verify_and_replay(workstation):  # noqa: F811
    tmp = workstation
    term = Tmux(tmp, 80, 24)
    try:
        open_a_file(tmp, term)  # cleanroom/tui/app.py: lines longer than the view
        term.wait_for("›")  # cut lines say so
        term.keys("w")
        wrapped = term.wait_for("↪")
        assert "Long lines wrap" in wrapped
        assert top_line(wrapped) == 1
        (ledger,) = (tmp / "ledgers").glob("*.ledger")
        rows = ledger_views(ledger)[-1]["wrap"]  # the screen's rows: a page
        count = int(re.search(r"app\.py  \((\d+) lines\)", wrapped).group(1))
        moves = (("PageDown", 1 + rows), ("Down", 2 + rows), ("Down", 3 + rows),
                 ("End", count - rows + 1))  # fmt: skip
        for key, want in moves:
            term.keys(key)
            wait_top(term, want)  # drawn
            # Recorded before drawn: the ledger already names this wrapped screen.
            last = ledger_views(ledger)[-1]
            assert last.get("wrap") and last["first"] == want and last["col"] == 0, (key, last)
        term.keys("w")
        # Cut again: drawn with cut markers and no continuation rows. The notice that
        # says so is not waited for: the latest notice wins, and a guard alert posted
        # meanwhile replaced it (CI: ALERTS 4, the screen already cut).
        deadline = time.monotonic() + 30
        while not ("›" in (shown := term.screen()) and "↪" not in shown):
            assert time.monotonic() < deadline, f"never cut again:\n{shown}"
            term.pause()
        term.press_until("q", "End this review session?")
        term.keys("y")
        term.wait_for("FINAL witness code")
        term.keys("Enter")
        done = term.wait_for("EXIT=", timeout=60)
        assert "EXIT=0" in done and "INTACT" in done
        raw = term.raw()
    finally:
        term.close()
    leaked = [name for name, needle in FORBIDDEN.items() if needle in raw]
    assert leaked == [], f"reached the terminal raw: {leaked}"
    views = ledger_views(ledger)
    wraps = [v for v in views if v.get("wrap")]
    assert [v["first"] for v in wraps] == [1] + [want for _, want in moves]
    assert all(v["col"] == 0 for v in wraps)
    assert all(v["last"] - v["first"] < v["wrap"] for v in wraps)
    assert "wrap" not in views[-1]  # cut again at the end
    trust = tmp / "keys/vendor.pub"
    out = subprocess.run([f"{BIN}/cleanroom", "verify", ledger, "--trust", trust, "--json"],
                         capture_output=True, text=True, timeout=120)  # fmt: skip
    assert out.returncode == 0, out.stdout + out.stderr
    assert json.loads(out.stdout)["ledgers"][0]["summary"]["by_kind"]["view"] == len(views)
    cast = tmp / "session.cast"
    replay = subprocess.run([f"{BIN}/cleanroom", "replay", ledger, "--snapshot",
                             tmp / "s.snapshot", "--trust", trust, "--cast", cast],
                            capture_output=True, text=True, timeout=300)  # fmt: skip
    assert replay.returncode == 0, replay.stderr
    frames = "".join(json.loads(line)[2] for line in cast.read_text().splitlines()[1:])
    assert "↪" in frames and "wrapped at" in frames


def ledger_views(ledger: Path) -> list[dict]:
    return [b.payload for b in (body_of(ledger, r[0]) for r in read_rows(ledger))
            if b.kind == "view"]  # fmt: skip


def top_line(screen: str) -> int | None:
    """The line number on the code view's first row (under the file's title)."""
    rows = screen.splitlines()
    for i, row in enumerate(rows[:-1]):
        if "cleanroom/tui/app.py  (" in row:
            head = rows[i + 1].split("\u2502")[-1].split()
            return int(head[0]) if head and head[0].isdigit() else None
    return None


def wait_top(term: Tmux, line: int, timeout: float = 15.0) -> str:
    """Wait until the code view's first row is `line`: the key's screen is drawn."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        screen = term.screen()
        if top_line(screen) == line:
            return screen
        term.pause()
    raise AssertionError(f"line {line} never reached the top:\n{term.screen()}")
