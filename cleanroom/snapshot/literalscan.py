"""Find a byte string in content quickly: from its rarest byte, with RE2.

`bytes.find` scans at 2-4 GB/s whatever the string. RE2 skips ahead through a
literal pattern with memchr on its first byte: very fast when that byte is rare,
not when it is common (the `s` of `spin_lock_irqsave`). So `Finder` looks for the
string's *tail* from its rarest byte (by a fixed ranking of byte frequencies in
source code: `qsave`), checks the head in place, and goes on past a tail that was
not part of the string. Right after a match it first tries `bytes.find` on a
short window, which costs less than a call into RE2 when matches are close
together. RE2 releases the GIL while it scans.

`Finder.find(data, pos, end)` is exactly `data.find(text, pos, end)`, on
ASCII-lowercased content when folding (only ASCII letters fold): the leftmost
occurrence that starts at or after `pos` and ends at or before `end`, or -1.
"""

from __future__ import annotations

from collections.abc import Callable

import re2

# Bytes by how often they occur in source code (Python's library and parts of Linux),
# most common first; a byte not listed is rarer than all of these. Only speed depends
# on it.
_COMMON = (
    b" etrsain\no_ldcpfu\t,m0\"h.)(-g:=bx1yvET2*AwSIR;CkN3>'P/LDM4O856F9#[]7{}qGBUHX`WV+z"
    b"\\K<&|jYQ\r@%Z!$"
)
_RARITY = [len(_COMMON)] * 256  # higher is rarer
for _rank, _byte in enumerate(_COMMON):
    _RARITY[_byte] = _rank
WINDOW = 2048  # bytes tried with bytes.find before RE2 (case-sensitive only)
TAIL = 3  # bytes the tail keeps at least, where the string is that long: few false starts


class Finder:
    """Finds `text` (ASCII-lowercased if `folded`) in content."""

    def __init__(self, text: bytes, folded: bool) -> None:
        if not text:
            raise ValueError("nothing to find")
        self.text = text.lower() if folded else text
        self.folded = folded
        n = len(self.text)
        # The tail starts at the rarest byte that leaves TAIL bytes (the first of ties).
        self._k = max(range(max(1, n - TAIL + 1)), key=lambda i: (self._rarity(i), -i))
        self._head = self.text[: self._k]
        self._tail = _first(pattern(self.text[self._k :], folded))
        # (where the tail starts, the head, first(data, pos, end) for the tail): for a
        # caller that inlines `find`
        self.tail = (self._k, self._head, self._tail)

    def _rarity(self, i: int) -> int:
        byte = self.text[i]
        if self.folded and 0x61 <= byte <= 0x7A:  # both cases count: the commoner one
            return min(_RARITY[byte], _RARITY[byte - 0x20])
        return _RARITY[byte]

    def find(self, data: bytes, pos: int, end: int) -> int:
        text, k = self.text, self._k
        if not self.folded:
            i = data.find(text, pos, min(end, pos + WINDOW))
            if i >= 0 or pos + WINDOW >= end:
                return i
            pos = max(pos, pos + WINDOW - len(text) + 1)  # any match starts here or later
        head, tail = self._head, self._tail
        q = pos + k
        if q > end:
            return -1
        while (t := tail(data, q, end)) >= 0:
            i = t - k
            if not k or (data[i:t].lower() == head if self.folded else data.startswith(head, i)):
                return i
            q = t + 1
        return -1


def pattern(text: bytes, folded: bool):
    """An RE2 pattern for exactly the bytes of `text`, read as Latin-1 so that any byte
    matches only itself; if `folded`, an ASCII letter matches in either case (RE2
    turns such a class into a case-folded literal and still skips ahead quickly)."""
    options = re2.Options()
    options.never_capture = True
    options.log_errors = False
    options.encoding = re2.Options.Encoding.LATIN1
    parts = []
    for byte in text:
        ch = chr(byte)
        if folded and ch.isascii() and ch.isalpha():
            parts.append(f"[{ch.upper()}{ch.lower()}]")
        else:
            parts.append(f"\\x{byte:02x}")
    return re2.compile("".join(parts).encode("ascii"), options)


def _first(rx) -> Callable[[bytes, int, int], int]:
    """first(data, pos, end): where the leftmost match of `rx` in data[pos:end] starts,
    or -1. Calls the compiled RE2 object directly when the binding exposes it (see
    linematch._searcher)."""
    raw = getattr(rx, "_regexp", None)
    unanchored = getattr(getattr(type(raw), "Anchor", None), "UNANCHORED", None)
    if raw is None or unanchored is None:

        def public(data: bytes, pos: int, end: int) -> int:
            m = rx.search(data, pos, end)
            return -1 if m is None else m.start()

        return public
    match = raw.Match

    def direct(data: bytes, pos: int, end: int) -> int:
        return match(unanchored, data, pos, end)[0][0]

    return direct
