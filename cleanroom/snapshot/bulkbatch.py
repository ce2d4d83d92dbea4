"""A worker's blobs' digest records for a literal, a batch at a time: hits found
by `bytes.split`, their offsets, line numbers and records made by numpy over the
whole batch.

`bulkhits.records` makes one blob's records with a dozen numpy calls plus a
`bytes.split` that copies the blob into one object per hit; for a literal in half
the tree (`return`: 1.07 million hits in 38,500 Linux blobs) the fixed cost of
those calls and the copy dominated (issue 17, ADR 0115). Measured in one worker over
half of Linux 6.1 (`return`, CPU in the records, load ~10): numpy per blob 2.2 s;
numpy over a chunk joined by line feeds 2.0 s (the join, the split and the line
feeds found with `flatnonzero` are each a pass over the bytes); `find` per blob and
`map` records 1.6 s; this 1.16 s.

Here each blob is split on the literal (`bytes.split`, in C: the occurrences left
to right, never overlapping, exactly as `LiteralMatcher` and a `find` loop find
them; a blob with no hit is returned whole, not copied), and numpy turns the
pieces' lengths into every hit's offset at once, with no Python step per hit (the
`find` loop took one; over 266 MB of Linux blobs the records of `return` went from
0.38 to 0.32 s of CPU, `static` 0.34 to 0.32: `scripts/bench/search_records.py`,
ADR 0119). With
more than NUMPY_HITS hits in the batch and every blob's line index read and well
formed (first 0, strictly ascending), numpy numbers the lines of all of them at
once: each blob's line starts lifted into a range of its own (blob k's plus
k * 2**32), one `searchsorted`, one packed record array (its records made bytes
objects by one `tolist`), one join per blob with its path prefix. Only the lines
holding two hits or more take a Python step each (`_crowded`: their records
replace the hits' own in the blob's list); a blob holding one used to go hit by
hit through `bulkhits._grouped`. Line numbers and offsets come from the line
index, as `bulkhits._literal_indexed` takes them. Otherwise each blob through
`bulkhits._literal` (`map` over C functions), as before; without numpy the hits
are found by the `find` loop.

`records_many(matcher, items)` -> (the records, joined, in order; their count), for
`items`: (content, record prefix, line index or None) of text blobs in the pass's
order. Anything but a literal of two bytes or more: each blob through
`bulkhits.records` (one byte: memchr-fast there).
"""

from __future__ import annotations

from typing import Any

from .bulkhits import NUMPY_HITS, _line_starts, _literal, numpy, records
from .linematch import MAX_SPANS, LiteralMatcher, Matcher
from .results import _rest

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
    np = numpy()
    if np is not None:
        done = _in_bulk(np, needle, fold, items)
        if done is not None:
            return done
    n = len(needle)
    found: list[tuple[bytes, bytes, bytes | None, list[int]]] = []
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
    return _blob_by_blob(needle, found)


def _blob_by_blob(
    needle: bytes, found: list[tuple[bytes, bytes, bytes | None, list[int]]]
) -> tuple[bytes, int]:
    """The records of the hits `found`, each blob through `bulkhits._literal`."""
    out: list[bytes] = []
    count = 0
    for hay, prefix, index, at in found:
        data, k = _literal(hay, needle, prefix, at, _line_starts(index))
        out.append(data)
        count += k
    return b"".join(out), count


