"""One wrapped row drawn (ADR 0212): the gutter (the line's number on its first
row, `↪` on the others, `!` on a flagged line's first row) and the row's cells
as they are, plain. The reviewer's code view and the replay both draw with
this, so a wrapped screen looks the same in both."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ..session.wrap import CONTINUED
from .painter import PAD


def wrapped_strip(index: int, k: int, cells: str, gutter_width: int, flagged: bool,
                  gutter: Style, flag: Style) -> Strip:  # fmt: skip
    """Row `k` of line `index` (0-based), its `cells` already display cells."""
    number = f"{index + 1:>{gutter_width - 2}}" if k == 0 else f"{CONTINUED:>{gutter_width - 2}}"
    marked = flagged and k == 0
    left = Segment(f"{number}{'!' if marked else ' '} ", flag if marked else gutter)
    return Strip([left, Segment(cells, PAD)])


__all__ = ["wrapped_strip"]
