"""The wrap toggle in a real terminal of 80x24 (tmux), end to end (issue 15, ADR
0212): `w` on a file with lines longer than the view wraps them, `↪` marking the
later rows, with no cut marker; scrolling while wrapped; `w` cuts them again.
The ledger has each wrapped `view` (with `wrap`), verifies, and `cleanroom
replay` paints the wrapped screens again (exit 0, `↪` in the cast)."""

import json
import subprocess

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
        for _ in range(3):
            term.keys("Down")
        term.wait_for("↪")
        term.keys("w")
        term.wait_for("Long lines are cut")
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
    (ledger,) = (tmp / "ledgers").glob("*.ledger")
    views = [b.payload for b in (body_of(ledger, r[0]) for r in read_rows(ledger))
             if b.kind == "view"]  # fmt: skip
    wraps = [v for v in views if v.get("wrap")]
    assert len(wraps) >= 2 and all(v["col"] == 0 for v in wraps)
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
