"""A window of normalised text, confirmed in a blob's raw bytes without normalising it.

`verbatim.py` confirms a window (a run of a note's words joined by single
spaces) by asking whether it is a substring of a candidate blob's normalised
text (`normal.py`: the blob decoded as UTF-8 with surrogateescape, every run of
whitespace one space, the ends stripped). Decoding and normalising every
candidate was most of what the check cost (ADR 0405).

For a blob whose bytes are all ASCII and none a control byte that normalising
drops (`normal.plain`: such a blob is read as any other), the normalised text's
words are exactly
the blob's maximal runs of bytes other than the ten ASCII bytes `str.split`
treats as whitespace (`SPACE`), so the window is in it exactly when the raw
bytes hold the window's first word, then one or more whitespace bytes, then each
inner word, whitespace after each, then its last word: the first may be the tail
of a longer run and the last the head of one, as in the normalised text. A
compiled pattern says so over the raw bytes. A window with a character that is
not ASCII is in no ASCII blob. A blob holding any other byte is decoded and
normalised as before: for such text (Unicode spaces, invalid UTF-8) only the
decoder decides where words end.
"""

from __future__ import annotations

import re

# the ASCII characters for which str.isspace() holds: \t \n \v \f \r, \x1c-\x1f, space
SPACE = bytes([9, 10, 11, 12, 13, 28, 29, 30, 31, 32])
# possessive: the next word starts with a byte that is not whitespace, so giving
# back never helps, and a hostile blob of whitespace costs one pass
_GAP = b"[" + SPACE + b"]++"  # the bytes themselves: escapes cost the parser more


class RawWindow:
    """A normalised window as a test over raw blob bytes. `probe`, the window's
    longest word as bytes, is looked for first: every word of a window is a
    substring of the raw bytes of any blob holding it, and most candidates lack
    it, so the pattern is compiled (Python's parser is slow) only when a blob
    has it. A window that is not ASCII is in no ASCII blob."""

    def __init__(self, window: str) -> None:
        self.window = window
        self.ascii = window.isascii()
        words = window.split(" ")
        self.probe: bytes | None = None
        try:
            self.probe = max(words, key=len).encode("utf-8", "surrogateescape")
        except UnicodeEncodeError:
            pass  # a character no decoded blob holds: nothing to look for
        self._pattern: re.Pattern[bytes] | None = None
        self._words: list[bytes] | None = None

    def in_ascii(self, content: bytes) -> bool:
        """Whether the normalised text of `content`, all of whose bytes are ASCII,
        holds the window."""
        if not self.ascii or self.probe is None or self.probe not in content:
            return False
        if self._pattern is None:
            if self._words is None:
                self._words = self.window.encode("ascii").split(b" ")
            # every word is in the bytes of a blob that holds the window: most
            # candidates holding the probe lack another, and compiling a pattern
            # costs what hundreds of these searches do
            if not all(w in content for w in self._words):
                return False
            self._pattern = re.compile(_GAP.join(re.escape(w) for w in self._words))
        return self._pattern.search(content) is not None


def raw_window(window: str) -> RawWindow:
    """`window` is normalised: words of non-whitespace joined by single spaces."""
    return RawWindow(window)
