"""Wrapped rows drawn (ADR 0212): the gutter (the line's number on its first row,
`↪` on the others, `!` on a flagged line's first row) and the row's cells with
the syntax colours of their line. The reviewer's code view and the replay both
draw with this, so a wrapped screen looks the same in both.

A line's colours come from its shown rows joined (`joined`): display cells, as a
cut line's are, lexed and judged as the terminal's painter does (painter.py), and
each row takes its own characters of that (`row_body`). Where the coloured text
is not exactly the row's, the row is drawn plain: the text is never wrong, only
its colours can be missing.
"""

from __future__ import annotations

from collections.abc import Callable

from pygments.lexer import Lexer
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from ..session.wrap import CONTINUED, Row, row_places
from .highlight import render_lines
from .painter import PAD, chars


def joined(rows: list[Row]) -> dict[int, str]:
    """Each line's shown rows joined (cells, padding and all), by line index."""
    out: dict[int, str] = {}
    for index, _k, cells in rows:
        out[index] = out.get(index, "") + cells
    return out


def lexed(rows: list[Row], lexer: Lexer | None,
          on_overrun: Callable[[], None] | None = None) -> dict[int, Text]:  # fmt: skip
    """The coloured text of each line of a wrapped screen, its shown rows joined and
    lexed as one run from the screen's first line: the colours the terminal gives a
    screen it draws afresh (the replay's, which holds no terminal's history)."""
    lines = joined(rows)
    raw = [text.encode("utf-8", "surrogatepass") for text in lines.values()]
    drawn = render_lines(raw, lexer, on_overrun, judged=True)
    return {index: line.text for index, line in zip(lines, drawn, strict=True)}


def line_strip(text: Text, console: Console) -> Strip:
    """A coloured line as segments (an unstyled run gets PAD, never None)."""
    return Strip([seg if seg.style is not None else Segment(seg.text, PAD)
                  for seg in text.render(console)])  # fmt: skip


def row_body(line: Strip | None, plain: str, at: int, cells: str) -> list[Segment]:
    """Row `cells`, characters at..at+len(cells)-1 of its line's rows joined, with the
    styles `line` (drawn from `plain`) gives them; plain when `plain` does not hold
    exactly those characters there (a line coloured for other cells)."""
    if line is None or plain[at : at + len(cells)] != cells:
        return [Segment(cells, PAD)]
    return chars(line, at, at + len(cells))


def replayed_bodies(rows: list[Row], cols: int, lexer: Lexer | None,
                    console: Console) -> list[list[Segment]]:  # fmt: skip
    """Each row's cells with its line's colours, the screen lexed afresh: what the
    replay and its cast draw of a recorded wrapped screen."""
    texts = lexed(rows, lexer)
    drawn = {index: line_strip(text, console) for index, text in texts.items()}
    return [row_body(drawn[index], texts[index].plain, at, cells)
            for (index, _k, cells), (at, _col, _used) in zip(rows, row_places(rows, cols),
                                                           strict=True)]  # fmt: skip


def wrapped_strip(index: int, k: int, cells: str, gutter_width: int, flagged: bool,
                  gutter: Style, flag: Style,
                  body: list[Segment] | None = None) -> Strip:  # fmt: skip
    """Row `k` of line `index` (0-based), its `cells` already display cells, drawn
    as `body` (its segments, coloured) or plain."""
    number = f"{index + 1:>{gutter_width - 2}}" if k == 0 else f"{CONTINUED:>{gutter_width - 2}}"
    marked = flagged and k == 0
    left = Segment(f"{number}{'!' if marked else ' '} ", flag if marked else gutter)
    return Strip([left, *(body or [Segment(cells, PAD)])])


__all__ = ["joined", "lexed", "line_strip", "replayed_bodies", "row_body", "wrapped_strip"]
