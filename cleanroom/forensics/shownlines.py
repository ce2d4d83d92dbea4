"""How many lines a content has on screen: the one rule every forensic output counts by.

The snapshot counts lines as snapshot-format §2 does: `""` has 0 lines. The
reviewer terminal shows an empty content as one empty line, line 1, and records
a view of 1..1. It shows a binary content (§2: a NUL in its first 8192 bytes)
as hex rows of `HEX_WIDTH` bytes (`session.document.HexDocument`): its
`file_open` records the rows as its `lines` and its views name rows, whatever
line feeds the bytes hold. Coverage, the summary's totals, the treemap, the
CSV and JSON outputs and who-viewed all count a content's lines with
`shown_lines`, so what was seen and what there was to see are counted alike
(docs/report-format.md, "How lines are counted").
"""

from __future__ import annotations

from ..session.document import HEX_WIDTH


def shown_lines(lines: int, binary: bool = False, size: int = 0) -> int:
    """The lines on screen of a content of `lines` lines (§2) and `size` bytes: for
    text, `lines`, at least 1 (an empty content is one empty line; a content without
    a final line feed has no extra line: §2 already counts its last line); for a
    binary content, its hex rows, ceil(size / 16), at least 1."""
    if binary:
        return max(1, -(-size // HEX_WIDTH))
    return max(1, lines)
