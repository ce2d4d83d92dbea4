"""How many lines a content has on screen: the one rule every forensic output counts by.

The snapshot counts lines as snapshot-format §2 does: `""` has 0 lines. The
reviewer terminal shows an empty content as one empty line, line 1, and records
a view of 1..1. Coverage, the summary's totals, the treemap and who-viewed all
count a content's lines with `shown_lines`, so what was seen and what there was
to see are counted alike (docs/report-format.md, "Coverage").
"""

from __future__ import annotations


def shown_lines(lines: int) -> int:
    """The lines on screen of a content of `lines` lines (§2): `lines`, at least 1.
    An empty content is one empty line; a content without a final line feed has no
    extra line (§2 already counts its last line)."""
    return max(1, lines)
