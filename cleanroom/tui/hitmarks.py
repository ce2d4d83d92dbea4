"""Marks over the code view: the hits of the last search or find, the current
hit, and the target line of `:N` (issue 15).

Marks are positions only (line numbers and display cells), taken from what was
recorded: the rows of the last search that were shown (`search_results_view`),
or the answer to the last `find`. Nothing here searches text. Drawing a mark
restyles cells the view already draws; it never adds or moves a character, so
the cells on screen stay exactly those the `view` entry names (ADR 0204).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

Cells = Sequence[tuple[int, int]]  # display cells (start, end), end exclusive


@dataclass(frozen=True)
class Marks:
    """What to mark in the file `path`: `cells` of each hit line (1-based; an
    empty list marks the line's gutter only), the `current` hit's line, and the
    `target` line of the last `:N`."""

    path: bytes
    cells: Mapping[int, Cells] = field(default_factory=dict)
    current: int | None = None
    target: int | None = None

    def on(self, line: int) -> bool:
        return line in self.cells or line == self.current or line == self.target


@dataclass(frozen=True)
class MarkStyles:
    hit: Style
    current: Style
    line: Style  # the gutter of the current hit's line and of the target line


def draw(strip: Strip, line: int, marks: Marks, gutter: int, col: int, cols: int,
         styles: MarkStyles) -> Strip:  # fmt: skip
    """`strip` (a gutter of `gutter` cells, then columns col..col+cols-1 of line
    `line`) with its marks: only styles change, never a cell's text."""
    spans: list[tuple[int, int, Style]] = []
    if line == marks.current or line == marks.target:
        spans.append((0, gutter - 1, styles.line))
    style = styles.current if line == marks.current else styles.hit
    for a, b in marks.cells.get(line, ()):
        lo, hi = max(a, col) - col, min(max(b, a + 1), col + cols) - col  # an empty match: 1 cell
        if lo < hi:
            spans.append((gutter + lo, gutter + hi, style))
    return restyle(strip, spans) if spans else strip


def restyle(strip: Strip, spans: list[tuple[int, int, Style]]) -> Strip:
    """`strip` with each span's cells (start, end, style) styled over their own style
    (a later span over an earlier one). One pass over the segments, splitting only
    those a span edge falls in: a page of marked lines is drawn at every key, and
    twice on a page turn (plain, then coloured), so this is kept cheap: a segment of
    one cell per character (ASCII) is cut by slicing, and each pair of styles is
    added once."""
    length = strip.cell_length
    cuts = sorted({x for a, b, _ in spans for x in (a, b) if 0 < x < length})
    low, high = min(a for a, _, _ in spans), max(b for _, b, _ in spans)
    added: dict[tuple[Style | None, Style], Style] = {}
    out: list[Segment] = []
    at, k = 0, 0  # the cell the next segment starts at; the next cut
    for seg in strip:
        text, own, control = seg
        if control:
            out.append(seg)
            continue
        narrow = text.isascii() and text.isprintable()
        end = at + (len(text) if narrow else seg.cell_length)
        if end <= low or at >= high:  # no span touches it: as it is
            out.append(seg)
            at = end
            continue
        while k < len(cuts) and cuts[k] <= at:
            k += 1
        while True:  # the part of `seg` from `at` up to the next cut inside it
            stop = cuts[k] if k < len(cuts) and cuts[k] < end else end
            part = seg
            if stop < end:
                if narrow:
                    part, seg = Segment(text[: stop - at], own), Segment(text[stop - at :], own)
                    text = seg.text
                else:
                    part, seg = seg.split_cells(stop - at)
            style = _over(at, stop, spans)
            if style is None:
                out.append(part)
            else:
                key = (part.style, style)
                both = added.get(key)
                if both is None:
                    both = added[key] = part.style + style if part.style else style
                out.append(Segment(part.text, both))
            at = stop
            if stop == end:
                break
            k += 1
    return Strip(out, length)


def _over(a: int, b: int, spans: list[tuple[int, int, Style]]) -> Style | None:
    """The style of the last span covering cells a..b-1, if any."""
    for lo, hi, style in reversed(spans):
        if lo <= a and b <= hi:
            return style
    return None


__all__ = ["Marks", "MarkStyles", "draw", "restyle"]
