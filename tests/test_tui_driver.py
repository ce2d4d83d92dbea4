"""`ChordParser` (tui/driver.py): Alt chords arrive whole however fast they come,
and nothing else the terminal sends changes meaning. The real terminal is tested
in tests/test_e2e_alt_chords_tmux.py."""

import time

from textual import constants

from cleanroom.tui.driver import ChordParser


def keys(events) -> list[str]:
    return [getattr(e, "key", type(e).__name__) for e in events]


def test_chords_back_to_back_are_each_one_alt_key():
    parser = ChordParser()
    assert keys(parser.feed("\x1bq\x1b/\x1bp\x1b:\x1bx")) == [
        "alt+q", "alt+slash", "alt+p", "alt+colon", "alt+x",
    ]  # fmt: skip


def test_terminal_sequences_and_plain_keys_are_untouched():
    parser = ChordParser()
    assert keys(parser.feed("a\x1b[A\x1bOP\x1b[5~q")) == ["a", "up", "f1", "pageup", "q"]


def test_escape_then_a_key_at_human_speed_are_two_keys():
    """Holding a trailing ESC for the next read merged a quick Escape-then-q (close
    the dialog, then end the session) into alt+q; textual's own delay decides."""
    parser = ChordParser()
    got = keys(parser.feed("x\x1b"))
    deadline = time.monotonic() + 10 * constants.ESCAPE_DELAY
    while got == ["x"] and time.monotonic() < deadline:
        time.sleep(0.02)
        got += keys(parser.tick())
    assert got == ["x", "escape"]
    assert keys(parser.feed("q\x1bf")) == ["q", "alt+f"]


def test_a_lone_escape_still_arrives():
    parser = ChordParser()
    assert keys(parser.feed("\x1b")) == []
    got: list[str] = []
    deadline = time.monotonic() + 10 * constants.ESCAPE_DELAY
    while not got and time.monotonic() < deadline:
        time.sleep(0.02)
        got = keys(parser.tick())
    assert got == ["escape"]


def test_escape_then_escape_then_a_chord():
    parser = ChordParser()
    assert keys(parser.feed("\x1b\x1b\x1bx")) == ["escape", "escape", "alt+x"]
