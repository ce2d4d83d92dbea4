"""A whole blob's hits as their records in the result digest, found in bulk.

Past the hits a search keeps whole, a worker process (scanworkers) needs of each
hit only its record in the digest (snapshot-format §8: "H" ‖ lp(path) ‖ u32(line)
‖ u32(n) ‖ n × (u32(start) ‖ u32(end)) ‖ u8(more)). A literal with a million hits
made one Python object per hit, and a Python loop step, in a matcher, in
`file_hits` and in the worker (about 1.5 µs a hit). Here a literal's hits are
found by `bytes.split` (the occurrences left to right, never overlapping, exactly
as `LiteralMatcher` finds them: a literal holds no line feed, so no occurrence
crosses a line), and their offsets, line starts and line numbers are computed by
`map` over C functions (`accumulate`, `bytes.rfind`, `bytes.count`), never one
Python step per hit; only lines with more than one hit take a Python step each.
Line numbers count the line feeds before the hit, which is the line model
(blobs.py: a line ends at a line feed; carriage returns are ordinary bytes).

A regex's lines still come from its matcher, one by one, with line numbers
counted the same way (no line index is read).

`records(matcher, data, prefix)` -> (the records, joined, in order; their count),
for `data`, a whole blob's text content, under the path whose record prefix is
`prefix` (results._path_part).
"""

from __future__ import annotations

import struct
from itertools import accumulate, islice, repeat
from operator import add, eq, sub

from .linematch import MAX_SPANS, LiteralMatcher, Matcher
from .results import _rest

_ONE = struct.Struct(">IIIIx")  # line, 1, start, end, more = 0
_LF = b"\n"


def records(matcher: Matcher, data: bytes, prefix: bytes) -> tuple[bytes, int]:
    if type(matcher) is LiteralMatcher:
        hay = data.lower() if matcher.fold else data
        return _literal(hay, matcher.needle, prefix)
    return _lines(matcher, data, prefix)


def _literal(hay: bytes, needle: bytes, prefix: bytes) -> tuple[bytes, int]:
    if needle not in hay:
        return b"", 0
    n = len(needle)
    pieces = hay.split(needle)
    k = len(pieces) - 1
    del pieces[k]
    # where occurrence i starts: the pieces before it, and i needles
    at = list(map(add, accumulate(map(len, pieces)), range(0, k * n, n)))
    del pieces
    # the line feed before each (-1: none), so the line starts one byte later
    feeds = list(map(hay.rfind, repeat(_LF), repeat(0), at))
    # the line numbers: line feeds up to each occurrence, counted gap by gap
    lines = list(accumulate(map(hay.count, repeat(_LF), [0, *at], at)))
    starts = list(map(sub, at, feeds))  # one more than the offset within the line
    single = not any(map(eq, feeds, islice(feeds, 1, None)))
    if single:  # the usual case: one occurrence per line, every record 21 + path bytes
        body = prefix.join(map(_ONE.pack, lines, repeat(1), map(sub, starts, repeat(1)),
                               map(add, starts, repeat(n - 1))))  # fmt: skip
        return prefix + body, k
    out: list[bytes] = []
    i = 0
    while i < k:
        feed = feeds[i]
        j = i + 1
        while j < k and feeds[j] == feed:
            j += 1
        s = starts[i] - 1
        if j == i + 1:
            out.append(prefix + _ONE.pack(lines[i], 1, s, s + n))
        else:
            spans = tuple((x - 1, x - 1 + n) for x in starts[i : min(j, i + MAX_SPANS)])
            out.append(prefix + _rest((None, None, lines[i], spans, j - i > MAX_SPANS)))
        i = j
    return b"".join(out), len(out)


def _lines(matcher: Matcher, data: bytes, prefix: bytes) -> tuple[bytes, int]:
    out: list[bytes] = []
    line = last = 0
    count = data.count
    for start, _end, spans, more in matcher.lines(data):
        line += count(_LF, last, start)
        last = start
        if len(spans) == 1 and not more:
            out.append(prefix + _ONE.pack(line, 1, *spans[0]))
        else:
            out.append(prefix + _rest((None, None, line, spans, more)))
    return b"".join(out), len(out)
