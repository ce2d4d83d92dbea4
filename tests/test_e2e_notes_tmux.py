"""The whole notes path from a fresh `cleanroom demo` (the recorder as a child
process, the terminal over its socket) in a real terminal (tmux), then out of the
room with the real `cleanroom` commands, as issue 16 asks:

- in the terminal: one note of each kind (a finding quoting the source, a question
  on the Trojan Source file, a remark), and one more note withdrawn from the pane;
  the file's bidi controls never reach the pane;
- `notes check`: the quote is flagged with its place, the other notes are not;
- `notes release` refuses a decisions file that releases the withdrawn note, then
  writes a release that releases one note, withholds one and redacts one;
- `notes verify`, and `notes export` to SARIF (valid against the SARIF 2.1.0
  schema) and Markdown, neither holding the quote, the withheld or the withdrawn.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import jsonschema

from cleanroom.ledger.encoding import decode_body
from tests.ledgerkit import read_rows
from tests.tmuxkit import Tmux

BIN = Path(sys.executable).parent
SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text())
# (without the line's final ";", which tmux's send-keys would take as its own)
QUOTE = "str.split and the regex's \\s agree on whitespace (both Py_UNICODE_ISSPACE)"
NOTES = {  # title: (kind, body)
    "taken back": ("finding", "on second thoughts nothing"),
    "normalise quotes": ("finding", "It reads: " + QUOTE),
    "evil title": ("question", "line one\nline two"),
    "aside": ("remark", "the remark stays in the room"),
}


def gone(term: Tmux, text: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while text in term.screen():
        assert time.monotonic() < deadline, term.screen()
        term.pause()


def open_file(term: Tmux, part: str, shown: str) -> None:
    term.keys("C-p")
    term.wait_for("Type part of a path")
    term.type(part)
    term.settle()
    term.keys("Enter")
    term.wait_for(shown)


def write_note(term: Tmux, title: str) -> None:
    """Each key once the editor has done all the one before it asked (term.settle:
    the screen unchanged, the program idle), its field's text seen on screen: a key
    sent within a fraction of a second of the editor opening, or of the text before
    it, was seen to land in the wrong field under load (fixed sleeps of 0.5-1 s
    held that off, ~20 s a run)."""
    kind, body = NOTES[title]
    term.press_until("a", "New note on")
    term.settle()
    term.type(title)
    term.wait_for(title)
    term.settle()
    term.keys("Tab")
    term.settle()
    for i, line in enumerate(body.split("\n")):
        if i:
            term.keys("Enter")
            term.settle()
        term.type(line)
        term.wait_for(line[-20:])
        term.settle()
    if kind != "finding":  # back from the body: title, lines, severity, kind
        keys = ["BTab"] * 4 + ["Down"] * (1 if kind == "question" else 2) + ["Enter"]
        for key in keys:
            term.keys(key)
            term.settle()
    term.keys("C-s")
    # Saved once the editor has closed (it stays, saying why, when a save fails; the
    # ledger's notes are checked after). Not its "Note saved" notice: the latest
    # notice wins, so an alert can replace it, and waiting for it to go took ~5 s.
    gone(term, "New note on")


def write_in_the_demo(tmp_path: Path) -> bytes:
    term = Tmux(tmp_path)
    try:
        term.start(f"{BIN}/cleanroom demo --dir {tmp_path}/d --idle-minutes 30",
                   {"TERM": "xterm-256color"})  # fmt: skip
        term.wait_for("paper log", timeout=120)
        term.keys("Enter")
        term.wait_for("RECORDING")
        open_file(term, "notecheck/normal", "Invisible characters are dropped")
        write_note(term, "taken back")
        term.keys("C-n")
        term.wait_for("Notes (1)")
        term.keys("w")
        term.wait_for("y: withdraw")
        term.keys("y")
        term.wait_for("Note withdrawn")
        term.keys("Escape")
        gone(term, "Notes (1)")
        write_note(term, "normalise quotes")
        open_file(term, "trojan", "⟨RLO⟩")
        write_note(term, "evil title")
        write_note(term, "aside")
        term.keys("C-n")
        listed = term.wait_for("Notes (4)")
        assert "question" in listed and "remark" in listed and "[withdrawn]" in listed, listed
        term.keys("Escape")
        gone(term, "Notes (4)")  # a key right after escape would read as alt+key
        term.press_until("q", "End this review session?")
        term.keys("y")
        term.wait_for("FINAL witness code")
        term.keys("Enter")
        term.wait_exit(timeout=60)
        return term.raw()
    finally:
        term.close()


def cleanroom(*args: str | Path, code: int = 0) -> tuple[str, str]:
    """(stdout, stderr) of the real command, which must exit with `code`."""
    done = subprocess.run(
        [BIN / "cleanroom", *map(str, args)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == code, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout, done.stderr


def test_notes_from_the_demo_terminal_to_a_verified_sarif_export(tmp_path):
    raw = write_in_the_demo(tmp_path)
    assert "\u202e".encode() not in raw  # neither the file's nor the note's reached the pane
    demo = tmp_path / "d"
    (ledger,) = (demo / "ledgers").glob("*.ledger")
    bodies = [decode_body(b) for _, b, _ in read_rows(ledger)]
    notes = {b.payload["title"]: b.payload for b in bodies if b.kind == "note"}
    assert {t: (p["note_kind"], p["body"]) for t, p in notes.items()} == NOTES
    kinds = [b.kind for b in bodies]
    assert kinds.index("file_open") < kinds.index("note") < kinds.index("note_withdraw")
    ids = {t: p["note"] for t, p in notes.items()}

    (snapshot,) = demo.glob("sample-*.snapshot")
    trust = demo / "keys" / "vendor.pub"
    common = ["--snapshot", snapshot, "--trust", trust, "--cache-dir", tmp_path / "cache"]
    checked = json.loads(cleanroom("notes", "check", ledger, *common, "--json")[0])
    found = {n["title"]: n for n in checked["notes"]}
    (fragment,) = found["normalise quotes"]["fragments"]
    assert QUOTE in fragment["text"]
    assert fragment["places"] == [{"path": "cleanroom/notecheck/normal.py", "line": 93}]
    assert [t for t, n in found.items() if n["fragments"]] == ["normalise quotes"]
    assert found["taken back"]["withdrawn"]

    release = tmp_path / "findings.release"
    decide = [
        {"note": ids["evil title"], "decision": "release"},
        {"note": ids["aside"], "decision": "withhold"},
        {"note": ids["normalise quotes"], "decision": "redact", "body": "A quote, removed."},
    ]
    signing = [*common, "--vendor-key", demo / "keys" / "vendor.key", "--released-by", "Vera"]
    signing += ["--org", "Vendor Inc", "-o", release]
    refused = tmp_path / "refused.json"
    refused.write_text(json.dumps({"decisions": [*decide, {"note": ids["taken back"],
                                                           "decision": "release"}]}))  # fmt: skip
    out, err = cleanroom("notes", "release", ledger, *signing, "--decisions", refused, code=2)
    assert "withdrawn" in err
    assert not release.exists()
    decisions = tmp_path / "decisions.json"
    decisions.write_text(json.dumps({"decisions": decide}))
    out, err = cleanroom("notes", "release", ledger, *signing, "--decisions", decisions)
    assert "1 released, 1 redacted, 2 withheld" in out + err

    assert "RELEASE_OK" in cleanroom("notes", "verify", release, "--trust", trust)[0]
    sarif_file, md_file = tmp_path / "findings.sarif", tmp_path / "findings.md"
    for target in (sarif_file, md_file):
        cleanroom("notes", "export", release, "--trust", trust, "-o", target)
    sarif = json.loads(sarif_file.read_text())
    jsonschema.Draft4Validator(SCHEMA).validate(sarif)
    results = sarif["runs"][0]["results"]
    assert sorted(r["ruleId"] for r in results) == ["finding", "question"]
    md = md_file.read_text()
    assert "evil title" in md and "A quote, removed." in md
    for text in (sarif_file.read_text(), md):
        assert "Py_UNICODE_ISSPACE" not in text  # the quote was redacted
        assert "stays in the room" not in text and "second thoughts" not in text
