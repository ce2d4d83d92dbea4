"""The interactive `cleanroom notes release` in a real terminal (tmux): each note is
shown sanitized with the check's findings; the vendor releases one, redacts one and
withholds one; the release then verifies and exports as schema-valid SARIF."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import jsonschema
from click.testing import CliRunner

from cleanroom.cli import main
from tests.ledgerkit import Kit
from tests.noteskit import (
    DESCRIBES,
    QUOTE,
    note,
    notes_cache_dir,  # noqa: F401 (an autouse fixture)
    setup,
)
from tests.tmuxkit import Tmux

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
EVIL = "evil\x1b]52;c;SGk=\x07\u202etitle"


def test_interactive_release_redact_withhold_then_verify_and_export(tmp_path):
    kit = Kit("e2e-notes")
    notes = [
        note(1, DESCRIBES, title="Wrap in reserve"),
        note(2, "Quoted:\n" + QUOTE, title="Leaky note"),
        note(3, "nothing much", title=EVIL, kind="remark"),
    ]
    files = setup(kit, tmp_path, notes)
    release = tmp_path / "out.release"
    cmd = [
        sys.executable,
        "-m",
        "cleanroom",
        "notes",
        "release",
        str(files["ledger"]),
        "--snapshot",
        str(files["snapshot"]),
        "--trust",
        str(files["trust"]),
        "--vendor-key",
        str(files["vendor_key"]),
        "--released-by",
        "Vera Vendor",
        "--org",
        "Vendor Inc",
        "-o",
        str(release),
    ]
    term = Tmux(tmp_path, width=160, height=50)
    try:
        term.start(shlex.join(cmd) + "; sleep 30")
        term.wait_for("[1/3]", timeout=60)
        term.wait_for("[r/w/d]")
        term.type("r")
        term.keys("Enter")
        shown = term.wait_for("[2/3]")
        term.wait_for("[r/w/d]")
        assert "VERBATIM in body" in term.screen() and "drivers/frob/ring.c:14" in term.screen()
        term.type("d")
        term.keys("Enter")
        term.wait_for("replacement title")
        term.type("Bounds check in the ring")
        term.keys("Enter")
        term.wait_for("replacement body")
        term.type("The reserve check can be bypassed (quote removed).")
        term.keys("Enter")
        term.type(".")
        term.keys("Enter")
        term.wait_for("[3/3]")
        # Note 3's own lines: the earlier prompts' "[r/w/d]" is still on screen, and
        # its header comes a moment after "[3/3]" (the first non-ASCII name loads the
        # confusables data), so waiting for "[r/w/d]" read the screen too early.
        shown = term.wait_for("| nothing much")
        assert "⟨ESC⟩" in shown or "⟨x1B⟩" in shown  # the escape is shown, not obeyed
        term.type("w")
        term.keys("Enter")
        term.wait_for("wrote", timeout=30)
        assert b"\x1b]52" not in term.raw()
    finally:
        term.close()
    out = CliRunner().invoke(
        main, ["notes", "verify", str(release), "--trust", str(files["trust"])]
    )
    assert out.exit_code == 0 and "1 released, 1 redacted, 1 withheld" in out.output
    sarif_file = tmp_path / "findings.sarif"
    out = CliRunner().invoke(
        main,
        ["notes", "export", str(release), "--trust", str(files["trust"]), "-o", str(sarif_file)],
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(sarif_file.read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(doc)
    messages = [r["message"]["text"] for r in doc["runs"][0]["results"]]
    assert messages[0].startswith("Wrap in reserve")
    redacted = "Bounds check in the ring\n\nThe reserve check can be bypassed (quote removed)."
    assert messages[1] == redacted
    assert QUOTE not in sarif_file.read_text() and "nothing much" not in sarif_file.read_text()
