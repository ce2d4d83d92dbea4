"""Is a search hit a line of the signed content? Checked before it is shown.

Search reads the snapshot through connections of its own, opened by path, and
numbers lines with the stored line index; neither is signed. A hit is shown
only if its file's content hashes to the signed hash (the caller's check) and
its text is exactly line `hit.line` of that content: the line's start is taken
from the stored index but proven by counting line feeds in the content, so a
wrong index cannot move a hit to another line. Hits of one file come in line
order, so the count runs once over the content: O(size + hits).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

NOT_THE_LINE = "the search gave a line that is not that line of the signed content"


def hit_problems(data: bytes, starts: Sequence[int], hits: Sequence[Any]) -> list[str | None]:
    """For each hit of one file (`data` its checked content, `starts` its stored line
    index), None if its text is that line of `data`, else why not."""
    out: list[str | None] = []
    counted = pos = 0  # line feeds in data[:pos]
    for hit in hits:
        line = hit.line
        start = starts[line] if 0 <= line < len(starts) else -1
        if not 0 <= start <= len(data):
            out.append(NOT_THE_LINE)
            continue
        if start < pos:  # out of order: count again from the start
            counted = pos = 0
        counted += data.count(b"\n", pos, start)
        pos = start
        if counted != line or (start and data[start - 1] != 0x0A):
            out.append(NOT_THE_LINE)
            continue
        end = data.find(b"\n", start)
        text = data[start : len(data) if end < 0 else end]
        window = text[hit.text_start : hit.text_start + len(hit.text)]
        out.append(None if len(text) == hit.line_size and window == hit.text else NOT_THE_LINE)
    return out
