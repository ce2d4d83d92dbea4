"""A raw key flood into quick open, in a real terminal (issue 12, outside attack
atk12e finding 4): tmux `paste-buffer` WITHOUT -p (no bracketed paste: every
character a key) of 200,000 characters into ctrl+p. The query stops at 256
characters, yet Escape was acted on 76 s to 3 min later (45 s here, load 7):
textual's driver handed the app each key as its own task, one wake-up of the
event loop each. The driver now hands over each read's keys at once, as one
run the app works through in place (cleanroom/tui/driver.py). The bound below
is on a test that would hang, not a timing claim."""

import sys
import time
from pathlib import Path

from tests.tmuxkit import Tmux

BIN = Path(sys.executable).parent
FLOOD = 200_000


def open_box(screen: str) -> bool:
    """Quick open's box is drawn (its frame), or part of the flood is."""
    return "▔▔▔▔▔▔▔▔" in screen or "abcdefghij" in screen or "Type part of a path" in screen


def test_escape_closes_quick_open_after_a_raw_200k_key_flood(tmp_path):
    term = Tmux(tmp_path)
    try:
        term.start(f"cd {tmp_path} && {BIN}/cleanroom demo --dir d --idle-minutes 30;"
                   " echo EXIT=$?; sleep 30", {"TERM": "xterm-256color"})  # fmt: skip
        term.wait_for("paper log", timeout=120)
        term.keys("Enter")
        term.wait_for("RECORDING")
        term.keys("C-p")
        term.wait_for("Type part of a path")
        flood = tmp_path / "flood.txt"
        flood.write_text(("abcdefghij" * (FLOOD // 10))[:FLOOD])
        term._tmux("load-buffer", "-b", "flood", str(flood))
        term._tmux("paste-buffer", "-b", "flood", "-t", term.name)  # no -p: raw keys
        term.keys("Escape")
        sent = time.monotonic()
        while open_box(term.screen()) and time.monotonic() - sent < 20:
            time.sleep(0.1)
        closed_after = time.monotonic() - sent
        screen = term.screen()
        assert not open_box(screen), f"still open after {closed_after:.1f} s: {screen}"
        print(f"{FLOOD:,} raw keys: quick open closed {closed_after:.1f} s after Escape")
        assert "● RECORDING" in screen, screen
        term.press_until("q", "End this review session?")
        term.keys("y")
        term.wait_for("FINAL witness code", timeout=60)
        term.keys("Enter")
        done = term.wait_for("EXIT=", timeout=120)
    finally:
        term.close()
    assert "Traceback" not in done and "EXIT=0" in done, done
    assert "INTACT" in done, done
