"""A crash of the reviewer terminal, whatever its cause (issue 12): the screen
gets a fixed message, never a traceback with locals (source could be among
them); the details go to a crash file only the recorder's owner can read; the
ledger names its SHA-256 in a `crash` entry and is sealed; or, when the ledger
cannot be written, it is left unsealed and resumable (docs/events.md)."""

import hashlib
import json
import os
import stat

import pytest
from click.testing import CliRunner

from cleanroom.cli import main
from cleanroom.ledger.encoding import decode_body
from cleanroom.ledger.verify import verify_path
from cleanroom.session.crash import CRASH_DIR
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.crash import FIXED
from tests.forensicskit import trust_file
from tests.ledgerkit import read_rows
from tests.tuikit import make_app

SIZE = (100, 30)


class Boom(Exception):
    pass


def entries(path):
    return [decode_body(b) for _, b, _ in read_rows(path)]


def crash_in_render(monkeypatch):
    """A render that reads source into a local, then raises: Textual's traceback
    would have printed that local."""
    real = CodeView.render_line

    def failing(self, y):
        strip = real(self, y)
        source_line = "".join(s.text for s in strip)
        if "value_" in source_line:
            raise Boom("render failed")
        return strip

    monkeypatch.setattr(CodeView, "render_line", failing)


async def run_until_crash(app):
    with pytest.raises(Boom):
        async with app.run_test(size=SIZE) as pilot:
            await pilot.press("enter")
            app.open_path(b"src/long.py")
            for _ in range(20):
                await pilot.pause(0.05)


async def test_a_crash_shows_a_fixed_message_and_seals_with_a_crash_file(
    kit, ledger_dir, monkeypatch, capfd
):
    app, _ = make_app(kit, ledger_dir)
    crash_in_render(monkeypatch)
    await run_until_crash(app)
    out, err = capfd.readouterr()
    shown = out + err
    assert FIXED in shown
    assert "value_" not in shown and "source_line" not in shown and "Traceback" not in shown
    assert "render failed" not in shown
    (crash,) = (ledger_dir / CRASH_DIR).iterdir()
    assert stat.S_IMODE(os.stat(ledger_dir / CRASH_DIR).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(crash).st_mode) == 0o600
    assert os.stat(crash).st_uid == os.getuid()
    assert str(crash) in shown, shown[:400]
    details = crash.read_bytes()
    assert b"Boom: render failed" in details and b"source_line = " in details
    ledger = app.session.recorder.ledger.path
    rows = entries(ledger)
    recorded = [e.payload for e in rows if e.kind == "crash"]
    assert recorded == [
        {"error": "Boom", "file": crash.name, "sha256": hashlib.sha256(details).hexdigest()}
    ]
    assert rows[-1].kind == "session_end" and rows[-1].payload["reason"] == "crash"
    verdict = verify_path(ledger, kit.trust)
    assert verdict.status == "INTACT"
    final = f"{app.receipt.seq}:{app.receipt.witness.code}"
    assert final in shown  # the final witness code, for the paper log
    out = ledger_dir.parent / "report.json"
    args = ["report", str(ledger), "--snapshot", str(ledger_dir.parent / "sample.snapshot"),
            "--trust", str(trust_file(kit, ledger_dir.parent)), "-o", str(out)]  # fmt: skip
    assert CliRunner().invoke(main, args, catch_exceptions=False).exit_code == 0
    incidents = json.loads(out.read_text())["incidents"]
    assert [i["kind"] for i in incidents] == ["crash"]  # docs/report-format.md


async def test_a_crash_with_the_ledger_unwritable_leaves_it_resumable(
    kit, ledger_dir, monkeypatch, capfd
):
    app, disk = make_app(kit, ledger_dir)
    crash_in_render(monkeypatch)
    real = CodeView.render_line

    def full_then_fail(self, y):
        disk.full = True  # the crash comes with a full disk
        return real(self, y)

    monkeypatch.setattr(CodeView, "render_line", full_then_fail)
    monkeypatch.setattr(app.session, "record_view", lambda *a: True)
    await run_until_crash(app)
    _, err = capfd.readouterr()
    assert FIXED in err and "value_" not in err and "Traceback" not in err
    assert "not sealed" in err and "FINAL" not in err
    ledger = app.session.recorder.ledger
    assert not ledger.sealed
    assert "crash" not in [e.kind for e in entries(ledger.path)]
    ledger.close()
    assert verify_path(ledger.path, kit.trust).status == "INCOMPLETE"  # UNSEALED: resumable
