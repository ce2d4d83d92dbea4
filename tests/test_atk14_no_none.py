"""A ledger whose start names no readable reviewer shows "unnamed", never Python's
`None` (outside attack atk14, session 13; issue 14: "remove the Python None").

The CSV lost its `None`, but the HTML report's Sessions row and timeline heading
and who-viewed's text still printed `None (None)` for a TAMPERED ledger (with
--include-tampered) whose `session_start` does not decode: here a lone surrogate
escape in the reviewer's name. Real ledger, real keys, the real CLI."""

from __future__ import annotations

import re

from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.session.events import FileOpen, View
from tests.forensicskit import make_snapshot, trust_file
from tests.ledgerkit import Kit, writable


def _unreadable_start(tmp_path):
    kit = Kit("atk14-none")
    (tmp_path / "ledgers").mkdir()
    ledger = kit.new_ledger(tmp_path / "ledgers")
    ledger.append(FileOpen(b"a.c", "ab" * 32, 400, 40, {}))
    ledger.append(View(b"a.c", "ab" * 32, 1, 30, 0, 100))
    ledger.append(View(b"a.c", "ab" * 32, 11, 40, 0, 100))
    ledger.seal()
    ledger.close()
    with writable(ledger.path) as conn:
        body = conn.execute("SELECT body FROM entries WHERE seq = 0").fetchone()[0]
        bad = body.replace(b'"Ada Reviewer"', b'"\\ud800Ada"', 1)
        assert bad != body
        conn.execute("UPDATE entries SET body = ? WHERE seq = 0", (bad,))
    snap = make_snapshot(kit, tmp_path / "snap")
    return snap, tmp_path / "ledgers", trust_file(kit, tmp_path)


def test_the_report_never_says_none_for_a_reviewer(tmp_path):
    snap, ledgers, trust = _unreadable_start(tmp_path)
    out = tmp_path / "r.html"
    args = ["report", str(ledgers), "--snapshot", str(snap), "--trust", str(trust),
            "--include-tampered", "-o", str(out)]  # fmt: skip
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert result.exit_code == 1, result.output  # TAMPERED
    text = re.sub(r"<[^>]*>", " ", out.read_text("utf-8"))
    leaks = re.findall(r".{0,40}\bNone\b(?!\.).{0,20}", text)  # "None." is the page's word
    assert leaks == []
    assert "unnamed" in text


def test_who_viewed_never_says_none_for_a_reviewer(tmp_path):
    _, ledgers, trust = _unreadable_start(tmp_path)
    args = ["who-viewed", "a.c", str(ledgers), "--trust", str(trust), "--include-tampered",
            "--no-cache"]  # fmt: skip
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    assert "SEEN" in result.output, result.output
    assert re.findall(r".{0,40}\bNone\b(?!\.).{0,20}", result.output) == [], result.output
