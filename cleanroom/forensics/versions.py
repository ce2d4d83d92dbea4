"""Following a file across snapshot versions: its content in each, and where lines moved.

Ledgers name content by blob, so a path viewed in two sessions may have held
different content. Line numbers are only comparable within one content; across
contents this module maps a line range by matching lines (`matched_lines`, a
patience-style diff anchored on unique lines, bounded on any input), and says
when it could not (content not in any snapshot given, or too large to match).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import Any

from ..snapshot.store import Snapshot
from ..snapshot.walk import Kind

MAX_MATCH_LINES = 50_000  # beyond this, versions are not matched line by line


def blob_at(snapshot: Snapshot, path: bytes) -> str | None:
    """The hex blob of the file at `path` in `snapshot`, or None if it holds no such file."""
    try:
        info = snapshot.stat(path)
    except FileNotFoundError:
        return None
    if info.kind is not Kind.FILE or info.blob is None:
        return None
    return info.blob.hex()


def find_blob(snapshots: Sequence[Snapshot], blob: str) -> tuple[Snapshot, Any] | None:
    """The first snapshot holding content `blob` (hex), with its facts; or None."""
    try:
        raw = bytes.fromhex(blob)
    except ValueError:
        return None
    for snap in snapshots:
        try:
            return snap, snap.blob(raw)
        except KeyError:
            continue
    return None


def content_lines(snapshots: Sequence[Snapshot], blob: str) -> list[bytes] | None:
    """The lines of text content `blob` from any snapshot holding it, or None. An
    empty content is its one empty line, as the terminal shows it (`shown_lines`)."""
    found = find_blob(snapshots, blob)
    if found is None:
        return None
    snap, info = found
    if info.binary or info.lines > MAX_MATCH_LINES:
        return None
    return snap.read_lines(info.hash, 0, info.lines) if info.lines else [b""]


def map_lines(old: list[bytes], new: list[bytes], first: int, last: int) -> tuple[int, int] | None:
    """Where lines first..last (1-based, inclusive) of `old` are in `new`: the span of
    `new` lines matched to any line of the range, or None if none of them survives
    (or none could be matched: see `matched_lines`)."""
    lo, hi = first - 1, last  # half-open, 0-based
    found = [b for a, b in matched_lines(old, new) if lo <= a < hi]
    return (min(found) + 1, max(found) + 1) if found else None


def matched_lines(old: Sequence[bytes], new: Sequence[bytes]) -> list[tuple[int, int]]:
    """Pairs (i, j), increasing in both, of lines `old[i] == new[j]` that are the same
    line in both versions, by patience-style anchoring: the common head and tail
    are matched, then the lines that occur exactly once on each side of what is
    left, in their longest common order; then each gap between anchors the same
    way. Repeated lines with no unique anchor stay unmatched, so the work is about
    O(n log n) on any input (difflib's was quadratic: 20k repeated lines, 54 s),
    and a budget of `WORK_PER_LINE` per line ends it on the rare shapes that
    would recurse deeply, leaving what remains unmatched."""
    pairs: list[tuple[int, int]] = []
    budget = WORK_PER_LINE * (len(old) + len(new) + 1)
    stack = [(0, len(old), 0, len(new))]
    while stack:
        alo, ahi, blo, bhi = stack.pop()
        while alo < ahi and blo < bhi and old[alo] == new[blo]:
            pairs.append((alo, blo))
            alo, blo = alo + 1, blo + 1
        while alo < ahi and blo < bhi and old[ahi - 1] == new[bhi - 1]:
            ahi, bhi = ahi - 1, bhi - 1
            pairs.append((ahi, bhi))
        budget -= (ahi - alo) + (bhi - blo)
        if alo == ahi or blo == bhi or budget < 0:
            continue
        anchors = _unique_anchors(old, new, alo, ahi, blo, bhi)
        pairs += anchors
        edges = [(alo - 1, blo - 1), *anchors, (ahi, bhi)]
        for (a0, b0), (a1, b1) in zip(edges, edges[1:], strict=False):
            if a1 - a0 > 1 and b1 - b0 > 1 and anchors:
                stack.append((a0 + 1, a1, b0 + 1, b1))
    pairs.sort()
    return pairs


WORK_PER_LINE = 64  # lines examined per line of input, at most (docs/who-viewed.md)


def _unique_anchors(
    old: Sequence[bytes], new: Sequence[bytes], alo: int, ahi: int, blo: int, bhi: int
) -> list[tuple[int, int]]:
    """Lines once in old[alo:ahi] and once in new[blo:bhi], in their longest common
    order (a longest increasing subsequence of their positions in `new`)."""
    seen: dict[bytes, int] = {}
    for i in range(alo, ahi):
        seen[old[i]] = -1 if old[i] in seen else i
    where: dict[bytes, int] = {}
    for j in range(blo, bhi):
        line = new[j]
        if seen.get(line, -1) >= 0:
            where[line] = -1 if line in where else j
    both = sorted((seen[line], j) for line, j in where.items() if j >= 0)
    # Patience sorting: tails[k] is the index in `both` ending the best run of k+1.
    tails: list[int] = []
    tail_js: list[int] = []
    back = [-1] * len(both)
    for n, (_, j) in enumerate(both):
        k = bisect.bisect_left(tail_js, j)
        back[n] = tails[k - 1] if k else -1
        if k == len(tails):
            tails.append(n)
            tail_js.append(j)
        else:
            tails[k], tail_js[k] = n, j
    out = []
    n = tails[-1] if tails else -1
    while n >= 0:
        out.append(both[n])
        n = back[n]
    return out[::-1]
