"""A worker's blobs' digest records for a literal, found a batch at a time with
`bytes.find`, not blob by blob through numpy.

`bulkhits.records` makes one blob's records with a dozen numpy calls plus a
`bytes.split` that copies the blob into one object per hit; for a literal in half
the tree (`return`: 1.07 million hits in 38,500 Linux blobs) the fixed cost of
those calls and the copy dominated (issue 17). Measured in one worker over half of
Linux 6.1 (`return`, CPU, load ~10): numpy per blob 2.2 s, numpy over a whole chunk
joined by line feeds 2.0 s (the join, the split and the line feeds found with
`flatnonzero` are each a pass over the bytes), `bytes.find` per blob with line
numbers from the blob's line index 1.6 s.

So here: each blob is searched with `bytes.find` from the end of the last hit
(left to right, never overlapping, exactly as `LiteralMatcher` finds them), and its
hits go to `bulkhits._literal`, which makes their records with `map` over C
functions: line numbers by bisecting the blob's line index when the pass read it
(as `file_hits` numbers lines), else by counting line feeds; offsets from the line
feed before each hit. A blob with no hit costs one `find`.

`records_many(matcher, items)` -> (the records, joined, in order; their count), for
`items`: (content, record prefix, line index or None) of text blobs in the pass's
order. Anything but a literal of two bytes or more: each blob through
`bulkhits.records`, as before (one byte: memchr-fast `count` there).
"""

from __future__ import annotations

from .bulkhits import _line_starts, _literal, records
from .linematch import LiteralMatcher, Matcher

Item = tuple[bytes, bytes, bytes | None]  # content, record prefix, line index


def batchable(matcher: Matcher) -> bool:
    """Whether `records_many` finds `matcher`'s hits here rather than blob by blob."""
    return type(matcher) is LiteralMatcher and len(matcher.needle) > 1


def records_many(matcher: Matcher, items: list[Item]) -> tuple[bytes, int]:
    if not batchable(matcher):
        parts = [records(matcher, data, prefix, index) for data, prefix, index in items]
        return b"".join(p[0] for p in parts), sum(p[1] for p in parts)
    assert isinstance(matcher, LiteralMatcher)
    needle, fold = matcher.needle, matcher.fold
    n = len(needle)
    out: list[bytes] = []
    count = 0
    for data, prefix, index in items:
        hay = data.lower() if fold else data  # ASCII only, as the matcher folds
        find = hay.find
        i = find(needle)
        if i < 0:
            continue
        at: list[int] = []
        add = at.append
        while i >= 0:
            add(i)
            i = find(needle, i + n)
        found, k = _literal(hay, needle, prefix, at, _line_starts(index))
        out.append(found)
        count += k
    return b"".join(out), count
