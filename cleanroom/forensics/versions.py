"""Following a file across snapshot versions: its content in each, and where lines moved.

Ledgers name content by blob, so a path viewed in two sessions may have held
different content. Line numbers are only comparable within one content; across
contents this module maps a line range by matching lines (difflib), and says
when it could not (content not in any snapshot given, or too large to match).
"""

from __future__ import annotations

import difflib
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
    """The lines of text content `blob` from any snapshot holding it, or None."""
    found = find_blob(snapshots, blob)
    if found is None:
        return None
    snap, info = found
    if info.binary or info.lines > MAX_MATCH_LINES:
        return None
    return snap.read_lines(info.hash, 0, info.lines)
    return None


def map_lines(old: list[bytes], new: list[bytes], first: int, last: int) -> tuple[int, int] | None:
    """Where lines first..last (1-based, inclusive) of `old` are in `new`: the span of
    `new` lines matched to any line of the range, or None if none of them survives."""
    lo, hi = first - 1, last  # half-open, 0-based
    found: list[int] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for a, b, size in matcher.get_matching_blocks():
        start, stop = max(a, lo), min(a + size, hi)
        if start < stop:
            found += [b + (start - a), b + (stop - a) - 1]
    return (min(found) + 1, max(found) + 1) if found else None
