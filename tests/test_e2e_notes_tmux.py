"""A note written in `cleanroom demo` (the recorder as a child process, the
terminal over its socket), in a real terminal (tmux): typed, saved, listed in
the notes pane, and in the ledger exactly as typed (a multi-line body), recorded
after the file it is on was opened; no bidi control of the file reached the pane."""

import sys
import time
from pathlib import Path

from cleanroom.ledger.encoding import decode_body
from tests.ledgerkit import read_rows
from tests.tmuxkit import Tmux

BIN = Path(sys.executable).parent
TITLE = "evil title"


def gone(term: Tmux, text: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while text in term.screen():
        assert time.monotonic() < deadline, term.screen()
        time.sleep(0.1)


def test_a_note_written_in_the_demo_is_recorded_as_typed_and_shown_tagged(tmp_path):
    term = Tmux(tmp_path)
    try:
        term.start(f"{BIN}/cleanroom demo --dir {tmp_path}/d --idle-minutes 30",
                   {"TERM": "xterm-256color"})  # fmt: skip
        term.wait_for("paper log", timeout=120)
        term.keys("Enter")
        term.wait_for("RECORDING")
        term.keys("C-p")
        term.wait_for("Type part of a path")
        term.type("trojan")
        term.keys("Enter")
        term.wait_for("⟨RLO⟩")
        term.press_until("a", "New note on")
        # At a person's pace (a Tab sent within a fraction of a second of the editor
        # opening was seen to leave the focus on the title under load).
        time.sleep(1)
        for step in (lambda: term.type(TITLE), lambda: term.keys("Tab"),
                     lambda: term.type("line one"), lambda: term.keys("Enter"),
                     lambda: term.type("line two"), lambda: term.keys("C-s")):  # fmt: skip
            step()
            time.sleep(0.5)
        term.wait_for("Note saved")
        term.keys("C-n")
        term.wait_for("Notes (1)")
        listed = term.wait_for("line two")  # the body of the note highlighted
        assert f"finding medium   {TITLE}" in listed and "trojan_source.c line" in listed, listed
        term.keys("Escape")
        gone(term, "Notes (1)")  # a key right after escape would read as alt+key
        term.press_until("q", "End this review session?")
        term.keys("y")
        term.wait_for("FINAL witness code")
        term.keys("Enter")
        term.wait_exit(timeout=60)
        raw = term.raw()
    finally:
        term.close()
    assert "\u202e".encode() not in raw  # neither the file's nor the note's reached the pane
    (ledger,) = (tmp_path / "d" / "ledgers").glob("*.ledger")
    bodies = [decode_body(b) for _, b, _ in read_rows(ledger)]
    notes = [b.payload for b in bodies if b.kind == "note"]
    assert len(notes) == 1
    assert (notes[0]["title"], notes[0]["body"]) == (TITLE, "line one\nline two")
    assert notes[0]["path"].endswith("trojan_source.c") and notes[0]["first"] >= 1
    kinds = [b.kind for b in bodies]
    assert kinds.index("file_open") < kinds.index("note") < kinds.index("session_end")