def _in_bulk(np: Any, needle: bytes, fold: bool, items: list[Item]) -> tuple[bytes, int] | None:
    """The records of `items`, the hits found by `bytes.split` (C: the occurrences
    left to right, never overlapping, as `LiteralMatcher` and the `find` loop find
    them) and their offsets by numpy from the pieces' lengths, with no Python step per
    hit; None if the batch's line indexes are not all usable (`_indexed`)."""
    n = len(needle)
    hays: list[bytes] = []
    kept: list[Item] = []
    counts: list[int] = []
    lengths: list[int] = []
    more = lengths.extend
    for item in items:
        hay = item[0].lower() if fold else item[0]  # ASCII only, as the matcher folds
        pieces = hay.split(needle)  # no match: [hay] itself, no copy
        if len(pieces) > 1:
            hays.append(hay)
            kept.append(item)
            counts.append(len(pieces) - 1)
            more(map(len, pieces))
    hits = sum(counts)
    if not hits:
        return b"", 0
    per = np.array(counts, dtype=np.int64)
    # hit j of a blob starts after its pieces 0..j and j needles: the running sum of
    # (piece + n) over the batch, less the sum before the blob, less one needle
    ends = np.cumsum(np.array(lengths, dtype=np.int64) + n)
    first = np.cumsum(per + 1) - (per + 1)  # each blob's first piece
    base = ends[first] - (np.array(lengths, dtype=np.int64)[first] + n)
    at = ends - np.repeat(base, per + 1) - n
    last = np.ones(len(at), dtype=bool)
    last[first + per] = False  # a blob's last piece ends the blob, not at a hit
    at = at[last]
    if hits > NUMPY_HITS:
        done = _indexed(np, n, [(h, p, x) for h, (_d, p, x) in zip(hays, kept, strict=True)],
                        per, at, hits)  # fmt: skip
        if done is not None:
            return done
    split = np.cumsum(per)[:-1].tolist()
    found = [(h, p, x, a.tolist()) for h, (_d, p, x), a in
             zip(hays, kept, np.split(at, split), strict=True)]  # fmt: skip
    return _blob_by_blob(needle, found)


def _indexed(
    np: Any,
    n: int,
    found: list[tuple[bytes, bytes, bytes | None]],
    per: Any,
    at: Any,
    hits: int,
) -> tuple[bytes, int] | None:
    """The records of the `hits` hits at offsets `at` (int64, in order) of the blobs
    `found` (content, record prefix, line index), `per` (int64) of them in each, made
    by numpy over the whole batch with the blobs' line indexes (as
    `bulkhits._literal_indexed` makes one blob's); None if a blob has no well-formed
    index (the caller then goes blob by blob)."""
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
    blob = np.repeat(np.arange(b, dtype=np.int64), per)
    at = at + lift[blob]
    g = np.searchsorted(starts, at, side="right") - 1
    lines, offsets = g - first[blob], at - starts[g]
    rec = np.empty(hits, dtype=_RECORD)
    rec["line"], rec["n"], rec["s"], rec["e"], rec["more"] = lines, 1, offsets, offsets + n, 0
    # one bytes object per record, made by numpy in one call (a void dtype keeps the
    # trailing zero byte that a bytes dtype would strip): slicing them out of the
    # packed array one by one cost 0.29 s of a worker's 1.2 s for half of Linux
    each = rec.view(f"V{_WIDTH}").tolist()
    runs = _crowded(np, g, blob)
    out: list[bytes] = []
    count, i = 0, 0
    for k, ((_hay, prefix, _index), m) in enumerate(zip(found, per.tolist(), strict=True)):
        j = i + m
        mine = each[i:j]
        for a, b in reversed(runs.get(k, ())):  # the lines holding several hits
            line, spans = int(lines[a]), offsets[a : min(b, a + MAX_SPANS)].tolist()
            grouped = _rest((None, None, line, tuple((x, x + n) for x in spans), b - a > MAX_SPANS))
            mine[a - i : b - i] = [grouped]
        out.append(prefix)
        out.append(prefix.join(mine))
        count += len(mine)
        i = j
    return b"".join(out), count


def _crowded(np: Any, g: Any, blob: Any) -> dict[int, list[tuple[int, int]]]:
    """The runs [a, b) of hits on one line (two or more; `g`: each hit's line, unique
    over the batch), by blob, in order: only these take a Python step each."""
    same = g[1:] == g[:-1]  # a hit on the line of the hit before it
    if not bool(same.any()):
        return {}
    edges = np.diff(np.concatenate(([0], same.view(np.int8), [0])))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) + 1
    runs: dict[int, list[tuple[int, int]]] = {}
    for a, b, k in zip(starts.tolist(), ends.tolist(), blob[starts].tolist(), strict=True):
        runs.setdefault(k, []).append((a, b))
    return runs


_WIDTH = 17  # a record after its prefix: line, 1, start, end (u32 each), more (u8)
_RECORD = [("line", ">u4"), ("n", ">u4"), ("s", ">u4"), ("e", ">u4"), ("more", "u1")]
