"""atk12 (outside attack on issue 12): one byte that is not UTF-8, sent by the
terminal, killed the reviewer terminal. The driver's input thread decoded what it
read with a strict UTF-8 decoder (cleanroom/tui/driver.py, as textual's own
does): a lone 0xFF (a terminal in a Latin-1 locale, an Alt key sent as the 8th
bit, a hostile pane) raises UnicodeDecodeError in the input thread, textual
calls `panic`, and the review ends on "stopped on an internal error": a crash
forced by a key, the session sealed as a crash. Such bytes are now dropped
(cleanroom/tui/driver.py); the keys around them still work."""

from tests.test_e2e_signals_tmux import SOURCE, open_a_file
from tests.test_e2e_tmux import workstation  # noqa: F401 (a fixture)
from tests.tmuxkit import Tmux, end_review


def test_a_byte_that_is_not_utf8_does_not_end_the_review(workstation):  # noqa: F811
    tmp = workstation
    term = Tmux(tmp)
    try:
        open_a_file(tmp, term)
        term._tmux("send-keys", "-t", term.name, "-H", "ff")  # one raw byte, not UTF-8
        term.keys("j")  # a key after it, to be read and acted on
        screen = term.settle()
        assert "internal error" not in screen, screen
        assert SOURCE in screen or "RECORDING" in screen, screen
        end_review(term)  # q, y, Enter: sealed by the reviewer, exit 0, INTACT
    finally:
        term.close()
