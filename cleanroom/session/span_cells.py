"""Where a match in a raw line is on screen: byte spans turned into display cells.

A line is drawn as its display text (session/display.py): decoded, sanitized
with tabs expanded and look-alikes judged on the whole line, cut at
`MAX_LINE_BYTES`. A match found in the raw bytes therefore sits at other cells
than its byte offsets: a tab widens, a tagged character becomes its tag, a wide
character takes two cells. `span_cells` maps each byte span to the cells of the
display text that stand for it, by sanitizing the prefix before each edge as a
piece of the whole line (`sanitize(..., marks, at)`: the same text as the whole
line drawn). Pure: no UI here, so the recorder and the terminal agree.
"""

from __future__ import annotations

from ..sanitize import decode, lookalikes, sanitize
from .display import MAX_LINE_BYTES, TAB, cell_len


def span_cells(raw: bytes, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The display cells (start, end; end exclusive, 0-based) of each byte span
    (start, end) of line `raw`, in order, for the spans that start within the
    first MAX_LINE_BYTES bytes (the rest are not drawn); a span past that cut
    ends at it. An empty span stays empty."""
    head = raw[:MAX_LINE_BYTES]
    text = decode(head)
    marks = lookalikes(text) if not text.isascii() else {}
    cache: dict[int, int] = {}

    def cells(offset: int) -> int:
        offset = min(offset, len(head))
        if offset not in cache:
            chars = len(decode(head[:offset]))  # a cut inside a character: its escapes
            cache[offset] = cell_len(sanitize(text[:chars], TAB, 0, marks).text)
        return cache[offset]

    return [(cells(s), cells(max(s, e))) for s, e in spans if 0 <= s < len(head)]


__all__ = ["span_cells"]
