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
"""

from __future__ import annotations

import os
import re
import selectors
from codecs import getincrementaldecoder
from collections.abc import Iterable

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


class ChordDriver(LinuxDriver):
    """LinuxDriver whose input thread parses with `ChordParser` (the loop below is
    LinuxDriver.run_input_thread of textual 8, with the parser swapped)."""

    def run_input_thread(self) -> None:
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        parser = ChordParser(self._debug)
        feed, tick = parser.feed, parser.tick
        decode = getincrementaldecoder("utf-8")().decode

        def process(ready: list[tuple[selectors.SelectorKey, int]], final: bool = False) -> None:
            for last, (_key, mask) in loop_last(ready):
                if mask & selectors.EVENT_READ:
                    data = decode(os.read(fileno, 1024 * 4), final=final and last)
                    if not data:
                        break  # stdin is piped and ended
                    for event in feed(data):
                        self.process_message(event)
            for event in tick():
                self.process_message(event)

        try:
            while not self.exit_event.is_set():
                process(selector.select(0.1))
            selector.unregister(self.fileno)
            process(selector.select(0.1), final=True)
        finally:
            selector.close()


__all__ = ["ChordDriver", "ChordParser"]
