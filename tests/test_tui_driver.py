"""`ChordParser` (tui/driver.py): Alt chords arrive whole however fast they come,
and nothing else the terminal sends changes meaning. The real terminal is tested
in tests/test_e2e_alt_chords_tmux.py."""

import asyncio
import os
import threading
import time
import tty

from textual import constants
from textual.app import App

from cleanroom.tui.driver import ChordDriver, ChordParser, KeyRun, TerminalGone


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


class Inbox(App):
    """An app that keeps what the driver hands it, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.got: list[object] = []

    async def _post_message(self, message) -> bool:
        self.got.append(message)
        return True

    def handed(self) -> list[object]:
        """Each key alone (a `KeyRun` is its keys), other events as they came."""
        out: list[object] = []
        for message in self.got:
            out.extend(message.keys if isinstance(message, KeyRun) else [message])
        return out


def input_thread_on(fd: int, app: App | None = None) -> tuple[ChordDriver, threading.Thread]:
    """The driver's input thread, reading `fd` (a real pseudo-terminal). Called on
    the event loop, as textual's driver is made."""
    driver = ChordDriver(app or App())
    driver.fileno = fd
    thread = threading.Thread(target=driver.run_input_thread, daemon=True)
    thread.start()
    return driver, thread


async def test_the_input_thread_ends_when_its_terminal_hangs_up():
    """A hung-up terminal reads as end of file at once, every time. The input thread
    read it in a loop until the app's exit set its event: a review whose exit path
    never got there (seen: a demo whose tmux server was killed under a 200k-key
    flood) outlived its terminal, finished but spinning a core, for hours."""
    master, slave = os.openpty()
    os.close(master)  # the terminal goes: the slave side now reads end of file
    driver, thread = input_thread_on(slave)
    try:
        thread.join(timeout=30)  # a bound on a test that would hang, not a timing claim
        assert not thread.is_alive(), "the input thread went on reading a hung-up terminal"
    finally:
        driver.exit_event.set()
        thread.join(timeout=5)
        os.close(slave)


async def test_a_read_that_splits_a_character_does_not_end_the_input_thread():
    """Part of a UTF-8 character decodes to nothing; that is not end of file."""
    master, slave = os.openpty()
    tty.setraw(slave)
    driver, thread = input_thread_on(slave)
    try:
        os.write(master, "é".encode()[:1])
        time.sleep(0.5)  # read, and decoded to nothing (the rest is to come)
        assert thread.is_alive()
    finally:
        driver.exit_event.set()
        thread.join(timeout=5)
        os.close(master)
        os.close(slave)


async def until(check, bound_s: float = 30.0) -> None:
    """Wait on the event loop (the driver hands over through it) until `check()`."""
    deadline = time.monotonic() + bound_s  # a bound on a test that would hang
    while not check() and time.monotonic() < deadline:
        await asyncio.sleep(0.02)


async def test_a_byte_that_is_not_utf8_is_dropped_and_the_keys_around_it_arrive():
    """textual's strict decoder raised in the input thread on one byte that is not
    UTF-8 (a Latin-1 terminal, Alt as the eighth bit, a hostile pane), and the
    review ended as a crash (atk12). The byte is dropped; the keys around it come."""
    master, slave = os.openpty()
    tty.setraw(slave)
    app = Inbox()
    driver, thread = input_thread_on(slave, app)
    try:
        os.write(master, b"a\xff\xc3(b\xe9")
        await until(lambda: len(app.handed()) >= 3)
        assert thread.is_alive(), "a byte that is not UTF-8 ended the input thread"
        os.write(master, "é".encode())  # a whole character still decodes after them
        await until(lambda: len(app.handed()) >= 4)
        await asyncio.sleep(0.2)  # anything more would arrive by now
        # \xc3( is a broken character: \xc3 goes, ( stays; \xe9 waited for more
        assert keys(app.handed()) == ["a", "left_parenthesis", "b", "é"]
    finally:
        driver.exit_event.set()
        thread.join(timeout=5)
        os.close(master)
        os.close(slave)


async def test_the_app_is_told_when_its_terminal_hangs_up():
    """Without a controlling terminal no SIGHUP comes when the terminal goes: the
    input thread's end of file is the only news of it, and the review stayed up
    for good, unsealed (atk12). The app is handed `TerminalGone`, once."""
    master, slave = os.openpty()
    app = Inbox()
    driver, thread = input_thread_on(slave, app)
    try:
        os.close(master)
        await until(lambda: not thread.is_alive() and app.got)
        await asyncio.sleep(0.2)  # anything handed over late would arrive by now
        assert [type(m) for m in app.got] == [TerminalGone]
    finally:
        driver.exit_event.set()
        thread.join(timeout=5)
        os.close(slave)


async def test_an_exit_is_not_reported_as_a_hang_up():
    """The app's own exit ends the thread quietly: no `TerminalGone` after it."""
    master, slave = os.openpty()
    tty.setraw(slave)
    app = Inbox()
    driver, thread = input_thread_on(slave, app)
    try:
        driver.exit_event.set()
        thread.join(timeout=30)
        assert not thread.is_alive()
        await asyncio.sleep(0.2)
        assert not [m for m in app.got if isinstance(m, TerminalGone)]
    finally:
        os.close(master)
        os.close(slave)
