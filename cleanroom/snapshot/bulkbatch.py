"""A worker's blobs' digest records for a literal, a batch at a time: hits found
with `bytes.find`, line numbers and records made by numpy over the whole batch.

`bulkhits.records` makes one blob's records with a dozen numpy calls plus a
`bytes.split` that copies the blob into one object per hit; for a literal in half
the tree (`return`: 1.07 million hits in 38,500 Linux blobs) the fixed cost of
those calls and the copy dominated (issue 17, ADR 0115). Measured in one worker over
half of Linux 6.1 (`return`, CPU in the records, load ~10): numpy per blob 2.2 s;
numpy over a chunk joined by line feeds 2.0 s (the join, the split and the line
feeds found with `flatnonzero` are each a pass over the bytes); `find` per blob and
`map` records 1.6 s; this 1.16 s.

Here each blob is searched with `bytes.find` from the end of the last hit (left to
right, never overlapping, exactly as `LiteralMatcher` finds them); a blob with no
hit costs one `find`. With more than NUMPY_HITS hits in the batch and every blob's
line index read and well formed (first 0, strictly ascending), numpy numbers the
lines of all of them at once: each blob's line starts lifted into a range of its own
(blob k's plus k * 2**32), one `searchsorted`, one packed record array (its records
made bytes objects by one `tolist`), one join per blob with its path prefix; a blob
with two hits on a line goes through
`bulkhits._grouped`. Line numbers and offsets come from the line index, as
`bulkhits._literal_indexed` takes them. Otherwise each blob through
`bulkhits._literal` (`map` over C functions), as before.

`records_many(matcher, items)` -> (the records, joined, in order; their count), for
`items`: (content, record prefix, line index or None) of text blobs in the pass's
order. Anything but a literal of two bytes or more: each blob through
`bulkhits.records` (one byte: memchr-fast there).
"""

from __future__ import annotations

from itertools import chain
from typing import Any

from .bulkhits import NUMPY_HITS, _grouped, _line_starts, _literal, numpy, records
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
    found: list[tuple[bytes, bytes, bytes | None, list[int]]] = []
    hits = 0
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
        found.append((hay, prefix, index, at))
        hits += len(at)
    if not found:
        return b"", 0
    np = numpy() if hits > NUMPY_HITS else None
    if np is not None:
        done = _indexed(np, n, found, hits)
        if done is not None:
            return done
    out: list[bytes] = []
    count = 0
    for hay, prefix, index, at in found:
        data, k = _literal(hay, needle, prefix, at, _line_starts(index))
        out.append(data)
        count += k
    return b"".join(out), count


def _indexed(
    np: Any, n: int, found: list[tuple[bytes, bytes, bytes | None, list[int]]], hits: int
) -> tuple[bytes, int] | None:
    """The records of the hits `found`, made by numpy over the whole batch with the
    blobs' line indexes (as `bulkhits._literal_indexed` makes one blob's); None if a
    blob has no well-formed index (the caller then goes blob by blob)."""
    indexes = [f[2] for f in found]
    if not all(index and len(index) % 4 == 0 for index in indexes):
        return None
    b = len(found)
    lengths = np.fromiter((len(index) >> 2 for index in indexes), dtype=np.int64, count=b)
    starts = np.frombuffer(b"".join(indexes), dtype="<u4").astype(np.int64)  # type: ignore[arg-type]
    # each blob's positions lifted into a range of its own (a blob is under 2**32 bytes)
    lift = np.arange(b, dtype=np.int64) << 32
    starts += np.repeat(lift, lengths)
    first = np.cumsum(lengths) - lengths  # each blob's first line in `starts`
    if bool((starts[first] != lift).any()) or bool((starts[1:] <= starts[:-1]).any()):
        return None  # not line starts (the first 0, strictly ascending): blob by blob
    per = np.fromiter((len(f[3]) for f in found), dtype=np.int64, count=b)
    blob = np.repeat(np.arange(b, dtype=np.int64), per)
    at = np.fromiter(chain.from_iterable(f[3] for f in found), dtype=np.int64, count=hits)
    at += lift[blob]
    g = np.searchsorted(starts, at, side="right") - 1
    lines, offsets = g - first[blob], at - starts[g]
    rec = np.empty(hits, dtype=_RECORD)
    rec["line"], rec["n"], rec["s"], rec["e"], rec["more"] = lines, 1, offsets, offsets + n, 0
    # one bytes object per record, made by numpy in one call (a void dtype keeps the
    # trailing zero byte that a bytes dtype would strip): slicing them out of the
    # packed array one by one cost 0.29 s of a worker's 1.2 s for half of Linux
    each = rec.view(f"V{_WIDTH}").tolist()
    same = g[1:] == g[:-1]  # a hit on the line of the hit before it
    crowded = set(blob[1:][same].tolist()) if bool(same.any()) else set()
    out: list[bytes] = []
    count, i = 0, 0
    for k, (_hay, prefix, _index, hit_at) in enumerate(found):
        j = i + len(hit_at)
        if k in crowded:
            data, m = _grouped(lines[i:j].tolist(), offsets[i:j].tolist(), n, prefix)
            out.append(data)
            count += m
        else:
            out.append(prefix)
            out.append(prefix.join(each[i:j]))
            count += j - i
        i = j
    return b"".join(out), count


_WIDTH = 17  # a record after its prefix: line, 1, start, end (u32 each), more (u8)
_RECORD = [("line", ">u4"), ("n", ">u4"), ("s", ">u4"), ("e", ">u4"), ("more", "u1")]
