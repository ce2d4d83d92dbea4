"""A whole blob's hits as their records in the result digest, found in bulk.

Past the hits a search keeps whole, a worker process (scanworkers) needs of each
hit only its record in the digest (snapshot-format §8: "H" ‖ lp(path) ‖ u32(line)
‖ u32(n) ‖ n × (u32(start) ‖ u32(end)) ‖ u8(more)). A literal with a million hits
made one Python object per hit, and a Python loop step, in a matcher, in
`file_hits` and in the worker (about 1.5 µs a hit). Here a literal's hits are
found by `bytes.split` (the occurrences left to right, never overlapping, exactly
as `LiteralMatcher` finds them: a literal holds no line feed, so no occurrence
crosses a line). With the blob's line index, numpy makes their offsets, line
numbers (`searchsorted` over the line starts) and records (a packed structured
array, big-endian fields): no Python step per hit. Without it, `map` over C
functions (`accumulate`, `bytes.rfind`, `bytes.count`: the line feeds before each
hit, the line model of blobs.py) does, at about 1 µs a hit. Only lines with more
than one hit take a Python step each.

A one-byte literal's hits are found by memchr (`bytes.find`, byte after byte:
faster than numpy comparing every byte of a blob that holds it) and made records
by `map` as above; through the matcher's lines, one Python step per hit, `~` cost
a worker 0.35-0.43 s of CPU besides reading, by `map` 0.29-0.31 s (ADR 0117). A
regex's lines still come from its matcher, one by one, with line numbers counted
the same way.

`records(matcher, data, prefix, index)` -> (the records, joined, in order; their
count), for `data`, a whole blob's text content, under the path whose record prefix
is `prefix` (results._path_part), `index` its line index if read.
"""

from __future__ import annotations

import functools
import struct
import sys
from array import array
from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate, islice, repeat
from operator import add, eq, sub
from typing import Any

from .blobs import unpack_line_index
from .linematch import MAX_SPANS, LiteralMatcher, Matcher
from .results import _rest

_ONE = struct.Struct(">IIIIx")  # line, 1, start, end, more = 0
_LF = b"\n"
# Hits in a blob from which numpy makes its records: each numpy call costs a few µs,
# about what `map` spends on a few hits, so numpy pays only past a few dozen.
NUMPY_HITS = 48
_LITTLE = sys.byteorder == "little" and array("I").itemsize == 4  # the index: LE u32


def records(
    matcher: Matcher, data: bytes, prefix: bytes, index: bytes | None = None
) -> tuple[bytes, int]:
    """`index`: the blob's line index, if read (line numbers by bisection, in numpy)."""
    if type(matcher) is not LiteralMatcher:  # a regex
        return _lines(matcher, data, prefix, _line_starts(index))
    hay = data.lower() if matcher.fold else data
    needle = matcher.needle
    if needle not in hay:  # most blobs: memchr for one byte, no copy
        return b"", 0
    if len(needle) == 1:
        # one byte: found by memchr (`find`), faster than numpy compares every byte of
        # a blob that holds it; records by `map`, not the matcher's lines one by one
        return _literal(hay, needle, prefix, _memchr_starts(hay, needle), _line_starts(index))
    np = numpy()
    if np is None:  # not loaded (refused, or missing): the same records, by map
        at = _split_starts(hay, needle)
        return _literal(hay, needle, prefix, at, _line_starts(index))
    at = _starts(np, hay, needle)
    if len(at) <= NUMPY_HITS or _line_starts(index) is None:
        return _literal(hay, needle, prefix, at.tolist(), _line_starts(index))
    return _literal_indexed(np, at, len(needle), prefix, index)


_NUMPY: Any = None


def numpy() -> Any:
    """numpy, imported at its first use, so that a process that never searches in bulk
    (the reviewer terminal) does not pay its import (0.1-0.5 s); None where it cannot
    be imported (the terminal's audit policy refuses the ctypes it imports)."""
    global _NUMPY
    if _NUMPY is None:
        try:
            import numpy as np  # noqa: PLC0415 (deliberately late)

            _NUMPY = np
        except Exception:  # noqa: BLE001 (a refusal may be any exception)
            _NUMPY = False
    return _NUMPY or None


def _line_starts(index: bytes | None) -> Sequence[int] | None:
    if not index or len(index) % 4:
        return None
    return memoryview(index).cast("I") if _LITTLE else unpack_line_index(index)


def _memchr_starts(hay: bytes, byte: bytes) -> list[int]:
    """Where the one byte `byte` occurs in `hay`, left to right."""
    find = hay.find
    at: list[int] = []
    add = at.append
    i = find(byte)
    while i >= 0:
        add(i)
        i = find(byte, i + 1)
    return at


