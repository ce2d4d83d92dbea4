"""Failing closed in a real terminal and a real process (tmux): the ledger taken
away under a running session, and the keys that would suspend or quit a
terminal program. On this networked machine with --allow-network (a recorded
`network` alert, whose response is only to record)."""

import time

import pytest

from cleanroom.ledger.encoding import decode_body
from tests.ledgerkit import read_rows
from tests.test_e2e_tmux import CODE, review_command, workstation  # noqa: F401 (fixture)
from tests.tmuxkit import Tmux


def start_review(tmp) -> Tmux:
    term = Tmux(tmp)
    term.start(f"{review_command(tmp)} --allow-network; echo EXIT=$?; sleep 30",
               {"TERM": "xterm-256color"})  # fmt: skip
    term.wait_for("paper log", timeout=60)
    term.keys("Enter")
    term.keys("C-p")
    term.wait_for("Type part of a path")
    term.type("tui/app.py")
    term.keys("Enter")
    term.wait_for("cleanroom/tui/app.py  (")
    return term


def whole(term: Tmux, text: str, left_over: str, timeout: float) -> str:
    """The screen once `text` is on it and `left_over`, from the screen before, is
    not. One frame reaches tmux in several reads; under load a capture can come
    between two, the top rows already the new screen's and the bottom rows (the
    status bar) still the old one's. Fails, with the screen, if `left_over` is still
    there after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    shown = term.wait_for(text, timeout=timeout)
    while left_over in shown or text not in shown:
        assert time.monotonic() < deadline, f"{left_over!r} stayed beside {text!r}:\n{shown}"
        term.pause()
        shown = term.screen()
    return shown


@pytest.mark.parametrize("damage", ["rename", "delete"])
def test_a_ledger_taken_away_mid_session_ends_it_in_red_and_exits(workstation, damage):  # noqa: F811
    tmp = workstation
    term = start_review(tmp)
    try:
        assert "ReviewApp" in term.screen() and "● RECORDING" in term.screen()
        (ledger,) = (tmp / "ledgers").glob("*.ledger")
        if damage == "rename":
            ledger.rename(tmp / "ledgers" / "moved.bin")
        else:
            ledger.unlink()
        # Premise changed (round-2 attack b05): a ledger gone is no "sealed, but could
        # not be finished" file; the screen says what happened, and the receipt is
        # the receipt of a missing ledger (.gone.receipt.json).
        shown = whole(term, "cannot be finished", "RECORDING", timeout=30)
        how = "moved" if damage == "rename" else "deleted"
        assert f"The ledger file was {how} during the session" in shown
        assert "sealed, but" not in shown and "finishes the file" not in shown
        assert "ReviewApp" not in shown  # no source under the red screen
        final = CODE.search(shown[shown.index("FINAL") :])
        assert final is not None, shown
        for key in ("q", "y", "C-p", "s", "/"):  # nothing but Enter gets out
            term.keys(key)
        assert "cannot be finished" in term.screen()
        term.keys("Enter")
        done = term.wait_for("EXIT=", timeout=60).replace("\n", "")
        assert "EXIT=1" in done and "missing (moved or deleted during the session)" in done
    finally:
        term.close()
    assert list((tmp / "ledgers").glob("*.ledger.receipt.json")) == []
    receipts = list((tmp / "ledgers").glob("*.ledger.gone.receipt.json"))
    assert len(receipts) == 1 and f'"seq": {final.group(1)}' in receipts[0].read_text()


def test_suspend_and_quit_keys_are_recorded_not_obeyed(workstation):  # noqa: F811
    tmp = workstation
    term = start_review(tmp)
    try:
        for key in ("C-z", "C-\\", "C-s", "F5"):
            term.keys(key)
        # alt+x as the bytes ESC x, then a pause: Textual reads ESC plus one key as an
        # alt chord only when nothing follows within its escape delay.
        term._tmux("send-keys", "-t", term.name, "-H", "1b", "78")
        time.sleep(0.5)
        for _ in range(40):  # a held ctrl+z
            term.keys("C-z")
        term.keys("PageDown")
        term.wait_for("│ 3")  # still drawing: not stopped, suspended or quit
        term.press_until("q", "End this review session?")
        term.keys("y")
        term.wait_for("FINAL witness code")
        term.keys("Enter")
        done = term.wait_for("EXIT=", timeout=60)
        assert "EXIT=0" in done
    finally:
        term.close()
    (ledger,) = (tmp / "ledgers").glob("*.ledger")
    bodies = [decode_body(b) for _, b, _ in read_rows(ledger)]
    blocked = [b.payload["detail"] for b in bodies if b.kind == "blocked"]
    assert blocked[:5] == ["ctrl+z (suspend)", "ctrl+backslash (quit signal)",
                           "ctrl+s (save or stop output)", "f5", "alt+x"]  # fmt: skip
    assert blocked[5] == "ctrl+z (suspend)" and "held: 39 more presses" in blocked[6]
    assert len(blocked) == 7
