"""`ChordDriver`: Textual's Linux driver, with Alt chords kept whole.

A terminal sends Alt+x as ESC then `x`. Textual's parser waits for what follows
an ESC; when the next byte is another ESC (a second chord right behind the
first), it gives up on the first and reissues it as `^` and a bare `x`, so the
`x` runs its binding and no Alt chord is seen, let alone recorded as blocked.
`ChordParser` rewrites each ESC + printable byte pair as the kitty keyboard
protocol's unambiguous form of the same chord (`CSI codepoint ; 3 u`, 3 = Alt),
which the parser reads at once as `alt+x` whatever follows. An ESC that ends a
read is passed on as it came: textual's own escape delay decides whether what
follows in the next read makes a chord.

Not rewritten: ESC followed by a byte that starts a sequence the terminal itself
sends (`[` CSI, `O` SS3, `]` OSC, `P` DCS, `_` APC, `^` PM, `\\` ST). Alt with
one of those keys keeps Textual's own handling.

Each read's events go to the app in one hand-over (`send_message` batches them):
textual hands over every key on its own (`run_coroutine_threadsafe`: a task
and a wake-up of the event loop per key). A raw paste of 200,000 characters
into quick open (tmux `paste-buffer` without -p, outside attack atk12e finding
4) made that 200,000 tasks, and Escape acted 45 to 76 s after it was sent; one
per read (4 KB) is about 50. And the keys of one read go as one `KeyRun`,
which the app runs key by key in place (`LockedApp.on_event`): a key the box
has no room for costs a few checks, not a trip through the app's queue
(tests/test_e2e_key_flood_tmux.py).

Bytes that are not UTF-8 (a terminal in a Latin-1 locale, Alt sent as the
eighth bit, a hostile pane) are dropped: textual's strict decoder raised in the
input thread and a single such byte ended the review as a crash (atk12). End of
input (a hung-up terminal, or a read error) ends the thread and tells the app
(`TerminalGone`): a review with no controlling terminal gets no SIGHUP when its
terminal goes, and stayed up for good with the ledger unsealed (atk12).
"""

from __future__ import annotations

import asyncio
import os
import re
import selectors
import threading
from codecs import getincrementaldecoder
from collections.abc import Iterable

from textual import events
from textual._loop import loop_last
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver
from textual.message import Message

ESC = "\x1b"
_CHORD = re.compile(r"\x1b([\x20-\x7e])")  # ESC, then one printable byte
_INTRODUCERS = frozenset("[O]P_^\\")


def _as_kitty(match: re.Match[str]) -> str:
    char = match.group(1)
    if char in _INTRODUCERS:
        return match.group(0)
    return f"\x1b[{ord(char)};3u"


class ChordParser(XTermParser):
    """Textual's xterm parser, fed Alt chords in a form it cannot split."""

    def rewrite(self, data: str) -> str:
        """`data` with each ESC + printable pair as a kitty Alt chord. A trailing
        ESC goes to textual as it came: its parser waits its escape delay for
        what follows, as it always did (holding it longer here merged a quick
        Escape-then-key into an Alt chord)."""
        return _CHORD.sub(_as_kitty, data) if ESC in data else data

    def feed(self, data: str) -> Iterable[Message]:
        yield from super().feed(self.rewrite(data) if data else data)


class TerminalGone(events.Event):
    """The terminal's input ended: nothing will ever be read again."""


class KeyRun(events.Event):
    """Keys read together, in order: the app runs each as if it came alone
    (`LockedApp.on_event`), without a trip through its queue per key."""

    def __init__(self, keys: list[events.Key]) -> None:
        super().__init__()
        self.keys = keys


def runs(batch: list[Message]) -> list[Message]:
    """`batch` with each run of two or more keys as one `KeyRun`."""
    out: list[Message] = []
    keys: list[events.Key] = []
    for message in [*batch, None]:
        if isinstance(message, events.Key):
            keys.append(message)
            continue
        if len(keys) > 1:
            out.append(KeyRun(keys))
        else:
            out.extend(keys)
        keys = []
        if message is not None:
            out.append(message)
    return out


class ChordDriver(LinuxDriver):
    """LinuxDriver whose input thread parses with `ChordParser` (the loop below is
    LinuxDriver.run_input_thread of textual 8, with the parser swapped), and hands
    each read's events over at once."""

    _batch: list[Message] | None = None  # the events of the read being parsed
    _reader: int | None = None  # the input thread's id: only its own events wait

    def send_message(self, message: Message) -> None:
        if self._batch is not None and threading.get_ident() == self._reader:
            self._batch.append(message)  # handed over with the rest of its read
            return
        super().send_message(message)

    def _hand_over(self) -> None:
        batch, self._batch = self._batch, None
        if batch:
            handed = runs(batch)
            for message in handed:
                message.set_sender(self._app)
            asyncio.run_coroutine_threadsafe(self._post_all(handed), loop=self._loop)

    async def _post_all(self, batch: list[Message]) -> None:
        """In order, and all before the next read's: the app's queue is unbounded,
        so no put waits, and the tasks run in the order they were handed over."""
        for message in batch:
            await self._app._post_message(message)

    def run_input_thread(self) -> None:
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        parser = ChordParser(self._debug)
        feed, tick = parser.feed, parser.tick
        decode = getincrementaldecoder("utf-8")(errors="ignore").decode
        self._reader = threading.get_ident()

        def process(ready: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> None:
            self._batch = []
            try:
                read(ready, final)
            finally:
                self._hand_over()

        ended = False  # end of file: nothing will ever be read again

        def read(ready: list[tuple[selectors.SelectorKey, int]], final: bool) -> None:
            nonlocal ended
            for last, (_key, mask) in loop_last(ready):
                if mask & selectors.EVENT_READ:
                    try:
                        raw = os.read(fileno, 1024 * 4)
                    except OSError:  # EIO: the terminal hung up under the read
                        raw = b""
                    if not raw:
                        # A hung-up terminal (or a piped stdin that ended) reads as end of
                        # file at once, every time: reading on would spin a core for as
                        # long as the process lives, and keep it alive (this thread is
                        # not a daemon) should its exit not set `exit_event`.
                        ended = True
                        break
                    data = decode(raw, final=final and last)
                    if not data:
                        break  # part of a character: the rest comes with the next read
                    for event in feed(data):
                        self.process_message(event)
            for event in tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set() and not ended:
                process(selector.select(0.1))
            selector.unregister(self.fileno)
            if not ended:
                process(selector.select(0.1), final=True)
        finally:
            selector.close()
        if ended and not self.exit_event.is_set():
            super().send_message(TerminalGone())  # the app ends the session (signals.py)


__all__ = ["ChordDriver", "ChordParser", "KeyRun", "TerminalGone", "runs"]