def _split_starts(hay: bytes, needle: bytes) -> list[int]:
    pieces = hay.split(needle)
    k, n = len(pieces) - 1, len(needle)
    del pieces[k]
    return list(map(add, accumulate(map(len, pieces)), range(0, k * n, n)))


def _starts(np: Any, hay: bytes, needle: bytes) -> Any:
    """Where the occurrences of `needle` start, left to right, never overlapping."""
    if len(needle) == 1:  # bytes.split would step byte by byte
        return np.flatnonzero(np.frombuffer(hay, dtype=np.uint8) == needle[0])
    pieces = hay.split(needle)
    k = len(pieces) - 1
    at = np.fromiter(map(len, pieces), dtype=np.int64, count=k + 1)[:k]
    del pieces
    np.cumsum(at, out=at)  # where occurrence i starts: the pieces before it, and i needles
    at += np.arange(0, k * len(needle), len(needle), dtype=np.int64)
    return at


def _literal_indexed(np: Any, at: Any, n: int, prefix: bytes, index: bytes) -> tuple[bytes, int]:
    """The records of hits of a literal of `n` bytes at offsets `at`, made by numpy with
    the line index: no Python step per hit where no line holds two."""
    k = len(at)
    starts = np.frombuffer(index, dtype="<u4")
    lines = np.searchsorted(starts, at, side="right") - 1
    offsets = at - starts[lines]
    if k > 1 and bool((lines[1:] == lines[:-1]).any()):
        return _grouped(lines.tolist(), offsets.tolist(), n, prefix)
    rec = np.empty(k, dtype=_dtype(np, len(prefix)))
    rec["p"] = prefix
    rec["line"] = lines
    rec["n"] = 1
    rec["s"] = offsets
    rec["e"] = offsets + n
    rec["more"] = 0
    return rec.tobytes(), k


@functools.lru_cache(maxsize=64)
def _dtype(np: Any, size: int) -> Any:
    """One record of a single-span line, packed: prefix, line, 1, start, end, 0."""
    fields = [("p", f"S{size}"), ("line", ">u4"), ("n", ">u4"), ("s", ">u4"), ("e", ">u4"),
              ("more", "u1")]  # fmt: skip
    return np.dtype(fields)


def _grouped(lines: list[int], offsets: list[int], n: int, prefix: bytes) -> tuple[bytes, int]:
    """The records of hits (line, offset within it), in order, lines with several together."""
    out: list[bytes] = []
    k, i = len(lines), 0
    while i < k:
        line = lines[i]
        j = i + 1
        while j < k and lines[j] == line:
            j += 1
        s = offsets[i]
        if j == i + 1:
            out.append(prefix + _ONE.pack(line, 1, s, s + n))
        else:
            spans = tuple((x, x + n) for x in offsets[i : min(j, i + MAX_SPANS)])
            out.append(prefix + _rest((None, None, line, spans, j - i > MAX_SPANS)))
        i = j
    return b"".join(out), len(out)


def _literal(
    hay: bytes, needle: bytes, prefix: bytes, at: list[int], starts: Sequence[int] | None
) -> tuple[bytes, int]:
    """The records of the hits of `needle` in `hay`, at offsets `at`, by `map` over C
    functions: line numbers by bisection of the line `starts`, or without them by
    counting line feeds."""
    n = len(needle)
    # the line feed before each (-1: none), so the line starts one byte later
    feeds = list(map(hay.rfind, repeat(_LF), repeat(0), at))
    if starts is None:  # the line numbers: line feeds up to each hit, gap by gap
        lines = list(accumulate(map(hay.count, repeat(_LF), [0, *at], at)))
    else:
        lines = list(map(sub, map(bisect_right, repeat(starts), at), repeat(1)))
    offsets = list(map(sub, map(sub, at, feeds), repeat(1)))  # within the line
    if any(map(eq, feeds, islice(feeds, 1, None))):
        return _grouped(lines, offsets, n, prefix)
    body = prefix.join(map(_ONE.pack, lines, repeat(1), offsets, map(add, offsets, repeat(n))))
    return prefix + body, len(at)


def _lines(
    matcher: Matcher, data: bytes, prefix: bytes, starts: Sequence[int] | None
) -> tuple[bytes, int]:
    """The records of the matcher's lines, one by one, with line numbers by bisection of
    the line `starts`, or without them by counting line feeds."""
    out: list[bytes] = []
    line = last = 0
    count = data.count
    for start, _end, spans, more in matcher.lines(data):
        if starts is None:
            line += count(_LF, last, start)
            last = start
        else:
            line = bisect_right(starts, start, line) - 1
        if len(spans) == 1 and not more:
            out.append(prefix + _ONE.pack(line, 1, *spans[0]))
        else:
            out.append(prefix + _rest((None, None, line, spans, more)))
    return b"".join(out), len(out)
